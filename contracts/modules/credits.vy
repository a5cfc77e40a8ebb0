# pragma version ^0.4.3
# pragma nonreentrancy on
"""
@title credits
@license MIT
@notice Pull payments in one ERC-20 token: amounts owed are credited and
        each creditor claims its own (`claim_credit`), so a token that
        blocks one recipient cannot freeze whatever credits it.
@dev A stateful module: the importer `initializes:` it with the token and
     exports `credit` and `claim_credit`. Tokens come in with `_pull`
     (transferFrom, any failure reverts with the importer's reason).
@custom:security Credits only grow by `_credit`, which the importer calls
     with tokens it already holds; `claim_credit` zeroes the caller's
     credit before the transfer.
"""


# ------------------------------------------------------------------
#                            EVENTS
# ------------------------------------------------------------------

# @dev `who` may now claim `amount` more.
event Credited:
    who: indexed(address)
    amount: uint256


# @dev `who` claimed `amount`.
event CreditClaimed:
    who: indexed(address)
    amount: uint256


# ------------------------------------------------------------------
#                            STORAGE
# ------------------------------------------------------------------

# @dev The token credited.
CREDIT_TOKEN: immutable(address)

# @dev Tokens each address may claim.
credit: public(HashMap[address, uint256])


# ------------------------------------------------------------------
#                            CONSTRUCTOR
# ------------------------------------------------------------------

@deploy
def __init__(token: address):
    """
    @param token The ERC-20 credited and claimed.
    """
    CREDIT_TOKEN = token


# ------------------------------------------------------------------
#                            EXTERNAL
# ------------------------------------------------------------------

@external
def claim_credit() -> uint256:
    """
    @dev Transfers the caller's whole credit to it.
    @return The amount transferred.
    """
    amount: uint256 = self.credit[msg.sender]
    assert amount > 0, "dispute_game: no credit"
    self.credit[msg.sender] = 0
    ok: bool = False
    res: Bytes[32] = b""
    ok, res = raw_call(
        CREDIT_TOKEN,
        abi_encode(msg.sender, amount, method_id=method_id("transfer(address,uint256)")),
        max_outsize=32,
        revert_on_failure=False,
    )
    assert ok and (len(res) == 0 or convert(res, bool)), "dispute_game: token transfer failed"
    log CreditClaimed(who=msg.sender, amount=amount)
    return amount


# ------------------------------------------------------------------
#                            INTERNAL
# ------------------------------------------------------------------

@internal
def _credit(who: address, amount: uint256):
    """
    @dev Owes `amount` more to `who` (nothing for 0).
    """
    if amount == 0:
        return
    self.credit[who] += amount
    log Credited(who=who, amount=amount)


@internal
def _pull(sender: address, amount: uint256):
    """
    @dev transferFrom(sender, self, amount); any failure reverts.
    """
    if amount == 0:
        return
    ok: bool = False
    res: Bytes[32] = b""
    ok, res = raw_call(
        CREDIT_TOKEN,
        abi_encode(sender, self, amount, method_id=method_id("transferFrom(address,address,uint256)")),
        max_outsize=32,
        revert_on_failure=False,
    )
    assert ok and (len(res) == 0 or convert(res, bool)), "dispute_game: token transfer failed"
