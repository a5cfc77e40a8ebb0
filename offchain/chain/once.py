"""Idempotent transactions: intent is recorded before sending, and a restart checks
whether the transaction (or an equivalent effect) already landed before acting again."""

from __future__ import annotations

import logging
from collections.abc import Callable

from ..state import DONE, FAILED, INTENT, SENT, StateDB
from .client import ChainClient, TxFailed

log = logging.getLogger("offchain.chain")


def send_once(chain: ChainClient, db: StateDB, key: str, name: str, fn: str, *args, value: int = 0,
              landed: Callable[[], bool] | None = None) -> dict:
    """Send name.fn(*args) at most once per `key`, across crashes and restarts.

    `landed()` reads the chain and says whether the effect is already there
    (e.g. "the task's solver is me"); it covers a transaction that was mined
    but whose receipt we never saw. Returns the action's data
    ({"tx_hash", "gas_used", "block"}); raises TxFailed when the call reverts.
    """
    act = db.action(key)
    if act is not None and act.status == DONE:
        return act.data
    if act is not None and act.tx_hash and act.status in (SENT, INTENT):
        r = chain.receipt(act.tx_hash)
        if r is None and chain.pending(act.tx_hash):
            r = chain.wait(act.tx_hash, key)
        if r is not None and r["status"] == 1:
            data = {"tx_hash": act.tx_hash, "gas_used": int(r["gasUsed"]), "block": int(r["blockNumber"])}
            db.set_action(key, DONE, data=data)
            log.info("%s: already landed in block %d (restart)", key, r["blockNumber"])
            return db.action(key).data
    if landed is not None and landed():
        db.set_action(key, DONE, data={"note": "effect found on chain"})
        log.info("%s: effect already on chain (restart)", key)
        return db.action(key).data
    db.set_action(key, INTENT, data={"call": f"{name}.{fn}"})
    try:
        tx_hash, raw = chain.build(name, fn, *args, value=value)
    except TxFailed as exc:
        db.set_action(key, FAILED, data={"reason": exc.reason})
        raise
    db.set_action(key, SENT, tx_hash=tx_hash)  # durable before the bytes leave
    chain.send_raw(raw, key)
    try:
        r = chain.wait(tx_hash, key)
    except TxFailed as exc:
        db.set_action(key, FAILED, data={"reason": exc.reason})
        raise
    data = {"tx_hash": tx_hash, "gas_used": int(r["gasUsed"]), "block": int(r["blockNumber"])}
    db.set_action(key, DONE, data=data)
    return db.action(key).data
