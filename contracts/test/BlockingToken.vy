# pragma version ^0.4.3
"""
@title Blocking test token
@license MIT
@notice A plain ERC-20 for tests (anyone may mint) whose `set_blocked`
        makes every transfer to a chosen address revert, like a token with
        a blocklist. Used to show that one blocked recipient cannot freeze
        the verifier pool's settlement.
@custom:security Test only; never deploy outside a local chain.
"""

from ethereum.ercs import IERC20

implements: IERC20


# @dev ERC-20 transfer.
event Transfer:
    sender: indexed(address)
    receiver: indexed(address)
    value: uint256


# @dev ERC-20 approval.
event Approval:
    owner: indexed(address)
    spender: indexed(address)
    value: uint256


# @dev ERC-20 state.
totalSupply: public(uint256)
balanceOf: public(HashMap[address, uint256])
allowance: public(HashMap[address, HashMap[address, uint256]])
# @dev Addresses no transfer may reach.
blocked: public(HashMap[address, bool])


@external
def mint(to: address, amount: uint256):
    """
    @dev Mints `amount` to `to`; open to anyone (test token).
    """
    self.balanceOf[to] += amount
    self.totalSupply += amount
    log Transfer(sender=empty(address), receiver=to, value=amount)


@external
def set_blocked(who: address, flag: bool):
    """
    @dev Blocks (or unblocks) transfers to `who`; open to anyone (test token).
    """
    self.blocked[who] = flag


@external
def approve(spender: address, amount: uint256) -> bool:
    self.allowance[msg.sender][spender] = amount
    log Approval(owner=msg.sender, spender=spender, value=amount)
    return True


@external
def transfer(receiver: address, amount: uint256) -> bool:
    self._transfer(msg.sender, receiver, amount)
    return True


@external
def transferFrom(sender: address, receiver: address, amount: uint256) -> bool:
    allowed: uint256 = self.allowance[sender][msg.sender]
    assert allowed >= amount, "blocking_token: insufficient allowance"
    if allowed != max_value(uint256):
        self.allowance[sender][msg.sender] = allowed - amount
    self._transfer(sender, receiver, amount)
    return True


@internal
def _transfer(sender: address, receiver: address, amount: uint256):
    assert not self.blocked[receiver], "blocking_token: receiver blocked"
    assert self.balanceOf[sender] >= amount, "blocking_token: insufficient balance"
    self.balanceOf[sender] -= amount
    self.balanceOf[receiver] += amount
    log Transfer(sender=sender, receiver=receiver, value=amount)
