"""Compile every numba kernel once, so that no user run pays for compilation.

`warmup()` runs step 0 and step 1 of a small MLP and a small CNN on the
digits dataset through the fast backend, and of a small op set v2 program
(softmax cross-entropy and AdamW, with one metric node of every other v2
opcode inserted: `v2_catalogue`), commits them (step roots, a tensor
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
from . import opcodes as oc
from .executor import run_step, state_after, validate
from .opcodes import Op, Ref
from .program import Node, Program

# a tensor with more than keccak_lanes._PAR_MIN pairs of leaves
_BIG_WORDS = 16 * 4096 + 16 * 8 + 5


def warmup() -> float:
    """Compile (or load) the kernels; returns the seconds it took."""
    t0 = time.perf_counter()
    data = dataset.load("digits")
    programs = [compiler.compile_model(compiler.TrainSpec(model, 4, None, 1, hidden or compiler.TrainSpec.hidden),
                                       data) for model, hidden in (("mlp", (16,)), ("cnn", ()))]
    for program in programs + [v2_catalogue(data)]:
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


def v2_catalogue(data) -> Program:
    """An xent/AdamW MLP (hidden 4, batch 2) with a metric node of every op set v2 opcode the
    MLP does not use inserted after its perplexity node (10): DIV, SQRT, RSQRT, LOG, SOFTMAX(_BWD),
    GELU(_BWD), layer norm, EMBEDDING(_BWD) and BMATMUL (causal and not)."""
    spec = compiler.TrainSpec("mlp", 2, None, 1, (4,), loss="xent", optimizer="adam")
    prog = compiler.compile_model(spec, data)
    n_in = prog.step[0].cols  # the gathered batch (2, features)
    N, S = Ref.NODE, Ref.STATE
    logits, yz, loss, ppl = (N, 6), (N, 8), (N, 9), (N, 10)
    q = 11
    extra = [
        Node(Op.DIV, (loss, ppl), 2, 1), Node(Op.SQRT, (ppl,), 2, 1), Node(Op.RSQRT, (ppl,), 2, 1),
        Node(Op.LOG, (ppl,), 2, 1),
        Node(Op.SOFTMAX, (logits, (N, 7)), 2, 10, k=10), Node(Op.SOFTMAX_BWD, (yz, (N, q + 4)), 2, 10, k=10),
        Node(Op.GELU, (logits,), 2, 10), Node(Op.GELU_BWD, (logits, yz), 2, 10),
        Node(Op.SUM, (logits,), 2, 1, k=10, c0=1),  # q + 8: row sums
        Node(Op.LN_RSTD, (logits, (N, q + 8)), 2, 1, k=10, c0=0x3727C5AC),
        Node(Op.LN_NORM, (logits, (N, q + 8), (N, q + 9)), 2, 10),
        Node(Op.SUM, (logits,), 1, 10, k=2, c0=0),  # q + 11: a (1, 10) gain
        Node(Op.LN_SCALE, ((N, q + 10), (N, q + 11)), 2, 10), Node(Op.LN_BWD, (yz, (N, q + 10)), 2, 10),
        Node(Op.SCALE, ((N, 0),), 2, n_in, c0=0x41800000),  # q + 14: pixel tokens 0..16
        Node(Op.EMBEDDING, ((N, q + 14), (S, 8)), 2 * n_in, 4, k=n_in),
        Node(Op.EMBEDDING_BWD, ((N, q + 14), (N, q + 15)), n_in, 4, k=2 * n_in),
        Node(Op.BMATMUL, (logits, logits), 10, 5, k=2, c0=oc.BMM_TRANSPOSE_B | oc.BMM_CAUSAL, c1=2),
        Node(Op.BMATMUL, (logits, yz), 10, 5, k=2, c0=oc.BMM_TRANSPOSE_A | oc.BMM_TRANSPOSE_B, c1=2),
    ]
    out = prog.insert_step_nodes(q, extra)
    validate(out)
    return out
