"""Reproducibility overhead: training-step time of the fast executor vs native torch.

For two MLPs (the digits MLP 64-128-10 at batch 32, and a large MLP
784-1024-1024-10 at batch 256 on synthetic data) it times, side by side in
one process with the same thread count:

- fast: `offchain.runtime.fast.run_step` (numba, bit-reproducible op set v1),
  including its keccak batch sampler;
- reference: `offchain.runtime.reference.run_step` (torch, sequential
  k-loops), when present (few steps on the large model: it is slow);
- native: nn.Linear + ReLU + MSELoss + autograd + torch.optim.SGD on the
  same batch rows (indices drawn before timing).

It also prints the cost of committing a step (S_t over every node output
with the numba Merkle tree) as a fraction of the fast step time, the numba
vs merkle.py hashing speed, and peak memory. Medians of several repetitions
after a warm-up (numba compile excluded). Run: `python bench/repro_overhead.py`.
The last line is `fast/native step-time ratio: X.XX` for the digits MLP.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

import numba
import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from offchain.commit import keccak_numba  # noqa: E402
from offchain.runtime import fast  # noqa: E402
from offchain.runtime.program import Program  # noqa: E402

try:  # the compiler and the reference executor come from the runtime branch
    from offchain.runtime import compiler, dataset, reference
except ImportError:  # pragma: no cover - only before the runtime branch is merged
    compiler = dataset = reference = None


def state_after(program: Program, t: int, outs: list[np.ndarray]) -> list[np.ndarray]:
    return [outs[program.state_node(t, s)] for s in range(program.header.n_state)]


def median_time(fn, reps: int) -> float:
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


class Runner:
    """Steps an executor through t = 1, 2, ... carrying the state."""

    def __init__(self, step_fn, program: Program, data: np.ndarray):
        self.step_fn, self.program, self.data = step_fn, program, data
        self.outs = step_fn(program, 0, [], data)
        self.state = state_after(program, 0, self.outs)
        self.t = 0

    def step(self) -> None:
        self.t += 1
        self.outs = self.step_fn(self.program, self.t, self.state, self.data)
        self.state = state_after(self.program, self.t, self.outs)


def native_runner(widths: tuple[int, ...], data: np.ndarray, program: Program, lr: float):
    """A closure doing one native torch SGD step per call, on the executor's batch rows."""
    h = program.header
    f = torch.from_numpy(np.ascontiguousarray(data).view(np.float32).copy())
    x_all, y_all = f[:, : widths[0]].contiguous(), f[:, widths[0] :].contiguous()
    layers: list[torch.nn.Module] = []
    for i in range(len(widths) - 1):
        layers.append(torch.nn.Linear(widths[i], widths[i + 1]))
        if i < len(widths) - 2:
            layers.append(torch.nn.ReLU())
    model = torch.nn.Sequential(*layers)
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    loss_fn = torch.nn.MSELoss()
    batches = [torch.from_numpy(keccak_numba.batch_rows(h.seed, t, h.batch, h.data_rows)) for t in range(1, 65)]
    it = iter(range(10**9))

    def step() -> None:
        rows = batches[next(it) % len(batches)]
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(x_all[rows]), y_all[rows])
        loss.backward()
        opt.step()

    return step


def traced_peak(fn) -> int:
    """Peak bytes allocated through Python/numpy allocators while fn runs."""
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def build(name: str) -> tuple[Program, np.ndarray, tuple[int, ...], float]:
    if compiler is None:
        sys.exit("repro_overhead: offchain/runtime/compiler.py is missing (merge the runtime branch)")
    if name == "digits":
        data = dataset.digits()
        widths, batch = (64, 128, 10), 32
    else:
        data = dataset.synthetic(2048, 784, 10, seed=3)
        widths, batch = (784, 1024, 1024, 10), 256
    cfg = compiler.MLPConfig(widths, batch, 0.1, 1)
    program = compiler.compile_mlp(cfg, data.rows, data.cols)
    return program, data.train, widths, cfg.lr


def bench_model(name: str, reps: int, ref_reps: int) -> float:
    program, data, widths, lr = build(name)
    words = sum(n.size for n in program.step)
    print(f"\n== {name} MLP {'-'.join(map(str, widths))}, batch {program.header.batch}, "
          f"{len(program.step)} step nodes, {words:,} output words per step")

    fast_run = Runner(fast.run_step, program, data)
    for _ in range(3):  # warm-up: numba compile or cache load
        fast_run.step()
    t_fast = median_time(fast_run.step, reps)

    native = native_runner(widths, data, program, lr)
    for _ in range(3):
        native()
    t_native = median_time(native, reps)

    print(f"fast step       {t_fast * 1e3:9.3f} ms")
    print(f"native step     {t_native * 1e3:9.3f} ms")
    if reference is not None:
        ref_run = Runner(reference.run_step, program, data)
        ref_run.step()
        t_ref = median_time(ref_run.step, ref_reps)
        print(f"reference step  {t_ref * 1e3:9.3f} ms  (reference/native {t_ref / t_native:.2f}, "
              f"reference/fast {t_ref / t_fast:.2f})")
    else:
        print("reference step  skipped: offchain/runtime/reference.py is not on this branch")

    outs = fast_run.outs
    t_commit = median_time(lambda: keccak_numba.step_root(outs), max(3, reps // 4))
    print(f"commit S_t      {t_commit * 1e3:9.3f} ms  ({t_commit / t_fast:.2f} of a fast step; "
          f"{words / 8 / t_commit / 1e6:.2f} M leaves/s)")
    print(f"peak traced memory of one step: fast {traced_peak(fast_run.step) / 2**20:.1f} MiB, "
          f"native {traced_peak(native) / 2**20:.1f} MiB (numpy/Python allocations; torch's allocator is not traced)")
    return t_fast / t_native


def bench_hashing() -> None:
    """numba keccak Merkle vs merkle.py (eth_hash) on the same tensor."""
    from offchain.commit import merkle

    words = np.random.default_rng(0).integers(0, 2**32, 1 << 16, dtype=np.uint64).astype(np.uint32)
    raw = words.astype(">u4").tobytes()
    leaves = [raw[i : i + 32] for i in range(0, len(raw), 32)]
    keccak_numba.merkle_root_u32(words)
    t_py = median_time(lambda: merkle.root(leaves), 3)
    t_nb = median_time(lambda: keccak_numba.merkle_root_u32(words), 7)
    print(f"tensor root of 65,536 words: numba {t_nb * 1e3:.2f} ms, merkle.py {t_py * 1e3:.2f} ms "
          f"(numba {t_py / t_nb:.1f}x faster)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=1, help="torch and numba threads (default 1)")
    ap.add_argument("--reps", type=int, default=30, help="timed steps per executor (median)")
    ap.add_argument("--ref-reps", type=int, default=3, help="timed reference steps (median)")
    ap.add_argument("--skip-large", action="store_true", help="only the digits MLP")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    numba.set_num_threads(args.threads)
    cfg = torch.__config__.show()
    blas = next((p.split("=", 1)[1] for p in cfg.replace(",", "\n").split() if p.startswith("BLAS_INFO=")), "?")
    print(f"threads: torch {torch.get_num_threads()}, numba {numba.get_num_threads()} "
          f"(layer {numba.config.THREADING_LAYER}); cpu count {os.cpu_count()}")
    print(f"torch {torch.__version__} BLAS {blas}, mkldnn {torch.backends.mkldnn.is_available()}, "
          f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '(unset)')}; numba {numba.__version__}")
    bench_hashing()

    large = None
    if not args.skip_large:
        large = bench_model("large", max(5, args.reps // 3), args.ref_reps)
    digits = bench_model("digits", args.reps, max(args.ref_reps, 10))
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak resident memory of the whole run: {rss:.0f} MiB")
    if large is not None:
        print(f"large fast/native step-time ratio: {large:.2f}")
    print(f"fast/native step-time ratio: {digits:.2f}")


if __name__ == "__main__":
    main()
