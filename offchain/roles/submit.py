"""The submitter: publish the dataset, held-out set and spec, create the task
(escrowing the payment), then watch it to the end: cancel it for a refund if
nobody claims it in time, expire it if the solver misses its deadline, and
finalise it once the challenge window has passed."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
from web3.logs import DISCARD

from ..chain import send_once
from ..commit.proofs import header_proof
from ..runtime import dataset as datasets
from ..runtime.dataset import to_bits
from ..runtime.program import Program
from ..store import address_of
from . import funds
from .daemon import Daemon
from .registry import (
    CANCELLED,
    CLAIMED,
    COMMITTED,
    EXPIRED,
    FINALIZED,
    OPEN,
    REJECTED,
    get_task,
    now,
)
from .task import TaskSpec, data_root, encode_arrays

log = logging.getLogger("offchain.submit")


@dataclass(frozen=True)
class TaskTerms:
    """The money and time terms of a task (token base units, seconds)."""

    payment: int = 10 * 10**18
    solver_stake: int = 100 * 10**18
    claim_period: int = 600
    solve_period: int = 3600


def build_spec(name: str = "digits", steps: int = 30, checkpoint_interval: int = 10, model: str = "mlp",
               hidden: tuple[int, ...] = (16,), batch: int = 8, lr: float | None = None,
               seed: int = 1) -> tuple[TaskSpec, dict[str, bytes]]:
    """A spec plus the artifacts it names ({address: bytes}), ready to publish."""
    ds = datasets.load(name)
    train_bytes = encode_arrays({"name": name}, [ds.train])
    hold_bytes = encode_arrays({"name": name}, [to_bits(np.asarray(ds.test_x, np.float32)),
                                                np.asarray(ds.test_y, np.uint32).reshape(1, -1)])
    spec = TaskSpec(dataset=name, data=address_of(train_bytes), n_features=ds.n_features,
                    n_classes=ds.n_classes, steps=steps, checkpoint_interval=checkpoint_interval,
                    model=model, hidden=tuple(hidden), batch=batch, lr=lr, seed=seed, image=ds.image,
                    holdout=address_of(hold_bytes))
    return spec, {spec.data: train_bytes, spec.holdout: hold_bytes}


class Submitter(Daemon):
    role = "submit"
    events = ()

    def publish(self, spec: TaskSpec, artifacts: dict[str, bytes]) -> tuple[str, Program, bytes]:
        """Store every artifact and the spec; return (spec address, compiled program, data_root)."""
        for addr, blob in artifacts.items():
            if self.store.put(blob) != addr:
                raise ValueError("submit: artifact address mismatch")
        from .task import decode_arrays
        _, (train,) = decode_arrays(artifacts[spec.data])
        spec_addr = self.store.put(spec.to_bytes())
        return spec_addr, spec.compile(train), data_root(train)

    def create(self, spec: TaskSpec, artifacts: dict[str, bytes], terms: TaskTerms,
               program: Program | None = None) -> int:
        """Publish and create the task once (idempotent per spec); return its id.

        The task carries the compiled program's root, its header and the
        header's proof as leaf 0 (create_task checks them). `program`
        overrides the compiled program (tests of the solver's refusal).
        """
        spec_addr, compiled, d_root = self.publish(spec, artifacts)
        program = program or compiled
        prog_root = program.root()
        header, proof = header_proof(program)
        key = f"create:{spec_addr}:{prog_root.hex()}"
        if self.db.action(key) is None:  # not created yet: say what is missing, send nothing
            funds.require(self.chain, terms.payment, "escrow the task's payment")
        reg = self.chain.contract("TaskRegistry").address
        send_once(self.chain, self.db, f"approve:{key}", "Token", "approve", reg, terms.payment)
        r = send_once(self.chain, self.db, key, "TaskRegistry", "create_task", bytes.fromhex(spec_addr[2:]),
                      prog_root, d_root, spec.steps, spec.checkpoint_interval, terms.payment,
                      terms.solver_stake, terms.claim_period, terms.solve_period, header, proof)
        tid = r.get("task_id")
        if tid is None:
            rcpt = self.chain.receipt(r["tx_hash"])
            evs = self.chain.contract("TaskRegistry").events.TaskCreated().process_receipt(rcpt, errors=DISCARD)
            tid = int(evs[0]["args"]["task_id"])
            self.db.set_action(key, "done", data={"task_id": tid})
        if self.db.task(tid) is None:
            self.db.set_task(tid, "open", spec=spec_addr)
        log.info("submit: task=%d created (spec %s, %d steps)", tid, spec_addr, spec.steps)
        return tid

    def advance(self, tid: int, phase: str, data: dict) -> None:
        task = get_task(self.chain, tid)
        t = now(self.chain)
        if task.status == OPEN and t > task.claim_deadline:
            send_once(self.chain, self.db, f"cancel:{tid}", "TaskRegistry", "cancel_task", tid,
                      landed=lambda: get_task(self.chain, tid).status == CANCELLED)
            log.info("submit: task=%d unclaimed before its deadline: cancelled, payment refunded", tid)
            self.db.set_task(tid, "cancelled")
        elif task.status == CLAIMED and t > task.solve_deadline:
            send_once(self.chain, self.db, f"expire:{tid}", "TaskRegistry", "expire", tid,
                      landed=lambda: get_task(self.chain, tid).status == EXPIRED)
            log.info("submit: task=%d missed its solve deadline: expired, payment refunded", tid)
            self.db.set_task(tid, "expired")
        elif task.status == COMMITTED and task.open_disputes == 0 and t > task.challenge_deadline:
            send_once(self.chain, self.db, f"finalize:{tid}", "TaskRegistry", "finalize", tid,
                      landed=lambda: get_task(self.chain, tid).status == FINALIZED)
            self.db.set_task(tid, "finalized")
        elif task.status in (FINALIZED, CANCELLED, EXPIRED, REJECTED):
            self.db.set_task(tid, task.status_name)
            log.info("submit: task=%d %s", tid, task.status_name)
        elif task.status_name != phase:
            self.db.set_task(tid, task.status_name)
