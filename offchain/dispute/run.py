"""A party's view of a training run: every step root, node output and micro-trace it claims,
and the one fault mechanism of the project (`Fault`, `Skip`, `step_outputs`).

`step_outputs` computes one step as a party does: honestly, faked (`Skip`:
no work, the state slots copied from the previous step, every other node
output zero) or with a `Fault(t, j, e)`: after node j of step t is
computed, the lowest mantissa bit of element e is flipped and the later
nodes of step t are recomputed element by element with `micro` from the
faulty value (the later steps carry on from the resulting state). The
solver daemon trains with it and `PartyRun` replays with it, so a faulty
solver defends exactly the run it committed.

`PartyRun` holds the boundary step roots S_b(0)..S_b(n_b-1) of the run tree
(b(i) = min(i * c, T), c the task's checkpoint interval) and the states after
some steps (every boundary by default, or the solver's published
checkpoints); any other step's outputs and root, and a segment's step roots
(`segment_roots`, the leaves of the dispute's SEGMENT commitment), are
recomputed on demand from the nearest kept state, and checked against the
step roots this party already holds. With `spill` the kept states live on
disk (`states.DiskStates`), and `from_states` takes a lazy mapping
(`states.StoreStates`) as it is, so a long run never holds T/k states in
memory.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from eth_hash.auto import keccak

from ..commit import merkle
from ..commit.roots import boundaries, is_boundary, node_roots, run_root
from ..commit.tensor import tensor_levels
from ..commit.trace import StepView, micro_trace
from ..runtime.executor import run_step, state_after
from ..runtime.program import Program
from .states import DiskStates

#: steps whose outputs a PartyRun keeps recomputed (the Player reads t and t-1)
OUTPUT_CACHE = 3


@dataclass(frozen=True)
class Fault:
    """Where a faulty run flips a mantissa bit (`bit`, the lowest by default): step t, node j, element e."""

    t: int
    j: int
    e: int
    bit: int = 0

    @classmethod
    def parse(cls, text: str) -> Fault:
        """From `step=T,node=J,element=E` (ValueError with one line on bad input)."""
        m = re.fullmatch(r"\s*step=(\d+)\s*,\s*node=(\d+)\s*,\s*element=(\d+)\s*", text or "")
        if not m:
            raise ValueError(f"dispute: bad fault {text!r} (expected step=T,node=J,element=E)")
        return cls(int(m[1]), int(m[2]), int(m[3]))

    def check(self, program: Program, steps: int) -> None:
        """ValueError unless (t, j, e) names an element of a run of `steps` steps."""
        if not 0 <= self.t <= steps:
            raise ValueError(f"dispute: fault step {self.t} outside 0..{steps}")
        nodes = program.nodes(self.t)
        if not 0 <= self.j < len(nodes):
            raise ValueError(f"dispute: fault node {self.j} outside 0..{len(nodes) - 1}")
        if not 0 <= self.e < nodes[self.j].size:
            raise ValueError(f"dispute: fault element {self.e} outside 0..{nodes[self.j].size - 1}")

    def text(self) -> str:
        return f"step={self.t},node={self.j},element={self.e}"


def is_skipped(fraction: float, seed: int, task_id: int, t: int) -> bool:
    """Whether step t is faked under `--skip-steps fraction` (never step 0)."""
    if fraction <= 0 or t == 0:
        return False
    h = int.from_bytes(keccak(b"skip" + seed.to_bytes(32, "big") + task_id.to_bytes(32, "big")
                              + t.to_bytes(32, "big")), "big")
    return h < int(fraction * 2**256)


@dataclass(frozen=True)
class Skip:
    """`--skip-steps F --skip-seed S` for one task: which steps t >= 1 are faked."""

    fraction: float
    seed: int = 0
    task_id: int = 0

    def __post_init__(self) -> None:
        if not 0.0 <= self.fraction <= 1.0:
            raise ValueError(f"dispute: skip fraction must be in [0, 1], got {self.fraction}")

    def covers(self, t: int) -> bool:
        return is_skipped(self.fraction, self.seed, self.task_id, t)


def faked_step(program: Program, t: int, state: list[np.ndarray]) -> list[np.ndarray]:
    """Outputs of a faked step: the state slots copied, every other node output zero."""
    outs = [np.zeros((n.rows, n.cols), dtype=np.uint32) for n in program.nodes(t)]
    for s, arr in enumerate(state):
        j = program.state_node(t, s)
        outs[j] = np.array(arr, dtype=np.uint32).reshape(outs[j].shape)
    return outs


def _prev_view(program: Program, t: int, state: list[np.ndarray]) -> list[np.ndarray] | None:
    """Step t-1's outputs as far as step t reads them (its state nodes; the rest is empty)."""
    if t == 0:
        return None
    prev = [np.zeros(0, dtype=np.uint32) for _ in program.nodes(t - 1)]
    for s, arr in enumerate(state):
        prev[program.state_node(t - 1, s)] = arr
    return prev


def step_outputs(program: Program, t: int, state: list[np.ndarray], data: np.ndarray,
                 backend: str = "reference", fault: Fault | None = None,
                 skip: Skip | None = None) -> list[np.ndarray]:
    """uint32 outputs of every node of step t from the state after t-1, as this party computes them."""
    if skip is not None and skip.covers(t):
        return faked_step(program, t, state)
    outs = [np.array(o, dtype=np.uint32) for o in run_step(program, t, state, data, backend)]
    if fault is not None and fault.t == t:
        outs[fault.j].reshape(-1)[fault.e] ^= 1 << fault.bit  # a mantissa bit (the lowest by default)
        prev = _prev_view(program, t, state)
        nodes = program.nodes(t)
        for j in range(fault.j + 1, len(nodes)):  # carry on from the faulty value
            view = StepView(program, t, outs, prev, data)
            flat = np.array([micro_trace(view, j, e)[-1] for e in range(nodes[j].size)], dtype=np.uint32)
            outs[j] = flat.reshape(outs[j].shape)
    return outs


class PartyRun:
    """All the commitments of one party's run of `program` for `steps` steps with checkpoint
    interval `interval` (the task's c): the boundary step roots S_b(0)..S_b(n_b-1) (the run
    tree's leaves, `step_roots`) are computed while training; any other S_t, a segment's
    step roots and every node output are recomputed on demand from the nearest kept state."""

    def __init__(self, program: Program, data: np.ndarray, steps: int, backend: str = "reference",
                 fault: Fault | None = None, base: PartyRun | None = None, skip: Skip | None = None,
                 keep_every: int | None = None, _trained: bool = True, interval: int = 1,
                 spill: str | Path | None = None):
        """Train steps 0..T keeping the state after every `keep_every`-th step (default: every
        boundary) and after T, hashing only the boundary steps (or reuse `base`, the same run
        without fault or skip, up to the fault's step); with `spill`, the kept states are files
        in a private directory under it, not arrays in memory."""
        keep_every = interval if keep_every is None else keep_every
        if keep_every < 1:
            raise ValueError("dispute: keep_every must be at least 1")
        self.program, self.data, self.steps, self.backend = program, data, steps, backend
        self.fault, self.skip, self.keep_every = fault, skip, keep_every
        self.boundaries = boundaries(steps, interval)
        self.interval = interval
        if fault is not None:
            fault.check(program, steps)
        self._states: Mapping = DiskStates(spill) if spill is not None else {}
        self._cache: dict[int, list[np.ndarray]] = {}
        self._roots: dict[int, bytes] = {}  # S_t known to this party (boundaries, replayed segments)
        self.step_roots: list[bytes] = []
        if not _trained:
            return
        start, state = 0, []
        if base is not None and fault is not None and skip is None and fault.t > 0 \
                and base.interval == interval:
            start = fault.t
            state = base.state(start - 1)
            for k in list(base._states):
                if k < start and k % keep_every == 0:
                    self._states[k] = base._states[k]
            self._states[start - 1] = state
            self._roots = {b: r for b, r in base._roots.items() if b < start}
        for t in range(start, steps + 1):
            outs = step_outputs(program, t, state, data, backend, fault, skip)
            state = state_after(program, t, outs)
            if t % keep_every == 0 or t == steps:
                self._states[t] = state
            if is_boundary(t, steps, interval):
                self._roots[t] = merkle.root(node_roots(outs))
        self.step_roots = [self._roots[b] for b in self.boundaries]
        self.run_root = run_root(self.step_roots)

    @classmethod
    def from_states(cls, program: Program, data: np.ndarray, step_roots: list[bytes],
                    states: dict[int, list[np.ndarray]], backend: str = "reference",
                    fault: Fault | None = None, skip: Skip | None = None,
                    steps: int | None = None, interval: int = 1) -> PartyRun:
        """A run already computed (a solver's, from its checkpoints): its committed boundary
        step roots S_b(0)..S_b(n_b-1) and the states after some steps (a dict, or a lazy
        mapping used as it is, e.g. `states.StoreStates`); nothing is trained now. `steps`
        defaults to (n_b - 1) * interval."""
        if not step_roots:
            raise ValueError("dispute: a run has at least step 0")
        if steps is None:
            steps = (len(step_roots) - 1) * interval
        run = cls(program, data, steps, backend, fault, skip=skip, _trained=False, interval=interval)
        if len(step_roots) != len(run.boundaries):
            raise ValueError(f"dispute: {len(step_roots)} boundary roots for {len(run.boundaries)} boundaries")
        run.step_roots = list(step_roots)
        run._roots = dict(zip(run.boundaries, run.step_roots, strict=True))
        if isinstance(states, dict):
            run._states = {int(k): [np.asarray(a, dtype=np.uint32) for a in v] for k, v in states.items()}
        else:
            run._states = states
        run.run_root = run_root(run.step_roots)
        return run

    def state(self, t: int) -> list[np.ndarray]:
        """The state after step t (replayed from the nearest kept state at or before t)."""
        if t in self._states:
            return self._states[t]
        kept = [k for k in self._states if k < t]
        if not kept:
            k, state = -1, []
        else:
            k = max(kept)
            state = self._states[k]
        for u in range(k + 1, t + 1):
            state = state_after(self.program, u, self.outputs(u, state))
        return state

    def outputs(self, t: int, state: list[np.ndarray] | None = None) -> list[np.ndarray]:
        """uint32 outputs of every node of step t, as this party computes them (checked
        against its S_t when this party committed or computed one)."""
        if t in self._cache:
            return self._cache[t]
        if state is None:
            state = self.state(t - 1) if t > 0 else []
        outs = step_outputs(self.program, t, state, self.data, self.backend, self.fault, self.skip)
        root = merkle.root(node_roots(outs))
        if self._roots.get(t, root) != root:
            raise ValueError(f"dispute: step {t} recomputed does not match this party's step root")
        self._roots[t] = root
        if len(self._cache) >= OUTPUT_CACHE:
            self._cache.pop(next(iter(self._cache)))
        self._cache[t] = outs
        return outs

    def step_root(self, t: int) -> bytes:
        """S_t of this party (stored at a boundary, else recomputed by replay)."""
        if t not in self._roots:
            self.outputs(t)
        return self._roots[t]

    def segment(self, i: int) -> list[int]:
        """The steps b(i-1)..b(i) of segment i (1 <= i <= n_b - 1)."""
        if not 1 <= i < len(self.boundaries):
            raise ValueError(f"dispute: segment {i} outside 1..{len(self.boundaries) - 1}")
        return list(range(self.boundaries[i - 1], self.boundaries[i] + 1))

    def segment_roots(self, i: int) -> list[bytes]:
        """S_b(i-1), ..., S_b(i): the leaves of segment i, replayed from the state at b(i-1)."""
        steps = self.segment(i)
        state = self.state(steps[0])
        out = [self.step_root(steps[0])]
        for t in steps[1:]:
            outs = self.outputs(t, state)
            state = state_after(self.program, t, outs)
            out.append(self._roots[t])
        return out

    def node_roots(self, t: int) -> list[bytes]:
        return node_roots(self.outputs(t))

    def view(self, t: int) -> StepView:
        """What a micro-trace of step t reads (outputs of t and t-1, the dataset)."""
        prev = self.outputs(t - 1) if t > 0 else None
        return StepView(self.program, t, self.outputs(t), prev, self.data)

    def trace(self, t: int, j: int, e: int) -> list[int]:
        """s_0..s_K of element e of node j at step t; s_K is this party's claimed value."""
        tr = micro_trace(self.view(t), j, e)
        tr[-1] = int(self.outputs(t)[j].reshape(-1)[e])
        return tr

    def tensor_levels(self, t: int, j: int) -> list[list[bytes]]:
        return tensor_levels(self.outputs(t)[j].reshape(-1))
