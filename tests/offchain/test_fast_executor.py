"""The numba executor (offchain/runtime/fast.py) equals the spec bit for bit.

Every opcode runs on odd shapes with adversarial float32 inputs (+-0,
subnormals, largest finite, infinities, NaNs with payloads, rounding ties)
and is compared with `oracle`, an independent per-element transcription of
the micro-programs of docs/reproducible-ops.md section 5 built on the scalar
primitives of offchain/runtime/f32.py (slow: small shapes only).
"""

from __future__ import annotations

import re

import numba as nb
import numpy as np
import pytest

from offchain.runtime import f32, fast, randomness
from offchain.runtime.opcodes import CANONICAL_NAN, Op, Ref
from offchain.runtime.program import Header, Node, Program

SEED = 0xDEADBEEF12345678

# bit patterns that stress IEEE corner cases
SPECIAL = np.array(
    [
        0x00000000, 0x80000000,  # +0, -0
        0x00000001, 0x80000001, 0x007FFFFF, 0x00400000,  # subnormals
        0x00800000, 0x80800000,  # smallest normals
        0x3F800000, 0xBF800000, 0x3F800001, 0x3F7FFFFF,  # 1, -1, 1 +- ulp
        0x33800000, 0x34000000, 0x3F000000,  # 2^-24 (tie against 1), 2^-23, 0.5
        0x3F801000, 0xBF801000,  # 1 + 2^-11: its square is a rounding tie
        0x7F7FFFFF, 0xFF7FFFFF, 0x7F000000,  # largest finite, 2^127
        0x7F800000, 0xFF800000,  # +inf, -inf
        0x7FC00000, 0x7F800001, 0xFFC00001, 0x7FBFFFFF,  # NaNs, several payloads
        0x1F800000, 0x20000000,  # tiny normals whose products underflow to subnormals
    ],
    dtype=np.uint32,
)


def adversarial(shape: tuple[int, int], rng: np.random.Generator, special: float = 0.3) -> np.ndarray:
    """uint32 bits: random floats of mixed magnitude with a share of SPECIAL values."""
    n = shape[0] * shape[1]
    mant = rng.integers(0, 1 << 23, n, dtype=np.uint32)
    expo = rng.integers(100, 155, n, dtype=np.uint32)  # around 2^-27 .. 2^27
    sign = rng.integers(0, 2, n, dtype=np.uint32) << np.uint32(31)
    bits = sign | (expo << np.uint32(23)) | mant
    pick = rng.random(n) < special
    bits[pick] = rng.choice(SPECIAL, int(pick.sum()))
    return bits.reshape(shape)


def finite(shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """uint32 bits of ordinary finite floats (no specials)."""
    return rng.standard_normal(shape).astype(np.float32).view(np.uint32)


# --- the oracle ---------------------------------------------------------------------
def oracle(node: Node, j: int, ins: list[np.ndarray], t: int, header: Header) -> np.ndarray:
    """Per-element micro-programs of the spec; ins are the input tensors as uint32 arrays."""
    R, C, K = node.rows, node.cols, node.k
    flat = [[int(x) for x in a.reshape(-1)] for a in ins]
    A = flat[0] if flat else []
    B = flat[1] if len(flat) > 1 else []
    out = np.zeros(R * C, dtype=np.uint32)
    if node.op == Op.INIT_UNIFORM:
        u24 = randomness.init_u24(header.seed, j, R * C)
    if node.op in (Op.GATHER, Op.IM2COL):
        rows = randomness.batch_rows(header.seed, t, header.batch, header.data_rows)
        D = header.data_cols
    for e in range(R * C):
        r, c = divmod(e, C)
        op = node.op
        if op == Op.INIT_UNIFORM:
            s = f32.from_int(int(u24[e]))
            s = f32.mul(s, 0x34000000)
            s = f32.sub(s, 0x3F800000)
            s = f32.mul(s, node.c0)
        elif op == Op.GATHER:
            s = A[int(rows[r]) * D + node.c0 + c]
        elif op == Op.IM2COL:
            H, W, KH, KW = node.c0 >> 24, (node.c0 >> 16) & 255, (node.c0 >> 8) & 255, node.c0 & 255
            P = (H - KH + 1) * (W - KW + 1)
            b, p = divmod(r, P)
            py, px = divmod(p, W - KW + 1)
            ky, kx = divmod(c, KW)
            s = A[int(rows[b]) * D + node.c1 + (py + ky) * W + (px + kx)]
        elif op == Op.MATMUL:
            ta, tb = node.c0 & 1, node.c0 & 2
            s = 0
            for m in range(K):
                a = A[m * R + r] if ta else A[r * K + m]
                bb = B[c * K + m] if tb else B[m * C + c]
                s = f32.add(s, f32.mul(a, bb))
        elif op == Op.ADD:
            s = f32.add(A[e], B[e])
        elif op == Op.SUB:
            s = f32.sub(A[e], B[e])
        elif op == Op.MUL:
            s = f32.mul(A[e], B[e])
        elif op == Op.SCALE:
            s = f32.mul(A[e], node.c0)
        elif op == Op.BIAS_ADD:
            s = f32.add(A[e], B[c])
        elif op == Op.RELU:
            s = f32.max_(A[e], 0)
        elif op == Op.RELU_BWD:
            s = B[e] if f32.gt(A[e], 0) else 0
        elif op == Op.SUM:
            s = 0
            for m in range(K):
                s = f32.add(s, A[m * C + c] if node.c0 == 0 else A[r * K + m])
        elif op == Op.MSE_GRAD:
            s = f32.mul(f32.sub(A[e], B[e]), node.c0)
        elif op == Op.SGD:
            s = f32.sub(A[e], f32.mul(B[e], node.c0))
        else:
            raise AssertionError(op)
        out[e] = s
    return out.reshape(R, C)


def run_one(node: Node, state: list[np.ndarray], data: np.ndarray | None = None, t: int = 1,
            batch: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """Run a one-node step program whose inputs are state slots (or DATA); return (fast, oracle)."""
    if data is None:
        data = np.zeros((5, 4), dtype=np.uint32)
    header = Header(len(state), 1, data.shape[0], data.shape[1], batch, SEED)
    program = Program(header, (), (node,))
    got = fast.run_step(program, t, state, data)
    assert len(got) == 1 and got[0].dtype == np.uint32 and got[0].shape == (node.rows, node.cols)
    ins = [data if kind == Ref.DATA else state[index] for kind, index in node.inputs]
    return got[0], oracle(node, 0, ins, t, header)


def assert_bits_equal(got: np.ndarray, want: np.ndarray) -> None:
    bad = np.flatnonzero(got.reshape(-1) != want.reshape(-1))
    assert bad.size == 0, f"{bad.size} elements differ, first at {bad[0]}: {got.reshape(-1)[bad[0]]:#010x} != {want.reshape(-1)[bad[0]]:#010x}"


S0, S1 = (Ref.STATE, 0), (Ref.STATE, 1)
SHAPES = [(1, 1), (1, 13), (7, 1), (3, 5), (11, 17), (2, 37)]


# --- elementwise opcodes -------------------------------------------------------------
@pytest.mark.parametrize("op", [Op.ADD, Op.SUB, Op.MUL])
@pytest.mark.parametrize("shape", SHAPES)
def test_add_sub_mul(op, shape):
    rng = np.random.default_rng(hash((int(op), shape)) & 0xFFFF)
    a, b = adversarial(shape, rng, 0.5), adversarial(shape, rng, 0.5)
    got, want = run_one(Node(op, (S0, S1), *shape), [a, b])
    assert_bits_equal(got, want)


def test_special_pairs_all_combinations():
    """Every pair of SPECIAL values through ADD, SUB, MUL (the cross product)."""
    a = np.repeat(SPECIAL, len(SPECIAL)).reshape(1, -1)
    b = np.tile(SPECIAL, len(SPECIAL)).reshape(1, -1)
    for op in (Op.ADD, Op.SUB, Op.MUL, Op.RELU_BWD, Op.MSE_GRAD, Op.SGD):
        got, want = run_one(Node(op, (S0, S1), 1, a.size, c0=0x3F000001), [a, b])
        assert_bits_equal(got, want)


def test_nan_results_are_canonical():
    a = np.array([[0x7F800000, 0x00000000, 0x7F800001, 0xFFC00001]], dtype=np.uint32)
    b = np.array([[0xFF800000, 0x7F800000, 0x3F800000, 0x3F800000]], dtype=np.uint32)
    got, _ = run_one(Node(Op.ADD, (S0, S1), 1, 4), [a, b])
    assert list(got[0]) == [CANONICAL_NAN, 0x7F800000, CANONICAL_NAN, CANONICAL_NAN]
    got, _ = run_one(Node(Op.MUL, (S0, S1), 1, 4), [a, b])
    assert list(got[0]) == [0xFF800000, CANONICAL_NAN, CANONICAL_NAN, CANONICAL_NAN]  # inf * -inf = -inf


def test_subnormals_are_not_flushed():
    a = np.array([[0x00000001, 0x00800000, 0x00400000]], dtype=np.uint32)
    b = np.array([[0x00000001, 0x80000001, 0x00400000]], dtype=np.uint32)
    got, _ = run_one(Node(Op.ADD, (S0, S1), 1, 3), [a, b])
    assert list(got[0]) == [0x00000002, 0x007FFFFF, 0x00800000]  # subnormal sums are exact
    b = np.array([[0x3F800000, 0xBF800000, 0x3F000000]], dtype=np.uint32)
    got, _ = run_one(Node(Op.MUL, (S0, S1), 1, 3), [a, b])
    assert list(got[0]) == [0x00000001, 0x80800000, 0x00200000]  # DAZ/FTZ would give zeros


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("c0", [0x3DCCCCCD, 0xBF800000, 0x00000001, 0x7F800000, 0x7FC00000, 0x80000000])
def test_scale(shape, c0):
    rng = np.random.default_rng(shape[0] * 100 + shape[1])
    got, want = run_one(Node(Op.SCALE, (S0,), *shape, c0=c0), [adversarial(shape, rng)])
    assert_bits_equal(got, want)


@pytest.mark.parametrize("shape", SHAPES)
def test_bias_add(shape):
    rng = np.random.default_rng(7 + shape[1])
    a, bias = adversarial(shape, rng), adversarial((1, shape[1]), rng)
    got, want = run_one(Node(Op.BIAS_ADD, (S0, S1), *shape), [a, bias])
    assert_bits_equal(got, want)


@pytest.mark.parametrize("shape", SHAPES)
def test_relu(shape):
    rng = np.random.default_rng(11 + shape[0])
    got, want = run_one(Node(Op.RELU, (S0,), *shape), [adversarial(shape, rng, 0.6)])
    assert_bits_equal(got, want)


def test_relu_of_signed_zero_and_nan():
    a = np.array([[0x80000000, 0x00000000, 0xFFC00001, 0x7F800001, 0xFF800000, 0x00000001]], dtype=np.uint32)
    got, _ = run_one(Node(Op.RELU, (S0,), 1, 6), [a])
    assert list(got[0]) == [0, 0, CANONICAL_NAN, CANONICAL_NAN, 0, 1]


@pytest.mark.parametrize("shape", SHAPES)
def test_relu_bwd(shape):
    rng = np.random.default_rng(13 + shape[0])
    x, g = adversarial(shape, rng, 0.6), adversarial(shape, rng, 0.6)
    got, want = run_one(Node(Op.RELU_BWD, (S0, S1), *shape), [x, g])
    assert_bits_equal(got, want)


def test_relu_bwd_copies_nan_payload():
    x = np.array([[0x3F800000, 0x80000000, 0x7FC00000]], dtype=np.uint32)
    g = np.array([[0x7F800001, 0x3F800000, 0x3F800000]], dtype=np.uint32)
    got, _ = run_one(Node(Op.RELU_BWD, (S0, S1), 1, 3), [x, g])
    assert list(got[0]) == [0x7F800001, 0, 0]


@pytest.mark.parametrize("shape", SHAPES)
def test_mse_grad(shape):
    rng = np.random.default_rng(17 + shape[1])
    p, y = adversarial(shape, rng), adversarial(shape, rng)
    got, want = run_one(Node(Op.MSE_GRAD, (S0, S1), *shape, c0=0x3C23D70A), [p, y])
    assert_bits_equal(got, want)


@pytest.mark.parametrize("shape", SHAPES)
def test_sgd(shape):
    rng = np.random.default_rng(19 + shape[1])
    w, g = adversarial(shape, rng), adversarial(shape, rng)
    got, want = run_one(Node(Op.SGD, (S0, S1), *shape, c0=0x3DCCCCCD), [w, g])
    assert_bits_equal(got, want)


# --- reductions -----------------------------------------------------------------------
@pytest.mark.parametrize("R,K,C", [(1, 1, 1), (1, 5, 1), (3, 1, 7), (9, 7, 131), (5, 13, 16), (67, 4, 3), (2, 9, 129)])
@pytest.mark.parametrize("flags", [0, 1, 2, 3])
def test_matmul(R, K, C, flags):
    """Odd shapes around the 4-row tile, the 4-step k unroll, the 128-column panel and the 64-row job."""
    rng = np.random.default_rng(R * 1000 + K * 10 + C + flags)
    a = adversarial((K, R) if flags & 1 else (R, K), rng, 0.15)
    b = adversarial((C, K) if flags & 2 else (K, C), rng, 0.15)
    got, want = run_one(Node(Op.MATMUL, (S0, S1), R, C, k=K, c0=flags), [a, b])
    assert_bits_equal(got, want)


def test_matmul_finite_inputs_match_oracle():
    rng = np.random.default_rng(5)
    a, b = finite((6, 23), rng), finite((23, 19), rng)
    got, want = run_one(Node(Op.MATMUL, (S0, S1), 6, 19, k=23), [a, b])
    assert_bits_equal(got, want)
    assert not (got == CANONICAL_NAN).any()


def test_matmul_is_not_fused():
    """a*a is a rounding tie; fused a*a - a*a' would keep 2^-24, unfused gives exactly the rounded value."""
    R, K, C = 8, 2, 160  # vectorised columns and full 4-row tiles
    a = np.tile(np.array([0x3F801000, 0xBF801000], dtype=np.uint32), (R, 1))  # [1+2^-11, -(1+2^-11)]
    b = np.full((K, C), 0x3F801000, dtype=np.uint32)
    got, want = run_one(Node(Op.MATMUL, (S0, S1), R, C, k=K), [a, b])
    assert_bits_equal(got, want)
    assert (got == 0).all()  # round(a*b) - round(a*b) = +0; an FMA would leave -2^-24-ish residue
    # and with an accumulator in between: acc = -(round(a*b)); acc + a*b must be +0, not a residue
    a = np.tile(np.array([0xBF801000, 0x3F801000], dtype=np.uint32), (R, 1))
    got, _ = run_one(Node(Op.MATMUL, (S0, S1), R, C, k=K), [a, b])
    assert (got == 0).all()


def test_kernels_contain_no_fma():
    """The machine code of the float kernels, compiled with their own options, has no FMA.

    numba refuses to show the assembly of cached code, so each kernel is
    recompiled here (cache off, every other option as in fast.py).
    """
    rng = np.random.default_rng(1)
    a, b = finite((5, 6), rng).view(np.float32), finite((6, 9), rng).view(np.float32)
    x, y = finite((1, 7), rng).view(np.float32).reshape(-1), finite((1, 7), rng).view(np.float32).reshape(-1)
    calls = [
        (fast._mm_block, (a, b, False, False, 0, 9, 0, 5, np.empty((5, 9), np.float32))),
        (fast._sgd, (x, y, np.float32(0.5), np.empty(7, np.float32))),
        (fast._mse_grad, (x, y, np.float32(0.5), np.empty(7, np.float32))),
        (fast._sum_axis0, (a, np.empty(6, np.float32))),
    ]
    for kernel, args in calls:
        assert kernel.targetoptions.get("fastmath", False) is False
        opts = {k: v for k, v in kernel.targetoptions.items() if k not in ("cache", "nopython")}
        fresh = nb.njit(**opts)(kernel.py_func)
        fresh(*args)
        asm = "".join(fresh.inspect_asm().values()).lower()
        assert re.search(r"\bv(mul|add)[sp]s\b", asm), kernel.__name__
        assert not re.search(r"vf(n)?m(add|sub)", asm), kernel.__name__


@pytest.mark.parametrize("K,C", [(1, 1), (7, 3), (13, 37), (4, 1)])
def test_sum_axis0(K, C):
    rng = np.random.default_rng(K * 31 + C)
    got, want = run_one(Node(Op.SUM, (S0,), 1, C, k=K, c0=0), [adversarial((K, C), rng, 0.2)])
    assert_bits_equal(got, want)


@pytest.mark.parametrize("R,K", [(1, 1), (3, 7), (37, 13), (1, 4)])
def test_sum_axis1(R, K):
    rng = np.random.default_rng(R * 17 + K)
    got, want = run_one(Node(Op.SUM, (S0,), R, 1, k=K, c0=1), [adversarial((R, K), rng, 0.2)])
    assert_bits_equal(got, want)


def test_sum_of_negative_zeros_is_positive_zero():
    got, _ = run_one(Node(Op.SUM, (S0,), 1, 3, k=2, c0=0), [np.full((2, 3), 0x80000000, dtype=np.uint32)])
    assert (got == 0).all()


# --- dataset reads and randomness -------------------------------------------------
def test_gather_copies_bits_of_sampled_rows():
    rng = np.random.default_rng(23)
    data = adversarial((29, 11), rng, 0.5)
    data[:, 3] = 0x7F800001  # a NaN payload must survive the copy
    for t in (1, 2, 77):
        got, want = run_one(Node(Op.GATHER, ((Ref.DATA, 0),), 5, 6, c0=2), [], data=data, t=t, batch=5)
        assert_bits_equal(got, want)
        rows = randomness.batch_rows(SEED, t, 5, 29)
        assert (got == data[rows, 2:8]).all()


def test_im2col():
    rng = np.random.default_rng(29)
    H, W, KH, KW = 5, 6, 3, 2
    data = adversarial((13, 2 + H * W + 3), rng, 0.3)
    P = (H - KH + 1) * (W - KW + 1)
    node = Node(Op.IM2COL, ((Ref.DATA, 0),), 3 * P, KH * KW, c0=(H << 24) | (W << 16) | (KH << 8) | KW, c1=2)
    got, want = run_one(node, [], data=data, t=4, batch=3)
    assert_bits_equal(got, want)


@pytest.mark.parametrize("bound", [0x3D800000, 0x3F800000, 0x00000000, 0x7F800000, 0x3E4CCCCD])
def test_init_uniform(bound):
    header = Header(2, 1, 5, 4, 3, SEED)
    init = (Node(Op.INIT_UNIFORM, (), 3, 7, c0=0x3F000000), Node(Op.INIT_UNIFORM, (), 5, 3, c0=bound))
    program = Program(header, init, (Node(Op.ADD, (S0, S0), 3, 7),))
    got = fast.run_step(program, 0, [], np.zeros((5, 4), dtype=np.float32))
    for j, node in enumerate(init):
        assert_bits_equal(got[j], oracle(node, j, [], 0, header))
    if bound == 0x3F800000:
        vals = got[1].view(np.float32)
        assert ((vals >= -1) & (vals < 1)).all()


# --- a whole step and input validation --------------------------------------------------
def test_multi_node_step_resolves_node_state_and_data_refs():
    """A small MLP-like step: gather, matmul, bias, relu, grad, sgd; each node vs the oracle."""
    rng = np.random.default_rng(31)
    data = finite((17, 9), rng)
    header = Header(2, 8, 17, 9, 4, SEED)
    step = (
        Node(Op.GATHER, ((Ref.DATA, 0),), 4, 6, c0=0),  # 0: x (4, 6)
        Node(Op.GATHER, ((Ref.DATA, 0),), 4, 3, c0=6),  # 1: y (4, 3)
        Node(Op.MATMUL, ((Ref.NODE, 0), S0), 4, 3, k=6),  # 2: x @ W
        Node(Op.BIAS_ADD, ((Ref.NODE, 2), S1), 4, 3),  # 3: + b
        Node(Op.MSE_GRAD, ((Ref.NODE, 3), (Ref.NODE, 1)), 4, 3, c0=0x3E000000),  # 4: dL/dpred
        Node(Op.MATMUL, ((Ref.NODE, 0), (Ref.NODE, 4)), 6, 3, k=4, c0=1),  # 5: x^T @ g
        Node(Op.SGD, (S0, (Ref.NODE, 5)), 6, 3, c0=0x3DCCCCCD),  # 6: new W
        Node(Op.SUM, ((Ref.NODE, 4),), 1, 3, k=4, c0=0),  # 7: bias grad (not SGD'd: still checked)
    )
    program = Program(header, (), step)
    state = [finite((6, 3), rng), finite((1, 3), rng)]
    got = fast.run_step(program, 3, state, data.view(np.float32))
    outs: list[np.ndarray] = []
    for j, node in enumerate(step):
        ins = [data if k == Ref.DATA else state[i] if k == Ref.STATE else outs[i] for k, i in node.inputs]
        outs.append(oracle(node, j, ins, 3, header))
        assert_bits_equal(got[j], outs[j])


def test_rejects_bad_inputs():
    header = Header(2, 1, 5, 4, 3, SEED)
    node = Node(Op.ADD, (S0, S1), 2, 3)
    program = Program(header, (), (node,))
    good = [np.zeros((2, 3), np.uint32), np.zeros((2, 3), np.uint32)]
    data = np.zeros((5, 4), np.uint32)
    with pytest.raises(ValueError, match="fast: node 0 \\(ADD\\) B has 5 words, expected 6"):
        fast.run_step(program, 1, [good[0], np.zeros(5, np.uint32)], data)
    with pytest.raises(ValueError, match="fast: 1 state slots given, program has 2"):
        fast.run_step(program, 1, good[:1], data)
    with pytest.raises(ValueError, match="fast: data shape"):
        fast.run_step(program, 1, good, np.zeros((4, 4), np.uint32))
    with pytest.raises(ValueError, match="fast: data must be uint32 bits or float32"):
        fast.run_step(program, 1, good, np.zeros((5, 4), np.float64))
    with pytest.raises(ValueError, match="fast: step index t must be >= 0"):
        fast.run_step(program, -1, good, data)
    bad = Program(header, (), (Node(Op.ADD, ((Ref.NODE, 0), S1), 2, 3),))
    with pytest.raises(ValueError, match="fast: node 0 reads node 0, not an earlier node"):
        fast.run_step(bad, 1, good, data)
