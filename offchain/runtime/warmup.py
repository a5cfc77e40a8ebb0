"""Compile every numba kernel once, so that no user run pays for compilation.

`warmup()` runs step 0 and step 1 of a small MLP and a small CNN on the
digits dataset through the fast backend, commits them (step roots, a tensor
big enough for the parallel hashing path, a root over leaves) and calls the
elementwise kernels no built-in model uses, with the same argument types as a
real run. The kernels are compiled with `cache=True`, so the machine code
lands in numba's cache (offchain/jitcache.py) and later processes load it.
`make setup` runs it (`python -m offchain warmup`); a second run only loads.
"""

from __future__ import annotations

import time

import numpy as np

from ..commit import keccak_numba, roots
from . import compiler, dataset, fast
from .executor import run_step, state_after

# a tensor with more than keccak_lanes._PAR_MIN pairs of leaves
_BIG_WORDS = 16 * 4096 + 16 * 8 + 5


def warmup() -> float:
    """Compile (or load) the kernels; returns the seconds it took."""
    t0 = time.perf_counter()
    data = dataset.load("digits")
    for model, hidden in (("mlp", (16,)), ("cnn", ())):
        spec = compiler.TrainSpec(model, 4, None, 1, hidden or compiler.TrainSpec.hidden)
        program = compiler.compile_model(spec, data)
        state: list[np.ndarray] = []
        for t in (0, 1):
            outs = run_step(program, t, state, data.train, "fast")
            state = state_after(program, t, outs)
            roots.step_root(outs)
            keccak_numba.step_root(outs)
    words = np.arange(_BIG_WORDS, dtype=np.uint32)
    keccak_numba.merkle_root_u32(words)
    keccak_numba.merkle_root_leaves(np.zeros((5, 32), dtype=np.uint8))
    x = np.ones(7, dtype=np.float32)
    out = np.empty(7, dtype=np.float32)
    for opc in (5, 6, 7):
        fast._binary(opc, x, x, out)
    fast._scale(x, np.float32(0.5), out)
    fast._sum_axis1(x.reshape(7, 1), out)
    m = np.ones((6, 6), dtype=np.float32)
    fast._matmul(m, m, False, True, 3, np.empty((6, 6), dtype=np.float32))  # the parallel driver (big nodes)
    return time.perf_counter() - t0
