"""The Counter contract the chain-client tests deploy (test_chain.py, test_chain_attacks.py):
one counter, one event, one revert reason."""

COUNTER = """
# pragma version ^0.4.3
event Bumped:
    who: indexed(address)
    value: uint256

count: public(uint256)

@external
def bump(by: uint256):
    assert by > 0, "counter: zero bump"
    self.count += by
    log Bumped(who=msg.sender, value=self.count)
"""
