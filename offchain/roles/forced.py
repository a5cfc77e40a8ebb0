"""The solver's side of the incentive layer (docs/protocol.md "Incentives"):
the claim secret, the forced-error decision, the deliberately wrong first
commit of a forced task, and the secret reveal (with the true root) after
the verifiers' reveal window.

Hooks for the solver daemon (each a no-op without a VerifierPool):
`claim_args(chain, db, tid)` -> extra claim_task arguments;
`record_seed(chain, db, tid)` -> records the claim seed right after the claim
(the commit is refused once it lapsed, 256 blocks on);
`commit_plan(chain, db, store, tid, manifest)` -> (run_root, final model S_T,
its proof, uri) to commit;
`after_commit(chain, db, tid, manifest, uri)` -> True once the task is past
the secret reveal (call it before trying to finalize).
"""

from __future__ import annotations

import logging
import os
import time

from ..chain import ChainClient, send_once
from ..commit import roots
from ..commit.roots import final_model
from ..incentives import rules
from ..state import StateDB
from .registry import COMMITTED, get_task, now
from .task import Manifest

log = logging.getLogger("offchain.forced")

#: seconds the solver waits for the block after its claim (the forced-error randomness)
SEED_WAIT = 30.0


def incentives_on(chain: ChainClient) -> bool:
    """True when the deployment has a VerifierPool (the registry then needs a secret at claim)."""
    return "VerifierPool" in chain.deployment


def secret_for(db: StateDB, tid: int) -> bytes:
    """The task's 32-byte claim secret, made once and kept in SQLite before it is used."""
    key = f"forced-secret:{tid}"
    hexed = db.get(key)
    if hexed is None:
        hexed = os.urandom(32).hex()
        db.put(key, hexed)
    return bytes.fromhex(hexed)


def claim_args(chain: ChainClient, db: StateDB, tid: int) -> tuple:
    """Extra arguments of claim_task: (keccak256(secret),) with incentives, else ()."""
    return (rules.secret_hash(secret_for(db, tid)),) if incentives_on(chain) else ()


def incentive(chain: ChainClient, tid: int) -> dict:
    names = ("secret_hash", "rate_ppm", "claim_block", "claim_seed", "attest_deadline", "reveal_deadline",
             "secret_deadline", "revealed", "forced", "first_root")
    return dict(zip(names, chain.call("TaskRegistry", "incentive", tid), strict=False))


def record_seed(chain: ChainClient, db: StateDB, tid: int) -> dict:
    """Records the claim seed (blockhash(claim_block + 1)) as soon as its block is mined,
    waiting up to `SEED_WAIT` seconds for it; the registry refuses a commit without it, and
    it lapses 256 blocks after the claim. Returns the incentive record."""
    if not incentives_on(chain):
        return {}
    inc = incentive(chain, tid)
    end = time.time() + SEED_WAIT
    while inc["claim_seed"] == bytes(32) and chain.block_number() <= inc["claim_block"] + 1:
        if time.time() > end:
            raise ValueError(f"forced: task={tid}: the claim seed block is not mined yet")
        time.sleep(0.2)
    if inc["claim_seed"] == bytes(32) and chain.block_number() <= inc["claim_block"] + 256:
        send_once(chain, db, f"record-seed:{tid}", "TaskRegistry", "record_claim_seed", tid,
                  landed=lambda: incentive(chain, tid)["claim_seed"] != bytes(32))
        inc = incentive(chain, tid)
    if inc["claim_seed"] == bytes(32):
        raise ValueError(f"forced: task={tid}: the claim seed lapsed unrecorded; the task cannot be committed")
    return inc


def is_forced(chain: ChainClient, db: StateDB, tid: int) -> bool:
    """Whether this task is a forced-error task (recording the claim seed first if needed)."""
    inc = record_seed(chain, db, tid)
    return rules.is_forced(secret_for(db, tid), bytes(inc["claim_seed"]), int(inc["rate_ppm"]))


def commit_plan(chain: ChainClient, db: StateDB, store, tid: int,
                manifest: Manifest) -> tuple[bytes, bytes, list[bytes], str]:
    """(run_root, final_model_hash, final_model_proof, artifact uri) for commit_result:
    the wrong root of a forced task (every S_t replaced by keccak256(S_t || secret),
    published as its own manifest) with its last leaf, else the true root with S_T."""
    true_uri = store.put(manifest.to_bytes())
    if not incentives_on(chain) or not is_forced(chain, db, tid):
        return roots.run_root(manifest.step_roots), *final_model(manifest.step_roots), true_uri
    wrong = rules.wrong_step_roots(manifest.step_roots, secret_for(db, tid))
    wrong_uri = store.put(Manifest(manifest.task_id, wrong, manifest.checkpoints, manifest.final_model).to_bytes())
    log.info("forced: task=%d is a forced-error task: committing the deliberately wrong root first", tid)
    return roots.run_root(wrong), *final_model(wrong), wrong_uri


def after_commit(chain: ChainClient, db: StateDB, tid: int, manifest: Manifest, uri: str) -> bool:
    """Reveal the secret once the verifiers' reveal window closed (with the true root
    for a forced task). True when nothing is left to do here."""
    if not incentives_on(chain):
        return True
    task = get_task(chain, tid)
    inc = incentive(chain, tid)
    if task.status != COMMITTED or inc["revealed"]:
        return True
    if now(chain) <= inc["reveal_deadline"]:
        return False
    true_root = roots.run_root(manifest.step_roots)
    final_hash, final_proof = final_model(manifest.step_roots)
    forced = rules.is_forced(secret_for(db, tid), bytes(inc["claim_seed"]), int(inc["rate_ppm"]))
    root = true_root if forced else task.run_root
    send_once(chain, db, f"reveal-secret:{tid}", "TaskRegistry", "reveal_secret", tid, secret_for(db, tid), root,
              final_hash, final_proof, uri, landed=lambda: incentive(chain, tid)["revealed"])
    log.info("forced: task=%d secret revealed (forced=%s)", tid, forced)
    return True
