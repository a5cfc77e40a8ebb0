"""Cost of committing a training step (hashing node outputs into S_t) against the step itself.

Trains the digits MLP (64-128-10, batch 32) and, optionally, the large MLP
(784-1024-1024-10, batch 256, synthetic data) with one backend, timing
separately the executor's step and the step root, and prints the hashing
cost as a fraction of the step time and the peak resident memory.

    python bench/commit_cost.py [--backend reference] [--steps 50] [--large-steps 2]
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout

from offchain.commit.roots import step_root
from offchain.runtime import compiler, dataset
from offchain.runtime.executor import run_step, state_after


def measure(program, data, steps: int, backend: str) -> tuple[float, float]:
    """Mean seconds per step for (execution, commitment), steps 1..steps."""
    state = state_after(program, 0, run_step(program, 0, [], data.train, backend))
    t_exec = t_hash = 0.0
    for t in range(1, steps + 1):
        a = time.perf_counter()
        outs = run_step(program, t, state, data.train, backend)
        b = time.perf_counter()
        step_root(outs)
        c = time.perf_counter()
        t_exec, t_hash = t_exec + (b - a), t_hash + (c - b)
        state = state_after(program, t, outs)
    return t_exec / steps, t_hash / steps


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--backend", default="reference")
    ap.add_argument("--steps", type=int, default=50)
    ap.add_argument("--large-steps", type=int, default=2, help="0 to skip the large MLP")
    args = ap.parse_args()
    digits = dataset.digits()
    prog = compiler.compile_model(compiler.TrainSpec("mlp"), digits)
    ex, h = measure(prog, digits, args.steps, args.backend)
    print(f"digits MLP [{args.backend}]: step {ex * 1e3:.2f} ms, commit {h * 1e3:.2f} ms")
    print(f"digits commit/step-time fraction: {h / ex:.2f}")
    if args.large_steps:
        syn = dataset.synthetic(2048, 784, 10)
        big = compiler.compile_mlp(compiler.MLPConfig((784, 1024, 1024, 10), 256, 0.1), syn.rows, syn.cols)
        ex, h = measure(big, syn, args.large_steps, args.backend)
        print(f"large MLP [{args.backend}]: step {ex * 1e3:.1f} ms, commit {h * 1e3:.1f} ms")
        print(f"large commit/step-time fraction: {h / ex:.2f}")
    print(f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
