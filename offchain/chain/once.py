"""Idempotent transactions: intent is recorded before sending, and a restart checks
whether the transaction (or an equivalent effect) already landed before acting again.

A done action stays under watch while its block is inside the reorg window: if
its receipt disappears or moves to a block the node no longer has, the action
is done again (`send_once` on the next call, `recheck_done` on every daemon
poll, which re-sends the recorded call)."""

from __future__ import annotations

import logging
from collections.abc import Callable

from ..state import DONE, FAILED, INTENT, SENT, Action, StateDB
from .client import ChainClient, ChainError, TxFailed

log = logging.getLogger("offchain.chain")


def _enc(v):
    """A call argument as JSON (bytes as {"b": hex}); TypeError for anything else."""
    if isinstance(v, bytes | bytearray):
        return {"b": bytes(v).hex()}
    if isinstance(v, list | tuple):
        return [_enc(x) for x in v]
    if v is None or isinstance(v, bool | int | str):
        return v
    raise TypeError(f"cannot record a call argument of type {type(v).__name__}")


def _dec(v):
    if isinstance(v, dict):
        return bytes.fromhex(v["b"])
    if isinstance(v, list):
        return [_dec(x) for x in v]
    return v


def _call_record(name: str, fn: str, args: tuple, value: int) -> dict:
    try:
        return {"name": name, "fn": fn, "args": _enc(list(args)), "value": value}
    except TypeError:
        return {}


def _hex(b) -> str:
    return "0x" + bytes(b).hex()


def _still_done(chain: ChainClient, db: StateDB, act: Action) -> bool:
    """False when a done action's transaction left the chain (the action is then reset
    to SENT if the node still holds the transaction, else to INTENT)."""
    h, blk = act.data.get("tx_hash"), act.data.get("block")
    if not h or blk is None:
        return True  # the effect was found on chain, or an old record: nothing to re-check
    if blk <= chain.block_number() - chain.reorg_window:
        return True  # deeper than the reorg window: final
    r = chain.receipt(h)
    if r is not None and r["status"] == 1:
        bh = _hex(r["blockHash"])
        if act.data.get("block_hash") not in (None, bh):  # re-mined in another block: same effect
            db.set_action(act.key, DONE, data={"block": int(r["blockNumber"]), "block_hash": bh})
            log.info("%s: re-organised into block %d, still done", act.key, r["blockNumber"])
        return True
    if r is None and chain.pending(h):
        db.set_action(act.key, SENT, tx_hash=h)
        log.warning("%s: transaction %s left block %d (reorg) and is pending again: waiting for it",
                    act.key, h, blk)
    else:
        db.set_action(act.key, INTENT)
        log.warning("%s: transaction %s left block %d (reorg): doing it again", act.key, h, blk)
    return False


def send_once(chain: ChainClient, db: StateDB, key: str, name: str, fn: str, *args, value: int = 0,
              landed: Callable[[], bool] | None = None, deadline: int | None = None) -> dict:
    """Send name.fn(*args) at most once per `key`, across crashes, restarts and reorgs.

    `landed()` reads the chain and says whether the effect is already there
    (e.g. "the task's solver is me"); it covers a transaction that was mined
    but whose receipt we never saw. `deadline` (a chain timestamp, e.g. the
    dispute move's) makes fee bumps of a stuck transaction come sooner.
    Returns the action's data ({"tx_hash", "gas_used", "block", "block_hash"});
    raises TxFailed when the call reverts. A done action inside the reorg window
    whose transaction left the chain is done again.
    """
    act = db.action(key)
    if act is not None and act.status == DONE:
        if _still_done(chain, db, act):
            return db.action(key).data
        act = db.action(key)
    if act is not None and act.status in (SENT, INTENT):
        hashes = [h for h in (act.data.get("tx_hashes") or []) if h] or ([act.tx_hash] if act.tx_hash else [])
        r = None
        for h in reversed(hashes):
            r = chain.receipt(h)
            if r is None and chain.pending(h):
                r = chain.wait(h, key)
            if r is not None:
                break
        if r is not None and r["status"] == 1:
            data = {"tx_hash": _hex(r["transactionHash"]), "gas_used": int(r["gasUsed"]),
                    "block": int(r["blockNumber"]), "block_hash": _hex(r["blockHash"])}
            db.set_action(key, DONE, tx_hash=data["tx_hash"], data=data)
            log.info("%s: already landed in block %d (restart)", key, r["blockNumber"])
            return db.action(key).data
    if landed is not None and landed():
        db.set_action(key, DONE, data={"note": "effect found on chain", "block": None})
        log.info("%s: effect already on chain (restart)", key)
        return db.action(key).data
    db.set_action(key, INTENT, data={"call": f"{name}.{fn}", "redo": _call_record(name, fn, args, value),
                                     "tx_hashes": []})
    try:
        tx_hash, raw = chain.build(name, fn, *args, value=value)
    except TxFailed as exc:
        db.set_action(key, FAILED, data={"reason": exc.reason})
        raise
    hashes = [tx_hash]
    db.set_action(key, SENT, tx_hash=tx_hash, data={"tx_hashes": hashes})  # durable before the bytes leave

    def on_replace(h: str) -> None:  # a fee bump: the new hash is recorded before it is sent
        hashes.append(h)
        db.set_action(key, SENT, tx_hash=h, data={"tx_hashes": hashes})

    chain.send_raw(raw, key)
    try:
        r = chain.wait(tx_hash, key, deadline=deadline, on_replace=on_replace)
    except TxFailed as exc:
        db.set_action(key, FAILED, data={"reason": exc.reason})
        raise
    data = {"tx_hash": _hex(r["transactionHash"]), "gas_used": int(r["gasUsed"]), "block": int(r["blockNumber"]),
            "block_hash": _hex(r["blockHash"])}
    db.set_action(key, DONE, tx_hash=data["tx_hash"], data=data)
    return db.action(key).data


def recheck_done(chain: ChainClient, db: StateDB) -> list[str]:
    """Re-check every done action inside the reorg window; re-send the recorded call of
    each whose transaction left the chain. Returns the keys done again."""
    redone: list[str] = []
    last = db.last_done_block()
    if last is None:
        return redone  # nothing was ever mined for this daemon: no RPC call
    low = chain.block_number() - chain.reorg_window
    if last <= low:
        return redone
    for act in db.done_since(low):
        if _still_done(chain, db, act):
            continue
        call = act.data.get("redo") or {}
        if not call:
            log.error("%s: undone by a reorg, and its call was not recorded: cannot redo it", act.key)
            continue
        try:
            send_once(chain, db, act.key, call["name"], call["fn"], *_dec(call["args"]),
                      value=int(call.get("value", 0)))
            redone.append(act.key)
        except (TxFailed, ChainError) as exc:
            log.error("%s: undone by a reorg, redo failed: %s", act.key, exc)
    return redone
