"""Accuracy of the defined float32 exp, log, tanh (and the exact div, sqrt) against float64.

Sweeps the useful range of each function with the numba kernels of
offchain/runtime/fast_v2.py (bit-identical to the scalar definitions in
offchain/runtime/f32.py; a sample is cross-checked here) and prints, per
function, the worst error in units in the last place of the float32 result
(ulp of the correctly rounded value; 2^-149 for subnormals) and the share of
correctly rounded results. div and sqrt must show 0.5 ulp and 100 %.

    python bench/f32_accuracy.py [--points N]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from offchain.runtime import f32, fast_v2  # noqa: E402


def _ulp_errors(got: np.ndarray, exact: np.ndarray) -> tuple[float, float]:
    """(max error in ulp, fraction correctly rounded) of float32 `got` vs float64 `exact`."""
    with np.errstate(all="ignore"):
        rounded = exact.astype(np.float32)
        ulp = np.spacing(np.abs(rounded)).astype(np.float64)
        ulp = np.maximum(ulp, 2.0**-149)
        err = np.abs(got.astype(np.float64) - exact) / ulp
    ok = np.isfinite(exact) & np.isfinite(rounded)
    return float(err[ok].max()), float(np.mean(got[ok] == rounded[ok]))


def _run(kernel, x: np.ndarray) -> np.ndarray:
    out = np.empty_like(x)
    kernel(x, out)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=int, default=2_000_000)
    n = ap.parse_args().points
    rng = np.random.default_rng(0)
    rows = []
    # exp: every result from the smallest subnormal to the largest finite value
    x = np.linspace(-103.9, 88.72, n).astype(np.float32)
    rows.append(("exp", "[-103.9, 88.72]", _run(fast_v2.vec_exp, x), np.exp(x.astype(np.float64))))
    x = rng.uniform(-1, 1, n).astype(np.float32)
    rows.append(("exp", "[-1, 1]", _run(fast_v2.vec_exp, x), np.exp(x.astype(np.float64))))
    # log: random bit patterns over all positive finite floats (subnormals included)
    x = rng.integers(1, 0x7F800000, n, dtype=np.int64).astype(np.uint32).view(np.float32)
    rows.append(("log", "all positive finite", _run(fast_v2.vec_log, x), np.log(x.astype(np.float64))))
    x = rng.uniform(0.5, 2.0, n).astype(np.float32)
    rows.append(("log", "[0.5, 2]", _run(fast_v2.vec_log, x), np.log(x.astype(np.float64))))
    x = rng.uniform(-10, 10, n).astype(np.float32)
    rows.append(("tanh", "[-10, 10]", _run(fast_v2.vec_tanh, x), np.tanh(x.astype(np.float64))))
    x = rng.uniform(-1, 1, n).astype(np.float32)
    rows.append(("tanh", "[-1, 1]", _run(fast_v2.vec_tanh, x), np.tanh(x.astype(np.float64))))
    a = rng.integers(0, 0x7F800000, n, dtype=np.int64).astype(np.uint32).view(np.float32)
    b = rng.integers(1, 0x7F800000, n, dtype=np.int64).astype(np.uint32).view(np.float32)
    with np.errstate(all="ignore"):
        rows.append(("div", "positive finite bits", (a / b).astype(np.float32),
                     a.astype(np.float64) / b.astype(np.float64)))
    rows.append(("sqrt", "positive finite bits", np.sqrt(a), np.sqrt(a.astype(np.float64))))
    # the kernels equal the scalar definitions (a sample; the tests check more)
    for name, kern in (("exp", fast_v2.vec_exp), ("log", fast_v2.vec_log), ("tanh", fast_v2.vec_tanh)):
        xs = rng.uniform(-90, 90, 2000).astype(np.float32)
        if name == "log":
            xs = np.abs(xs)
        got = _run(kern, xs).view(np.uint32)
        want = np.array([getattr(f32, name)(int(v)) for v in xs.view(np.uint32)], dtype=np.uint32)
        if not np.array_equal(got, want):
            raise SystemExit(f"f32_accuracy: numba {name} differs from the scalar definition")
    print(f"{'fn':5} {'range':22} {'points':>9} {'max ulp':>8} {'correctly rounded':>18}")
    worst = 0.0
    for name, rng_s, got, exact in rows:
        mx, cr = _ulp_errors(got, exact)
        worst = max(worst, mx)
        print(f"{name:5} {rng_s:22} {len(got):9d} {mx:8.3f} {100 * cr:17.2f}%")
    print(f"f32 max ulp: {worst:.3f}")


if __name__ == "__main__":
    main()
