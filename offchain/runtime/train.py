"""Reproducible training: run a compiled program, commit the boundary steps, keep checkpoints.

`boundary_steps` is the one training loop of the project (`train` and the solver
daemon both use it): it runs steps start..T with one backend (or a party's
own step function) and hashes a step's node outputs only at the boundary
steps b(i) = min(i * c, T) of the checkpoint interval c (docs/reproducible-
ops.md section 6), which are also the steps checkpointed. `train` runs step 0
(initialisation) and steps 1..T, writes a content-addressed checkpoint of the
state at every boundary, and ends with the run root R (over the boundary step
roots) and the held-out accuracy, all recorded in the output directory's
index.json.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..commit import merkle
from ..commit.roots import is_boundary, node_roots, run_root
from . import checkpoint
from .compiler import accuracy
from .dataset import Dataset
from .executor import run_step, state_after, validate
from .program import Program

#: a party's step function: (t, state after t-1) -> uint32 outputs of every node of step t
StepFn = Callable[[int, list[np.ndarray]], list[np.ndarray]]


@dataclass
class Boundary:
    """What `boundary_steps` yields after a boundary step t: the state, the node output roots
    and S_t (their Merkle root)."""

    t: int
    state: list[np.ndarray]
    node_roots: list[bytes]
    step_root: bytes


def boundary_steps(program: Program, data: np.ndarray, steps: int, interval: int, backend: str = "reference",
              start: int = 0, state: list[np.ndarray] | None = None, step_fn: StepFn | None = None,
              on_step: Callable[[int], None] | None = None) -> Iterator[Boundary]:
    """Run steps start..T from `state` (the state after start - 1) and yield a `Boundary`
    after every boundary step; no other step is hashed. `on_step(t)` runs before step t
    (it may raise to stop)."""
    if steps < 0:
        raise ValueError("train: steps must be >= 0")
    if interval < 1:
        raise ValueError("train: checkpoint interval must be >= 1")
    fn = step_fn or (lambda t, st: run_step(program, t, st, data, backend))
    cur = list(state or [])
    for t in range(start, steps + 1):
        if on_step is not None:
            on_step(t)
        outputs = fn(t, cur)
        cur = state_after(program, t, outputs)
        if is_boundary(t, steps, interval):
            nroots = node_roots(outputs)
            yield Boundary(t, cur, nroots, merkle.root(nroots))


@dataclass
class TrainResult:
    run_root: bytes
    step_roots: list[bytes]  # the boundary step roots S_b(0)..S_b(n_b-1) (the run tree's leaves)
    state: list[np.ndarray]  # slots after step T
    accuracy: float  # held-out
    index: checkpoint.RunIndex


def train(program: Program, data: Dataset, steps: int, out_dir: str | Path | None = None,
          backend: str = "reference", interval: int = 100,
          on_step: Callable[[int, float], None] | None = None) -> TrainResult:
    """Train for `steps` steps; write checkpoints and index.json to out_dir when given.

    `on_step(t, running_fraction_done)` is called after each step (for progress bars).
    """
    if steps < 0:
        raise ValueError("train: steps must be >= 0")
    if interval < 1:
        raise ValueError("train: checkpoint interval must be >= 1")
    validate(program)
    out = Path(out_dir) if out_dir is not None else None
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
    proot = program.root()
    checkpoints: dict[int, str] = {}
    step_roots: list[bytes] = []
    state: list[np.ndarray] = []

    def progress(t: int) -> None:
        if on_step is not None and t > 0:
            on_step(t - 1, t / (steps + 1))

    for b in boundary_steps(program, data.train, steps, interval, backend, on_step=progress):
        state = b.state
        step_roots.append(b.step_root)
        if out is not None:
            checkpoints[b.t] = checkpoint.write(out, proot, b.t, state)
    if on_step is not None:
        on_step(steps, 1.0)
    acc = accuracy(program, state, data.test_x, data.test_y)
    rroot = run_root(step_roots)
    index = checkpoint.RunIndex(
        program=checkpoint.program_to_json(program), meta=program.meta, dataset=data.name,
        data_root="0x" + data.root().hex(), steps=steps, interval=interval, backend=backend,
        checkpoints=checkpoints, step_roots=["0x" + r.hex() for r in step_roots],
        run_root="0x" + rroot.hex(), accuracy=acc)
    if out is not None:
        index.save(out)
    return TrainResult(rroot, step_roots, state, acc, index)
