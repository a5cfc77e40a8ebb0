# pragma version ^0.4.3
"""
@title Test token
@license MIT
@notice A plain ERC-20 for tests and local demos: anyone may mint. For the
        "token transfer that fails" cases, `set_fail_mode` makes every
        transfer and transferFrom return False (mode 1) or revert (mode 2);
        mode 0 is a normal token. `set_blocked` blocklists an address (as
        USDC / USDT can): a transfer to or from it reverts.
@custom:security Test only; never deploy outside a local chain.
"""

from ethereum.ercs import IERC20

implements: IERC20


# ---------------------------------------------------------------- EVENTS ----

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


# ------------------------------------------------------------- CONSTANTS ----

# @dev Fail modes.
MODE_NORMAL: constant(uint8) = 0
MODE_RETURN_FALSE: constant(uint8) = 1
MODE_REVERT: constant(uint8) = 2


# --------------------------------------------------------------- STORAGE ----

# @dev Token metadata.
name: public(String[32])
symbol: public(String[8])
decimals: public(uint8)

# @dev ERC-20 state.
totalSupply: public(uint256)
balanceOf: public(HashMap[address, uint256])
allowance: public(HashMap[address, HashMap[address, uint256]])

# @dev 0 normal, 1 transfers return False, 2 transfers revert.
fail_mode: public(uint8)
# @dev Blocklisted addresses: no transfer to or from them.
blocked: public(HashMap[address, bool])


# ----------------------------------------------------------- CONSTRUCTOR ----

@deploy
def __init__(name: String[32], symbol: String[8]):
    self.name = name
    self.symbol = symbol
    self.decimals = 18


# -------------------------------------------------------------- EXTERNAL ----

@external
def mint(to: address, amount: uint256):
    """
    @dev Mints `amount` to `to`; open to anyone (test token).
    """
    self.balanceOf[to] += amount
    self.totalSupply += amount
    log Transfer(sender=empty(address), receiver=to, value=amount)


@external
def set_fail_mode(mode: uint8):
    """
    @dev 0 normal, 1 transfers return False, 2 transfers revert.
    """
    assert mode <= MODE_REVERT, "test_token: bad mode"
    self.fail_mode = mode


@external
def set_blocked(account: address, flag: bool):
    """
    @dev Blocklists (or clears) `account`; open to anyone (test token).
    """
    self.blocked[account] = flag


@external
def approve(spender: address, amount: uint256) -> bool:
    self.allowance[msg.sender][spender] = amount
    log Approval(owner=msg.sender, spender=spender, value=amount)
    return True


@external
def transfer(receiver: address, amount: uint256) -> bool:
    if self._failing():
        return False
    self._transfer(msg.sender, receiver, amount)
    return True


@external
def transferFrom(sender: address, receiver: address, amount: uint256) -> bool:
    if self._failing():
        return False
    allowed: uint256 = self.allowance[sender][msg.sender]
    assert allowed >= amount, "test_token: insufficient allowance"
    if allowed != max_value(uint256):
        self.allowance[sender][msg.sender] = allowed - amount
    self._transfer(sender, receiver, amount)
    return True


# -------------------------------------------------------------- INTERNAL ----

@view
@internal
def _failing() -> bool:
    assert self.fail_mode != MODE_REVERT, "test_token: transfers disabled"
    return self.fail_mode == MODE_RETURN_FALSE


@internal
def _transfer(sender: address, receiver: address, amount: uint256):
    assert not self.blocked[sender] and not self.blocked[receiver], "test_token: blocked"
    assert self.balanceOf[sender] >= amount, "test_token: insufficient balance"
    self.balanceOf[sender] -= amount
    self.balanceOf[receiver] += amount
    log Transfer(sender=sender, receiver=receiver, value=amount)
