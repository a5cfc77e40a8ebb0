"""Reproducible training: run a compiled program, commit every step, keep checkpoints.

`train` runs step 0 (initialisation) and steps 1..T with one backend,
computes S_t for every step as it goes, writes a content-addressed
checkpoint of the state every `interval` steps (and at step 0 and T), and
ends with the run root R and the held-out accuracy, all recorded in the
output directory's index.json.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..commit.roots import run_root, step_root
from . import checkpoint
from .compiler import accuracy
from .dataset import Dataset
from .executor import run_step, state_after, validate
from .program import Program


@dataclass
class TrainResult:
    run_root: bytes
    step_roots: list[bytes]  # S_0..S_T
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
    for t in range(steps + 1):
        outputs = run_step(program, t, state, data.train, backend)
        state = state_after(program, t, outputs)
        step_roots.append(step_root(outputs))
        if out is not None and (t % interval == 0 or t == steps):
            checkpoints[t] = checkpoint.write(out, proot, t, state)
        if on_step is not None:
            on_step(t, (t + 1) / (steps + 1))
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
