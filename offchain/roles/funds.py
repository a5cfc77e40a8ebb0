"""Token funds an agent needs before it bonds, stakes, pays a task or posts a dispute
bond: its wallet balance is checked on chain first, so an underfunded agent says
exactly what is missing (`need 400 GTK to stake for task 1, have 0 GTK in wallet
0x...`) once per backoff period, instead of sending transactions that revert with
`token transfer failed` on every poll."""

from __future__ import annotations

from decimal import Decimal

#: the deployment's name of the staking token contract
TOKEN = "Token"  # the deployment's token (offchain/deployment.py: any ERC-20)


class InsufficientFunds(RuntimeError):
    """The agent's wallet (or allowance) is short of what an action needs."""


def _token_meta(chain) -> tuple[str, int]:
    """(symbol, decimals) of the staking token; ('tokens', 18) when it does not say."""
    try:
        symbol = str(chain.call(TOKEN, "symbol"))[:16] or "tokens"
        decimals = int(chain.call(TOKEN, "decimals"))
    except Exception:  # noqa: BLE001 - an ERC-20 without the optional metadata
        return "tokens", 18
    return ("".join(c for c in symbol if c.isalnum()) or "tokens"), (decimals if 0 <= decimals <= 36 else 18)


def token_unit(chain) -> int:
    """Base units of one whole token: 10**decimals of the deployment's token (18 when the
    token does not say)."""
    try:
        decimals = int(chain.call(TOKEN, "decimals"))
    except Exception:  # noqa: BLE001 - an ERC-20 without the optional metadata
        return 10**18
    return 10 ** (decimals if 0 <= decimals <= 36 else 18)


def amount_text(chain, amount: int) -> str:
    """`400 GTK`: an amount in whole tokens (the token's decimals and symbol)."""
    symbol, decimals = _token_meta(chain)
    value = Decimal(amount) / (Decimal(10) ** decimals)
    return f"{value.normalize():f} {symbol}"


def require(chain, amount: int, what: str) -> None:
    """InsufficientFunds (`need X GTK to <what>, have Y GTK in wallet 0x...`) unless this
    agent's wallet holds `amount`. (The agents approve exactly what they then spend, so the
    allowance is theirs to set; the balance is what an operator must provide.)"""
    if amount <= 0:
        return
    me = chain.address
    have = int(chain.call(TOKEN, "balanceOf", me))
    if have < amount:
        raise InsufficientFunds(f"need {amount_text(chain, amount)} to {what}, have {amount_text(chain, have)} "
                                f"in wallet {me}")
