"""A party's view of a training run: every step root, node output and micro-trace it claims.

`PartyRun` trains a program from step 0 to T (keeping the state after every
step in memory), and can recompute the node outputs of any step. With a
`Fault(t, j, e)` it is the faulty solver of the demo: after node j of step t
is computed, the lowest mantissa bit of element e is flipped and the run
carries on from the faulty value (the later nodes of step t are recomputed
element by element with `micro`, the later steps by the executor).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..commit import merkle
from ..commit.roots import node_roots, run_root
from ..commit.tensor import tensor_levels
from ..commit.trace import StepView, micro_trace
from ..runtime.executor import run_step, state_after
from ..runtime.program import Program


@dataclass(frozen=True)
class Fault:
    """Where a faulty run flips the lowest mantissa bit: step t, node j, element e."""

    t: int
    j: int
    e: int

    @classmethod
    def parse(cls, text: str) -> Fault:
        """From `step=T,node=J,element=E`."""
        try:
            kv = dict(part.split("=", 1) for part in text.split(","))
            return cls(int(kv["step"]), int(kv["node"]), int(kv["element"]))
        except (KeyError, ValueError) as exc:
            raise ValueError(f"dispute: bad fault {text!r} (expected step=T,node=J,element=E)") from exc


class PartyRun:
    """All the commitments of one party's run of `program` for `steps` steps."""

    def __init__(self, program: Program, data: np.ndarray, steps: int, backend: str = "reference",
                 fault: Fault | None = None, base: PartyRun | None = None):
        """Train (or reuse `base`, an identical run without fault, up to the fault's step)."""
        self.program, self.data, self.steps, self.backend, self.fault = program, data, steps, backend, fault
        if fault is not None:
            self._check_fault(fault)
        self._states: list[list[np.ndarray]] = []
        self.step_roots: list[bytes] = []
        start = 0
        if base is not None and fault is not None:
            start = fault.t
            self._states = list(base._states[:start])
            self.step_roots = list(base.step_roots[:start])
        for t in range(start, steps + 1):
            outs = self.outputs(t)
            self._states.append(state_after(program, t, outs))
            self.step_roots.append(merkle.root(node_roots(outs)))
        self.run_root = run_root(self.step_roots)
        self._cache: dict[int, list[np.ndarray]] = {}

    def _check_fault(self, f: Fault) -> None:
        if not 0 <= f.t <= self.steps:
            raise ValueError(f"dispute: fault step {f.t} outside 0..{self.steps}")
        nodes = self.program.nodes(f.t)
        if not 0 <= f.j < len(nodes):
            raise ValueError(f"dispute: fault node {f.j} outside 0..{len(nodes) - 1}")
        if not 0 <= f.e < nodes[f.j].size:
            raise ValueError(f"dispute: fault element {f.e} outside 0..{nodes[f.j].size - 1}")

    def outputs(self, t: int) -> list[np.ndarray]:
        """uint32 outputs of every node of step t, as this party computes them."""
        cache = getattr(self, "_cache", None)
        if cache is not None and t in cache:
            return cache[t]
        state = self._states[t - 1] if t > 0 else []
        outs = [np.array(o, dtype=np.uint32) for o in run_step(self.program, t, state, self.data, self.backend)]
        f = self.fault
        if f is not None and f.t == t:
            outs[f.j].reshape(-1)[f.e] ^= 1  # lowest mantissa bit
            prev = self.outputs(t - 1) if t > 0 else None
            nodes = self.program.nodes(t)
            for j in range(f.j + 1, len(nodes)):  # carry on from the faulty value
                view = StepView(self.program, t, outs, prev, self.data)
                flat = np.array([micro_trace(view, j, e)[-1] for e in range(nodes[j].size)], dtype=np.uint32)
                outs[j] = flat.reshape(outs[j].shape)
        if cache is not None:
            if len(cache) >= 3:
                cache.pop(next(iter(cache)))
            cache[t] = outs
        return outs

    def node_roots(self, t: int) -> list[bytes]:
        return node_roots(self.outputs(t))

    def view(self, t: int) -> StepView:
        """What a micro-trace of step t reads (outputs of t and t-1, the dataset)."""
        return StepView(self.program, t, self.outputs(t), self.outputs(t - 1) if t > 0 else None, self.data)

    def trace(self, t: int, j: int, e: int) -> list[int]:
        """s_0..s_K of element e of node j at step t; s_K is this party's claimed value."""
        tr = micro_trace(self.view(t), j, e)
        tr[-1] = int(self.outputs(t)[j].reshape(-1)[e])
        return tr

    def tensor_levels(self, t: int, j: int) -> list[list[bytes]]:
        return tensor_levels(self.outputs(t)[j].reshape(-1))
