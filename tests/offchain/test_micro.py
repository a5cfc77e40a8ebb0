"""micro.py against whole-tensor numpy float32 references, one test per opcode.

Each reference computes a node's whole output independently of micro.py
(vectorised numpy float32, sequential loops for reductions); the last
micro-state s_K of every element must equal it bit for bit.
"""

from __future__ import annotations

import numpy as np
import pytest

from offchain.runtime import f32, micro
from offchain.runtime.opcodes import CANONICAL_NAN, Op, Ref
from offchain.runtime.program import Header, Node
from offchain.runtime.randomness import batch_rows, init_u24

EDGE = [
    0x00000000,
    0x80000000,
    0x7F800000,
    0xFF800000,
    0x7FC00000,
    0x7F800001,
    0x00000001,
    0x807FFFFF,
    0x7F7FFFFF,
    0xFF7FFFFF,
    0x3F800000,
    0xBF800000,
    0x00800000,
]

HEADER = Header(n_state=2, n_step=5, data_rows=37, data_cols=29, batch=3, seed=0xDEADBEEF12345)


def _rand_bits(rng: np.random.Generator, n: int, edge: bool = True) -> np.ndarray:
    """Random float32 bits of moderate magnitude, sprinkled with edge values."""
    x = rng.standard_normal(n).astype(np.float32).view(np.uint32).copy()
    if edge:
        pick = rng.random(n) < 0.2
        x[pick] = rng.choice(np.array(EDGE, dtype=np.uint32), pick.sum())
    return x


def _f(bits: np.ndarray) -> np.ndarray:
    return bits.astype(np.uint32).view(np.float32)


def _canon(x: np.ndarray) -> np.ndarray:
    out = x.astype(np.float32).view(np.uint32).copy()
    out[np.isnan(x)] = CANONICAL_NAN
    return out


def _trace_all(
    node: Node, inputs: dict[tuple[Ref, int], np.ndarray], j: int = 3, t: int = 4
) -> np.ndarray:
    def read(kind: Ref, index: int, flat: int) -> int:
        return int(inputs[(kind, index)][flat])

    out = []
    for e in range(node.size):
        tr = micro.element_trace(HEADER, node, j, t, e, read)
        assert len(tr) == micro.num_micro_steps(node) + 1 and tr[0] == 0
        out.append(tr[-1])
    return np.array(out, dtype=np.uint32)


A, B = (Ref.NODE, 0), (Ref.STATE, 1)


@pytest.mark.parametrize("op", [Op.ADD, Op.SUB, Op.MUL])
def test_elementwise_binary(op):
    rng = np.random.default_rng(int(op))
    a, b = _rand_bits(rng, 15), _rand_bits(rng, 15)
    node = Node(op, (A, B), 3, 5)
    with np.errstate(all="ignore"):
        fa, fb = _f(a), _f(b)
        ref = {Op.ADD: fa + fb, Op.SUB: fa - fb, Op.MUL: fa * fb}[op]
    assert (_trace_all(node, {A: a, B: b}) == _canon(ref)).all()


def test_scale():
    rng = np.random.default_rng(8)
    a = _rand_bits(rng, 14)
    c0 = f32.to_bits(np.float32(-0.37))
    node = Node(Op.SCALE, (A,), 7, 2, c0=c0)
    with np.errstate(all="ignore"):
        ref = _f(a) * np.float32(-0.37)
    assert (_trace_all(node, {A: a}) == _canon(ref)).all()


def test_bias_add():
    rng = np.random.default_rng(9)
    a, bias = _rand_bits(rng, 12), _rand_bits(rng, 4)
    node = Node(Op.BIAS_ADD, (A, B), 3, 4)
    with np.errstate(all="ignore"):
        ref = _f(a).reshape(3, 4) + _f(bias).reshape(1, 4)
    assert (_trace_all(node, {A: a, B: bias}) == _canon(ref.ravel())).all()


def test_relu():
    a = np.array(EDGE * 2, dtype=np.uint32)
    node = Node(Op.RELU, (A,), 2, len(EDGE))
    fa = _f(a)
    ref = np.where(fa > 0, a, 0).astype(np.uint32)
    ref[np.isnan(fa)] = CANONICAL_NAN
    assert (_trace_all(node, {A: a}) == ref).all()


def test_relu_bwd():
    rng = np.random.default_rng(11)
    x = np.array(EDGE + EDGE, dtype=np.uint32)
    g = _rand_bits(rng, x.size)
    node = Node(Op.RELU_BWD, (A, B), 1, x.size)
    ref = np.where(_f(x) > 0, g, 0).astype(np.uint32)  # g's bits pass unchanged, NaN included
    assert (_trace_all(node, {A: x, B: g}) == ref).all()


@pytest.mark.parametrize("ta,tb", [(0, 0), (1, 0), (0, 1), (1, 1)])
def test_matmul(ta, tb):
    rng = np.random.default_rng(40 + 2 * ta + tb)
    r, k, c = 3, 5, 2
    a = _rand_bits(rng, r * k, edge=False)
    b = _rand_bits(rng, k * c, edge=False)
    am = _f(a).reshape(k, r).T if ta else _f(a).reshape(r, k)
    bm = _f(b).reshape(c, k).T if tb else _f(b).reshape(k, c)
    acc = np.zeros((r, c), dtype=np.float32)
    for i in range(k):  # sequential, one rounding after the product and one after the sum
        acc = (acc + (am[:, i : i + 1] * bm[i : i + 1, :]).astype(np.float32)).astype(np.float32)
    node = Node(Op.MATMUL, (A, B), r, c, k=k, c0=ta | (tb << 1))
    assert (_trace_all(node, {A: a, B: b}) == acc.view(np.uint32).ravel()).all()


@pytest.mark.parametrize("axis", [0, 1])
def test_sum(axis):
    rng = np.random.default_rng(12 + axis)
    a = _rand_bits(rng, 4 * 6, edge=False).reshape(4, 6)
    fa = _f(a)
    acc = np.zeros(6 if axis == 0 else 4, dtype=np.float32)
    for i in range(fa.shape[axis]):
        acc = (acc + (fa[i] if axis == 0 else fa[:, i])).astype(np.float32)
    node = Node(
        Op.SUM, (A,), 1 if axis == 0 else 4, 6 if axis == 0 else 1, k=4 if axis == 0 else 6, c0=axis
    )
    assert (_trace_all(node, {A: a.ravel()}) == acc.view(np.uint32)).all()


def test_mse_grad():
    rng = np.random.default_rng(13)
    p, y = _rand_bits(rng, 10), _rand_bits(rng, 10)
    scale = np.float32(2.0 / 10)
    node = Node(Op.MSE_GRAD, (A, B), 2, 5, c0=f32.to_bits(scale))
    with np.errstate(all="ignore"):
        ref = _f(_canon(_f(p) - _f(y))) * scale
    assert (_trace_all(node, {A: p, B: y}) == _canon(ref)).all()


def test_sgd():
    rng = np.random.default_rng(14)
    w, g = _rand_bits(rng, 10), _rand_bits(rng, 10)
    lr = np.float32(0.05)
    node = Node(Op.SGD, (A, B), 5, 2, c0=f32.to_bits(lr))
    with np.errstate(all="ignore"):
        ref = _f(w) - _f(_canon(_f(g) * lr))
    assert (_trace_all(node, {A: w, B: g}) == _canon(ref)).all()


def test_init_uniform():
    bound = np.float32(0.125)
    node = Node(Op.INIT_UNIFORM, (), 3, 7, c0=f32.to_bits(bound))
    u = init_u24(HEADER.seed, 1, 21).astype(np.float64)
    ref = (np.float32(2 * u / 2**24 - 1) * bound).astype(np.float32)  # 2u/2^24 - 1 is exact
    assert (_trace_all(node, {}, j=1, t=0) == ref.view(np.uint32)).all()
    assert (ref >= -bound).all() and (ref < bound).all()


def _dataset(rng: np.random.Generator) -> np.ndarray:
    return _rand_bits(rng, HEADER.data_rows * HEADER.data_cols, edge=False)


def test_gather():
    rng = np.random.default_rng(2)
    data = _dataset(rng)
    node = Node(Op.GATHER, ((Ref.DATA, 0),), HEADER.batch, 10, c0=19)
    rows = batch_rows(HEADER.seed, 4, HEADER.batch, HEADER.data_rows)
    ref = data.reshape(HEADER.data_rows, HEADER.data_cols)[rows, 19:29]
    assert (_trace_all(node, {(Ref.DATA, 0): data}) == ref.ravel()).all()


def test_im2col():
    rng = np.random.default_rng(3)
    data = _dataset(rng)
    h, w, kh, kw, col0 = 4, 5, 2, 3, 7
    node = Node(
        Op.IM2COL,
        ((Ref.DATA, 0),),
        HEADER.batch * 3 * 3,
        kh * kw,
        c0=h << 24 | w << 16 | kh << 8 | kw,
        c1=col0,
    )
    rows = batch_rows(HEADER.seed, 4, HEADER.batch, HEADER.data_rows)
    imgs = data.reshape(HEADER.data_rows, HEADER.data_cols)[rows, col0 : col0 + h * w].reshape(
        -1, h, w
    )
    patches = [
        img[py : py + kh, px : px + kw].ravel()
        for img in imgs
        for py in range(h - kh + 1)
        for px in range(w - kw + 1)
    ]
    assert (_trace_all(node, {(Ref.DATA, 0): data}) == np.array(patches).ravel()).all()


def test_operand_refs_name_the_inputs():
    node = Node(Op.MATMUL, ((Ref.STATE, 2), (Ref.NODE, 5)), 2, 3, k=4)
    assert micro.operand_refs(HEADER, node, 1, 4, 3) == [
        (Ref.STATE, 2, 1 * 4 + 2),
        (Ref.NODE, 5, 2 * 3 + 1),
    ]
    sgd = Node(Op.SGD, ((Ref.STATE, 0), (Ref.NODE, 1)), 2, 3)
    assert micro.operand_refs(HEADER, sgd, 1, 5, 1) == [(Ref.NODE, 1, 5)]
    assert micro.operand_refs(HEADER, sgd, 1, 5, 2) == [(Ref.STATE, 0, 5)]
    mse = Node(Op.MSE_GRAD, (A, B), 1, 1)
    assert micro.operand_refs(HEADER, mse, 1, 0, 2) == []


def test_records_accepted_as_words():
    node = Node(Op.SCALE, (A,), 2, 2, c0=0x40000000)
    assert micro.num_micro_steps(node.encode()) == 1
    assert (
        micro.next_state(HEADER.encode(), node.encode(), 0, 1, 3, 1, 0, [0x3F800000]) == 0x40000000
    )


@pytest.mark.parametrize(
    "node,e,m,ops,msg",
    [
        (Node(Op.ADD, (A, B), 2, 2), 4, 1, [0, 0], "element 4 out of range"),
        (Node(Op.ADD, (A, B), 2, 2), 0, 2, [0, 0], "micro-step 2 out of range"),
        (Node(Op.ADD, (A, B), 2, 2), 0, 0, [0, 0], "micro-step 0 out of range"),
        (Node(Op.MATMUL, (A, B), 2, 2, k=3), 0, 4, [0, 0], "micro-step 4 out of range"),
        (Node(Op.ADD, (A, B), 2, 2), 0, 1, [0], "expected 2 operands, got 1"),
        (Node(Op.MSE_GRAD, (A, B), 2, 2), 0, 2, [0], "expected 0 operands, got 1"),
        (Node(Op.SUM, (A,), 2, 1, k=3, c0=2), 0, 1, [0], "bad sum axis"),
        (
            Node(Op.IM2COL, ((Ref.DATA, 0),), 4, 4, c0=2 << 24 | 2 << 16 | 3 << 8 | 1),
            0,
            1,
            [0],
            "bad im2col",
        ),
    ],
)
def test_bad_input_rejected(node, e, m, ops, msg):
    with pytest.raises(ValueError, match=msg):
        micro.next_state(HEADER, node, 0, 1, e, m, 0, ops)


def test_zero_length_reduction_is_plus_zero():
    node = Node(Op.MATMUL, (A, B), 1, 1, k=0)
    assert micro.element_trace(HEADER, node, 0, 1, 0, lambda *_: 1 / 0) == [0]
