"""The honest solver's cost: reproducible training plus commitments vs native torch.

For two MLPs (the digits MLP 64-128-10 at batch 32, and a large MLP
784-1024-1024-10 at batch 256 on synthetic data) it times, side by side in
one process with the same thread count, alternating one step of each:

- fast: `offchain.runtime.fast.run_step` (numba, bit-reproducible op set v1),
  including its keccak batch sampler;
- native: nn.Linear + ReLU + MSELoss + autograd + torch.optim.SGD on the
  same batch rows in the same order, same widths and learning rate;
- commit: `offchain.commit.roots.step_root` over the step's node outputs (S_t),
  which the solver computes at boundary steps only, every c steps, c = the
  default checkpoint interval of the agents (`solver_step_time`);
- reference: the torch reference executor, a few steps (it is slow).

Then the verifier's cost at the default sampling (replayed steps and seconds
per sampled step, verifier work over solver work) and the whole-process
figure a user feels: `python -m offchain train` (1,000 digits steps, default
backend, warm numba cache) over a plain torch script doing the same 1,000
steps, both as fresh subprocesses. Medians after a warm-up.
Run: `python bench/repro_overhead.py [--threads N]`. The last line is
`solver/native step-time ratio (train+commit): X.XX` for the digits MLP.
"""

from __future__ import annotations

import argparse
import inspect
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import numba
import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from offchain.commit import keccak_numba, roots  # noqa: E402
from offchain.config import Settings  # noqa: E402
from offchain.roles.sampling import sample_steps  # noqa: E402
from offchain.roles.submit import build_spec  # noqa: E402
from offchain.runtime import compiler, dataset, fast, reference  # noqa: E402
from offchain.runtime.program import Program  # noqa: E402
from offchain.runtime.replay import replay_from_start  # noqa: E402

TRAIN_STEPS = 1000  # the whole-process figure and the verifier's task length


def default_interval() -> int:
    """c: the checkpoint interval a submitted task gets by default (submit.build_spec,
    the `submit` command and the demo use the same value)."""
    return int(inspect.signature(build_spec).parameters["checkpoint_interval"].default)


def state_after(program: Program, t: int, outs: list[np.ndarray]) -> list[np.ndarray]:
    return [outs[program.state_node(t, s)] for s in range(program.header.n_state)]


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
    """A closure doing one native torch SGD step per call on the executor's batch rows, in order."""
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
    batches = [torch.from_numpy(keccak_numba.batch_rows(h.seed, t, h.batch, h.data_rows)) for t in range(1, 129)]
    it = iter(range(10**9))

    def step() -> None:
        rows = batches[next(it) % len(batches)]
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(x_all[rows]), y_all[rows])
        loss.backward()
        opt.step()

    return step


def side_by_side(fns: list, reps: int) -> list[float]:
    """Median wall time of each fn, calling them in turn so that both see the same machine load."""
    times: list[list[float]] = [[] for _ in fns]
    for _ in range(reps):
        for i, fn in enumerate(fns):
            t0 = time.perf_counter()
            fn()
            times[i].append(time.perf_counter() - t0)
    return [statistics.median(t) for t in times]


def solver_step_time(step, commit, c: int, reps: int, native=None) -> dict[str, float]:
    """The honest solver's time per step: median training step + median step-root time / c.

    `step()` runs one exact training step, `commit()` computes S_t of the latest
    step (done at boundary steps only, one in c). With `native`, a native
    torch step is timed in turn with the training step. Point `step`/`commit`
    at the real training loop to measure it instead of the executor alone.
    """
    fns = [step] + ([native] if native is not None else [])
    meds = side_by_side(fns, reps)
    t_commit = statistics.median(side_by_side([commit], max(3, reps // 4)))
    out = {"step": meds[0], "commit": t_commit, "solver": meds[0] + t_commit / c}
    if native is not None:
        out["native"] = meds[1]
    return out


def build(name: str) -> tuple[Program, np.ndarray, tuple[int, ...], float]:
    if name == "digits":
        data = dataset.digits()
        widths, batch = (64, 128, 10), 32
    else:
        data = dataset.synthetic(2048, 784, 10, seed=3)
        widths, batch = (784, 1024, 1024, 10), 256
    cfg = compiler.MLPConfig(widths, batch, 0.1, 1)
    program = compiler.compile_mlp(cfg, data.rows, data.cols)
    return program, data.train, widths, cfg.lr


def bench_model(name: str, reps: int, ref_reps: int, c: int) -> dict[str, float]:
    program, data, widths, lr = build(name)
    words = sum(n.size for n in program.step)
    print(f"\n== {name} MLP {'-'.join(map(str, widths))}, batch {program.header.batch}, "
          f"{len(program.step)} step nodes, {words:,} output words per step")
    run = Runner(fast.run_step, program, data)
    native = native_runner(widths, data, program, lr)
    for _ in range(3):  # warm-up: numba cache load, torch allocator
        run.step()
        native()
        roots.step_root(run.outs)
    r = solver_step_time(run.step, lambda: roots.step_root(run.outs), c, reps, native)
    print(f"fast step       {r['step'] * 1e3:9.3f} ms")
    print(f"native step     {r['native'] * 1e3:9.3f} ms  (fast/native {r['step'] / r['native']:.2f})")
    print(f"step root S_t   {r['commit'] * 1e3:9.3f} ms  ({r['commit'] / r['step']:.2f} of a fast step, "
          f"{words / 8 / r['commit'] / 1e6:.1f} M leaves/s); once every c = {c} steps: "
          f"{r['commit'] / c * 1e3:.3f} ms per step")
    print(f"solver step     {r['solver'] * 1e3:9.3f} ms  (train + commit/c)")
    sweep = ", ".join(f"c = {k}: {(r['step'] + r['commit'] / k) / r['native']:.2f}" for k in (1, c, 20, 50, 100))
    print(f"solver/native by checkpoint interval: {sweep}")
    if ref_reps:
        ref = Runner(reference.run_step, program, data)
        ref.step()
        t_ref = statistics.median(side_by_side([ref.step], ref_reps))
        print(f"reference step  {t_ref * 1e3:9.3f} ms  (reference/native {t_ref / r['native']:.2f})")
    r["ratio"] = r["solver"] / r["native"]
    r["program"], r["data"] = program, data
    return r


def verifier_cost(name: str, r: dict[str, float], samples: int, c: int, measure: bool) -> None:
    """Replayed steps and seconds per sampled step; verifier over solver work for a T-step task.

    The verifier replays from S_0 through its last sampled step, computing S_t of
    every replayed step (offchain/runtime/replay.replay_from_start). With
    `measure`, that replay is run for real (T = TRAIN_STEPS, one draw);
    the work ratio uses the expected last sample of s uniform draws,
    s (T + 1) / (s + 1), over the solver's T steps.
    """
    T = TRAIN_STEPS
    expected = samples * (T + 1) / (samples + 1)
    per_replayed = r["step"] + r["commit"]
    if measure:
        steps = sample_steps(b"\x42" * 32, "0x" + "11" * 20, 1, T, samples)
        t0 = time.perf_counter()
        mine, _, _ = replay_from_start(r["program"], r["data"], max(steps), "fast")
        secs = time.perf_counter() - t0
        per_replayed = secs / len(mine)
        print(f"verifier ({name}, T = {T}, {samples} sampled steps {steps}): replayed {len(mine)} steps "
              f"from S_0 in {secs:.2f} s = {secs / samples:.3f} s per sampled step")
    else:
        print(f"verifier ({name}, T = {T}, {samples} sampled steps): replays {expected:.0f} steps on "
              f"average at {per_replayed * 1e3:.1f} ms (step + S_t) = "
              f"{expected * per_replayed / samples:.2f} s per sampled step (modelled)")
    ratio = expected * per_replayed / (T * r["solver"])
    print(f"{name} verifier/solver work at the default sampling ({samples} steps): {ratio:.2f} "
          f"(expected replay {expected:.0f} steps with S_t each, solver {T} steps + {T // c} roots)")


TORCH_SCRIPT = textwrap.dedent("""
    import sys, numpy as np, torch
    torch.set_num_threads(int(sys.argv[2]))
    from sklearn.datasets import load_digits
    d = load_digits()
    x = torch.tensor(d.data / 16.0, dtype=torch.float32)
    y = torch.eye(10)[torch.tensor(d.target)]
    held = torch.arange(len(x)) % 5 == 4
    x, y = x[~held], y[~held]
    rows = torch.from_numpy(np.load(sys.argv[1]))
    torch.manual_seed(1)
    model = torch.nn.Sequential(torch.nn.Linear(64, 128), torch.nn.ReLU(), torch.nn.Linear(128, 10))
    opt = torch.optim.SGD(model.parameters(), lr=1.0)
    loss_fn = torch.nn.MSELoss()
    for t in range(rows.shape[0]):
        opt.zero_grad(set_to_none=True)
        loss_fn(model(x[rows[t]]), y[rows[t]]).backward()
        opt.step()
    print("loss", float(loss_fn(model(x), y)))
""")


def train_wall_ratio(threads: int, runs: int) -> float:
    """`python -m offchain train` (defaults: fast backend, digits MLP, batch 32) over a plain
    torch script with the same model, rows and steps; fresh subprocesses, warm numba cache.
    The torch script gets its batch rows precomputed (no sampling cost)."""
    data = dataset.digits()
    spec = compiler.TrainSpec()
    program = compiler.compile_model(spec, data)
    h = program.header
    env = dict(os.environ, NUMBA_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads),
               MKL_NUM_THREADS=str(threads))
    with tempfile.TemporaryDirectory() as tmp:
        rows = np.stack([keccak_numba.batch_rows(h.seed, t, h.batch, h.data_rows) for t in range(1, TRAIN_STEPS + 1)])
        np.save(f"{tmp}/rows.npy", rows)
        Path(f"{tmp}/plain.py").write_text(TORCH_SCRIPT)
        ours = [sys.executable, "-m", "offchain", "train", "--steps", str(TRAIN_STEPS), "--quiet", "--out", f"{tmp}/run"]
        plain = [sys.executable, f"{tmp}/plain.py", f"{tmp}/rows.npy", str(threads)]

        def timed(cmd) -> float:
            t0 = time.perf_counter()
            subprocess.run(cmd, cwd=ROOT, env=env, check=True, capture_output=True)
            return time.perf_counter() - t0

        timed(ours)  # warm: numba cache in place, files in the page cache
        timed(plain)
        t_ours, t_plain = [], []
        for _ in range(runs):
            t_ours.append(timed(ours))
            t_plain.append(timed(plain))
    a, b = statistics.median(t_ours), statistics.median(t_plain)
    print(f"\npython -m offchain train ({TRAIN_STEPS} digits steps): {a:.2f} s; plain torch script: {b:.2f} s "
          f"(medians of {runs} fresh processes each)")
    return a / b


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=1, help="torch and numba threads, both sides (default 1)")
    ap.add_argument("--reps", type=int, default=40, help="timed steps per executor (median)")
    ap.add_argument("--ref-reps", type=int, default=2, help="timed reference steps (median; 0: skip)")
    ap.add_argument("--train-runs", type=int, default=3, help="whole-process runs of each side (median)")
    ap.add_argument("--skip-large", action="store_true", help="only the digits MLP")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    numba.set_num_threads(args.threads)
    c = default_interval()
    samples = Settings().samples
    cfg = torch.__config__.show()
    blas = next((p.split("=", 1)[1] for p in cfg.replace(",", "\n").split() if p.startswith("BLAS_INFO=")), "?")
    print(f"threads: torch {torch.get_num_threads()}, numba {numba.get_num_threads()} "
          f"(layer {numba.config.THREADING_LAYER}); cpu count {os.cpu_count()}; load average "
          f"{os.getloadavg()[0]:.1f}")
    print(f"torch {torch.__version__} BLAS {blas}; numba {numba.__version__}; default backend "
          f"{Settings().backend}; c = {c} (default checkpoint interval); verifier samples = {samples}")

    large = None
    if not args.skip_large:
        large = bench_model("large", max(7, args.reps // 3), args.ref_reps, c)
        verifier_cost("large", large, samples, c, measure=False)
    digits = bench_model("digits", args.reps, max(args.ref_reps, 5) if args.ref_reps else 0, c)
    verifier_cost("digits", digits, samples, c, measure=True)
    wall = train_wall_ratio(args.threads, args.train_runs)
    print()
    if large is not None:
        print(f"large solver/native step-time ratio (train+commit): {large['ratio']:.2f}")
    print(f"train wall ratio ({TRAIN_STEPS} digits steps, warm): {wall:.2f}")
    print(f"solver/native step-time ratio (train+commit): {digits['ratio']:.2f}")


if __name__ == "__main__":
    main()
