"""Task admission and bounded verification (issue 15, items 1 and 2): the budget an agent
checks before it spends anything on a task, and the structural checks of a solver's
manifest that keep verification bounded.

This module owns:

- the cost of a task, from the compiled program's shapes only (nothing allocated):
  micro-operations per node (`node_ops`: rows x cols x K, K the node's reduction length
  or its opcode's fixed micro-step count), the bytes of the state, of one step's node
  outputs and of the checkpoints (`program_cost`);
- this machine's throughput, measured once per backend by timing two small calibration
  programs and cached (in the daemon's SQLite state and in the process), unless the
  operator sets `throughput` (`measure_throughput`, `Budget.rate`);
- the verdicts (`solver_terms`, `resources`): a task is refused once, with one line naming
  the reason, when it pays too little for the stake it locks (`min_pay_per_stake`), needs
  more memory or disk than the budget, has a step longer than `max_step_seconds` (the
  solver honours SIGTERM between steps), or cannot be computed within its solve period
  (solver) or challenge / verification window (verifier) with a `time_margin`; it is
  deferred, not refused, while it only exceeds what is free now (`max_concurrent_tasks`,
  `max_stake_at_risk`, or the time with the training tasks already running);
- the hooks the daemons call (`solver_admits`, `verifier_admits`), which record the verdict
  in the task's SQLite record and log it once;
- `check_manifest`: a manifest without a checkpoint at every multiple of
  `checkpoint_interval` and at T (or with any other), whose final model is not checkpoint T,
  or whose checkpoints at the sampled steps' bases are malformed (step, slot count, shapes,
  node roots), is a fault of the solver's artifacts (the verifier disputes / flags it as it
  does other artifact faults), never a reason to replay from far away.

Settings and defaults: offchain/config.py (admission block); docs/security.md "Agents:
threat model and operator settings".
"""

from __future__ import annotations

import logging
import os
import shutil
import statistics
import threading
import time
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

from ..commit import merkle, roots
from ..config import Settings, check_admission_settings
from ..runtime.executor import run_step, state_after
from ..runtime.opcodes import FIXED_MICRO_STEPS, Op
from ..runtime.program import Node, Program

log = logging.getLogger("offchain.admission")

TOKEN = 10**18  # base units of one whole token when the token does not say (18 decimals)
MIB = 1 << 20
#: the backends' working copies (float views, torch tensors) on top of the uint32 arrays
WORKING_COPIES = 2
#: step outputs a verifier's replay keeps at once (dispute.run.OUTPUT_CACHE)
REPLAY_OUTPUTS = 3
#: phases of a solver's task that hold its stake / its compute
HOLDS_STAKE = ("accepted", "claimed", "committed")
TRAINING = ("accepted", "claimed")


# --- cost from the program's shapes ------------------------------------------------------


def node_ops(node: Node) -> int:
    """Micro-operations of one node: each output element takes K micro-steps (the node's
    reduction length for MATMUL and SUM, the opcode's fixed count otherwise)."""
    k = node.k if node.op in (Op.MATMUL, Op.SUM) else FIXED_MICRO_STEPS[node.op]
    return node.size * max(int(k), 1)


@dataclass(frozen=True)
class Cost:
    """What a run of `steps` steps of a program costs, from its shapes (4-byte words)."""

    steps: int  # T (steps 1..T train; step 0 initialises)
    interval: int  # checkpoint_interval k
    init_ops: int  # micro-ops of step 0
    step_ops: int  # micro-ops of one training step
    state_bytes: int  # every state slot
    out_bytes: int  # node outputs of the largest step (0 or a training step)
    data_bytes: int  # the training matrix

    @property
    def checkpoints(self) -> int:
        """Checkpoints of a run: every multiple of k in 0..T, and T."""
        return checkpoint_count(self.steps, self.interval)

    def solver_memory(self) -> int:
        """Bytes a solver holds while training: one step's outputs, the state before and after
        it, the checkpoint's encoded copy, and the data, times the backends' working copies."""
        return WORKING_COPIES * (self.out_bytes + 3 * self.state_bytes + self.data_bytes)

    def verifier_memory(self) -> int:
        """Bytes a verifier holds while replaying (kept states are on disk, not here)."""
        return WORKING_COPIES * (REPLAY_OUTPUTS * self.out_bytes + 2 * self.state_bytes + self.data_bytes)

    def disk(self) -> int:
        """Bytes of the run's checkpoints (the solver's store; the verifier's spilled states)."""
        return self.checkpoints * self.state_bytes


def checkpoint_count(steps: int, interval: int) -> int:
    return steps // interval + 1 + (1 if steps % interval else 0)


def program_cost(program: Program, data_shape: tuple[int, ...], steps: int, interval: int) -> Cost:
    """The cost of `steps` steps of `program` on data of `data_shape`: shapes only, no array
    is built (a 37 GiB model is priced, never allocated)."""
    init_elems = sum(n.size for n in program.init)
    step_elems = sum(n.size for n in program.step)
    state = sum(program.init[s].size for s in range(program.header.n_state))
    rows, cols = (list(data_shape) + [1, 1])[:2]
    return Cost(steps, interval, sum(node_ops(n) for n in program.init), sum(node_ops(n) for n in program.step),
                4 * state, 4 * max(init_elems, step_elems), 4 * int(rows) * int(cols))


# --- this machine's throughput -----------------------------------------------------------


@dataclass(frozen=True)
class Throughput:
    """Micro-ops per second of step 0 and of a training step, plus a fixed cost per step."""

    init_rate: float
    step_rate: float
    overhead: float  # seconds per step whatever its size

    def step_seconds(self, cost: Cost) -> float:
        return self.overhead + cost.step_ops / self.step_rate

    def init_seconds(self, cost: Cost) -> float:
        return self.overhead + cost.init_ops / self.init_rate

    def run_seconds(self, cost: Cost, steps: int | None = None) -> float:
        """Steps 0..T (0..`steps`) on this machine."""
        return self.init_seconds(cost) + (cost.steps if steps is None else steps) * self.step_seconds(cost)

    def text(self) -> str:
        return f"{self.step_rate:.3g} micro-ops/s, {1e3 * self.overhead:.2g} ms/step"


def _calibration_program(features: int, hidden: int, batch: int, classes: int, rows: int = 2048):
    from .task import TaskSpec  # roles.task imports nothing of this module

    rng = np.random.default_rng(0)
    x = rng.standard_normal((rows, features)).astype(np.float32)
    y = np.eye(classes, dtype=np.float32)[rng.integers(0, classes, rows)]
    train = np.concatenate([x, y], axis=1).view(np.uint32)
    spec = TaskSpec(dataset="calibration", data="0x" + "00" * 32, n_features=features, n_classes=classes,
                    steps=4, checkpoint_interval=4, hidden=(hidden,), batch=batch)
    return spec.compile(train), train


def _step(program: Program, t: int, state: list[np.ndarray], train: np.ndarray, backend: str) -> list[np.ndarray]:
    """One step as an agent runs it: the node outputs, their commitment S_t, the next state."""
    outs = run_step(program, t, state, train, backend)
    merkle.root(roots.node_roots(outs))
    return state_after(program, t, outs)


def _time_steps(program: Program, train: np.ndarray, backend: str, reps: int) -> tuple[float, float]:
    """(seconds of step 0, median seconds of a training step after one warm-up step)."""
    t0 = time.perf_counter()
    state = _step(program, 0, [], train, backend)
    init = time.perf_counter() - t0
    state = _step(program, 1, state, train, backend)  # warm-up (JIT, caches)
    times = []
    for t in range(2, 2 + reps):
        t0 = time.perf_counter()
        state = _step(program, t, state, train, backend)
        times.append(time.perf_counter() - t0)
    return init, statistics.median(times)


def measure_throughput(backend: str, reps: int = 3) -> Throughput:
    """Time a tiny and a medium calibration program on `backend` (about a second), each step
    with its commitment (node roots, S_t): the tiny one's step time is the per-step overhead,
    the difference the rate. A figure, not a promise: `time_margin` covers its error
    (within about 2x of the real step time on the shapes tried)."""
    small, small_data = _calibration_program(16, 8, 8, 4)
    big, big_data = _calibration_program(64, 512, 128, 10)
    _, t_small = _time_steps(small, small_data, backend, reps)
    t_init, t_big = _time_steps(big, big_data, backend, reps)
    c_small = sum(node_ops(n) for n in small.step)
    c_big = sum(node_ops(n) for n in big.step)
    if t_big > t_small:
        rate = (c_big - c_small) / (t_big - t_small)
        overhead = max(t_small - c_small / rate, 0.0)
    else:  # noise: charge the whole time to the work
        rate, overhead = c_big / max(t_big, 1e-9), 0.0
    init_rate = sum(node_ops(n) for n in big.init) / max(t_init, 1e-9)
    return Throughput(init_rate, rate, overhead)


_MEASURED: dict[str, Throughput] = {}  # backend -> throughput, for this process
_MEASURING: dict[str, threading.Thread] = {}  # backend -> the thread measuring it


def _measure_in_background(backend: str) -> None:
    started = time.time()
    try:
        _MEASURED[backend] = measure_throughput(backend)
    except Exception as exc:  # noqa: BLE001 - logged; the next call measures again
        log.error("admission: measuring backend %s failed: %s", backend, exc)
        return
    finally:
        _MEASURING.pop(backend, None)
    log.info("admission: backend %s measured in %.1fs: %s", backend, time.time() - started,
             _MEASURED[backend].text())


# --- verdicts (pure) ---------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    """Why a task is not taken: `later` when it may fit once other tasks are done."""

    code: str  # a short name of the rule
    reason: str  # one line for the log and the task record
    later: bool = False


#: the deferral while this machine's throughput is being measured (once per backend)
MEASURING = Verdict("measuring", "measuring this machine's throughput first", later=True)


def _tokens(units: int, unit: int = TOKEN) -> str:
    return f"{units / unit:.6g} tokens"


def _size(n: int) -> str:
    for unit, scale in (("GiB", 1 << 30), ("MiB", MIB), ("KiB", 1 << 10)):
        if n >= scale:
            return f"{n / scale:.3g} {unit}"
    return f"{n} B"


def _duration(s: float) -> str:
    if s >= 3600:
        return f"{s / 3600:.3g} h"
    return f"{s / 60:.3g} min" if s >= 60 else f"{s:.3g} s"


def solver_terms(task, held: list, training: int, s: Settings, unit: int = TOKEN) -> Verdict | None:
    """The money and capacity terms of an open task for a solver holding `held` tasks (their
    TaskViews), `training` of them not yet committed; None when they are acceptable. `unit`:
    base units of one whole token (10**decimals of the deployment's token)."""
    pay, stake = task.payment - task.fee, task.solver_stake
    if s.min_pay_per_stake > 0 and (pay <= 0 or Fraction(pay) < Fraction(s.min_pay_per_stake) * stake):
        per = f"{pay / stake:.3g}" if stake else "-"
        return Verdict("pay", f"uneconomic: pays {_tokens(pay, unit)} for a stake of {_tokens(stake, unit)} "
                              f"({per} per stake; min_pay_per_stake={s.min_pay_per_stake:g})")
    cap = int(Fraction(s.max_stake_at_risk) * unit)
    if cap > 0 and stake > cap:
        return Verdict("stake", f"its stake {_tokens(stake, unit)} exceeds max_stake_at_risk={s.max_stake_at_risk:g} tokens")
    at_risk = sum(t.solver_stake for t in held)
    if cap > 0 and at_risk + stake > cap:
        return Verdict("stake-busy", f"stake at risk would be {_tokens(at_risk + stake, unit)} "
                                     f"(max_stake_at_risk={s.max_stake_at_risk:g} tokens)", later=True)
    if training >= s.max_concurrent_tasks:
        return Verdict("busy", f"{training} tasks training (max_concurrent_tasks={s.max_concurrent_tasks})",
                       later=True)
    return None


def resources(cost: Cost, rate: Throughput, s: Settings, memory_limit: int, disk_limit: int,
              seconds: float, what: str, role: str, sharers: int = 1) -> Verdict | None:
    """Memory, disk and time of a task against the budget; `seconds` is the time it has
    (`what` names it), `sharers` the tasks that would share this machine's throughput."""
    steps = cost.steps
    need = cost.solver_memory() if role == "solve" else cost.verifier_memory()
    if need > memory_limit:
        return Verdict("memory", f"needs ~{_size(need)} of memory (state {_size(cost.state_bytes)}, one step's "
                                 f"outputs {_size(cost.out_bytes)}; limit {_size(memory_limit)}: max_memory_mib)")
    if cost.disk() > disk_limit:
        return Verdict("disk", f"needs ~{_size(cost.disk())} of disk for {cost.checkpoints} checkpoints "
                               f"(limit {_size(disk_limit)}: max_disk_mib)")
    step = max(rate.step_seconds(cost), rate.init_seconds(cost))
    if step > s.max_step_seconds:
        return Verdict("step", f"one step would take ~{_duration(step)} on this machine "
                               f"(max_step_seconds={s.max_step_seconds:g}; {rate.text()})")
    alone = rate.run_seconds(cost, steps) * s.time_margin
    if seconds <= 0:
        return Verdict("time", f"the {what} is over")
    if alone > seconds:
        left = "is" if what == "solve period" else "has left"
        return Verdict("time", f"{steps} steps would take ~{_duration(alone / s.time_margin)} on this "
                               f"machine (x{s.time_margin:g} time_margin: {_duration(alone)}) but the {what} "
                               f"{left} {_duration(seconds)} ({rate.text()})")
    if alone * sharers > seconds:
        return Verdict("time-busy", f"with {sharers - 1} other tasks training, {steps} steps would take "
                                    f"~{_duration(alone * sharers)} (the {what} is {_duration(seconds)})", later=True)
    return None


# --- the budget of one daemon (I/O: machine, cache, chain) ---------------------------------


class Budget:
    """The admission budget of a daemon: its settings, this machine's limits and throughput."""

    def __init__(self, settings: Settings, db, backend: str):
        check_admission_settings(settings)
        self.settings, self.db, self.backend = settings, db, backend

    def memory_limit(self) -> int:
        if self.settings.max_memory_mib:
            return self.settings.max_memory_mib * MIB
        try:
            return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2
        except (ValueError, OSError, AttributeError):  # not a POSIX machine
            return 4 << 30

    def disk_limit(self) -> int:
        if self.settings.max_disk_mib:
            return self.settings.max_disk_mib * MIB
        path = Path(self.settings.state_dir)
        while not path.exists() and path != path.parent:
            path = path.parent
        return shutil.disk_usage(path).free // 2

    def rate(self) -> Throughput | None:
        """This machine's throughput: the `throughput` setting, else measured once per backend
        (cached in this daemon's state and in the process); None while it is being measured,
        in a thread of its own so the poll loop keeps serving (tasks wait for it)."""
        if self.settings.throughput > 0:
            return Throughput(self.settings.throughput, self.settings.throughput, 0.0)
        key = f"admission:throughput:{self.backend}"
        if self.backend not in _MEASURED:
            rec = self.db.get(key)
            if rec is None:
                if self.backend not in _MEASURING:
                    _MEASURING[self.backend] = threading.Thread(
                        target=_measure_in_background, args=(self.backend,), name=f"measure-{self.backend}",
                        daemon=True)
                    _MEASURING[self.backend].start()
                return None
            _MEASURED[self.backend] = Throughput(rec["init_rate"], rec["step_rate"], rec["overhead"])
        got = _MEASURED[self.backend]
        if self.db.get(key) is None:
            self.db.put(key, {"init_rate": got.init_rate, "step_rate": got.step_rate, "overhead": got.overhead,
                              "measured": time.time()})
        return got

    def cost(self, task, program: Program, train: np.ndarray) -> Cost:
        return program_cost(program, np.shape(train), task.num_steps, task.checkpoint_interval)


def _verdict_recorded(d, tid: int, why: Verdict | None) -> bool:
    """Act on a verdict for daemon `d`: None admits (True); a refusal is final (`d._refuse`,
    one log line); a deferral keeps the task where it is and logs once per rule."""
    if why is None:
        return True
    if not why.later:
        d._refuse(tid, why.reason)
        return False
    phase, data = d.db.task(tid)
    if data.get("deferred") != why.code:
        d.db.set_task(tid, phase, deferred=why.code, reason=why.reason)
        log.info("%s: defer task=%d: %s", d.role, tid, why.reason)
    return False


def solver_admits(d, tid: int, task, program: Program | None = None, train: np.ndarray | None = None) -> bool:
    """The solver's admission hook. Without a program: the money and capacity terms (checked
    before anything is fetched); with one: memory, disk, step time and wall time against the
    solve period on this machine, the training tasks sharing it."""
    held = [(t, p) for t, p, _ in d.db.tasks() if p in HOLDS_STAKE and t != tid]
    training = sum(1 for _, p in held if p in TRAINING)
    if program is None:
        from .funds import token_unit
        from .registry import get_task

        return _verdict_recorded(d, tid, solver_terms(task, [get_task(d.chain, t) for t, _ in held], training,
                                                      d.settings, token_unit(d.chain)))
    budget, rate = d.budget, d.budget.rate()
    if rate is None:
        return _verdict_recorded(d, tid, MEASURING)
    why = resources(budget.cost(task, program, train), rate, d.settings, budget.memory_limit(),
                    budget.disk_limit(), task.solve_period, "solve period", "solve", sharers=1 + training)
    return _verdict_recorded(d, tid, why)


def verifier_admits(d, tid: int, task, program: Program, train: np.ndarray) -> bool:
    """The verifier's admission hook, before it joins, stakes or replays: memory, disk (its
    own run's spilled states, should it dispute), step time, and its whole own run 0..T
    against the time left in the challenge (or verification) window. The check itself
    replays only up to the last sampled boundary, but a mismatch leads to a dispute, which
    needs the verifier's run root over every boundary before the window closes: a verifier
    that could only afford the check would find a fault it cannot dispute."""
    from . import attest
    from .registry import now

    budget, rate = d.budget, d.budget.rate()
    if rate is None:
        return _verdict_recorded(d, tid, MEASURING)
    deadline, what = task.challenge_deadline, "challenge window"
    if attest.enabled(d.chain):
        deadline, what = attest.incentive(d.chain, tid)["attest_deadline"], "verification window"
    why = resources(budget.cost(task, program, train), rate, d.settings, budget.memory_limit(),
                    budget.disk_limit(), deadline - now(d.chain), what, "verify")
    return _verdict_recorded(d, tid, why)


# --- bounded verification: the manifest's checkpoints ----------------------------------------


def check_manifest(store, manifest, program: Program, steps: int, interval: int, samples: list[int]) -> None:
    """ValueError naming the fault unless the manifest lists a checkpoint at exactly every
    multiple of `interval` in 0..T and at T, names checkpoint T as its final model, and the
    checkpoints at the bases of the sampled steps (the last multiple of k at or before each)
    hold that step's state in the program's shapes (`Checkpoint.check_shape`). Whether their
    values match the step roots is the replay's question (a forced-error manifest carries
    true checkpoints under deliberately wrong roots: the replay's mismatch flags it). A
    checkpoint that cannot be fetched raises the store's error (retried, not a fault)."""
    from .task import Checkpoint

    keys = manifest.checkpoints
    odd = sorted(c for c in keys if not (0 <= c <= steps and (c % interval == 0 or c == steps)))
    if odd:
        raise ValueError(f"the manifest lists checkpoint(s) at step(s) {odd[:3]} that are not multiples of "
                         f"checkpoint_interval={interval} or T={steps}")
    if len(keys) != checkpoint_count(steps, interval):
        missing = []
        for c in [*range(0, steps + 1, interval), steps]:
            if c not in keys and c not in missing:
                missing.append(c)
                if len(missing) == 3:
                    break
        raise ValueError(f"the manifest has no checkpoint at step(s) {missing} (one is due at every multiple "
                         f"of checkpoint_interval={interval} and at T={steps})")
    if manifest.final_model != keys[steps]:
        raise ValueError(f"the manifest's final model is not its checkpoint of step T={steps}")
    for base in sorted({min(s // interval * interval, steps) for s in samples}):
        try:
            ck = Checkpoint.from_bytes(store.get(keys[base]))
            if ck.step != base:
                raise ValueError(f"it holds step {ck.step}")
            ck.check_shape(program)
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"the checkpoint of step {base} is malformed: {str(exc).removeprefix('task: ')}") from None
