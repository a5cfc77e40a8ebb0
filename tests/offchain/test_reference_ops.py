"""The reference executor matches the per-element oracle on every opcode, odd shapes, several seeds."""

from __future__ import annotations

import numpy as np
import pytest
from runtime_oracle import one_node_program, oracle_outputs, special_bits

from offchain.runtime import reference
from offchain.runtime.executor import validate
from offchain.runtime.opcodes import Op, Ref
from offchain.runtime.program import Node

SEEDS = [0, 1, 2]
SHAPES = [(1, 1), (1, 7), (5, 1), (3, 13), (9, 11)]


def _check(node: Node, slots: list[tuple[int, int]], seed: int) -> None:
    prog = one_node_program(node, slots)
    validate(prog)
    rng = np.random.default_rng(seed)
    state = [special_bits(rng, s) for s in slots]
    data = np.zeros((1, 1), dtype=np.uint32)
    got = reference.run_step(prog, 1, state, data)
    want = oracle_outputs(prog, 1, state, data, nodes=[0])[0]
    assert got[0].dtype == np.uint32 and got[0].shape == (node.rows, node.cols)
    bad = np.flatnonzero(got[0] != want)
    assert bad.size == 0, f"{node.op.name}: {bad.size} elements differ, first {bad[0]}: {got[0].reshape(-1)[bad[0]]:#x} != {want.reshape(-1)[bad[0]]:#x}"


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("op", [Op.ADD, Op.SUB, Op.MUL, Op.RELU_BWD, Op.MSE_GRAD, Op.SGD])
def test_binary_elementwise(op, shape, seed):
    r, c = shape
    c0 = {Op.MSE_GRAD: 0x3C4CCCCD, Op.SGD: 0x3DCCCCCD}.get(op, 0)  # 0.0125, 0.1
    node = Node(op, ((Ref.STATE, 0), (Ref.STATE, 1)), r, c, 0, c0)
    _check(node, [shape, shape], seed)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("op,c0", [(Op.RELU, 0), (Op.SCALE, 0x3EAAAAAB), (Op.SCALE, 0x7F800000),
                                   (Op.SCALE, 0x00000001)])
def test_unary_elementwise(op, c0, shape, seed):
    r, c = shape
    _check(Node(op, ((Ref.STATE, 0),), r, c, 0, c0), [shape], seed)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("shape", SHAPES)
def test_bias_add(shape, seed):
    r, c = shape
    _check(Node(Op.BIAS_ADD, ((Ref.STATE, 0), (Ref.STATE, 1)), r, c), [shape, (1, c)], seed)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("r,c,k", [(1, 1, 1), (1, 1, 17), (3, 5, 1), (7, 3, 11), (5, 13, 2), (9, 1, 8)])
@pytest.mark.parametrize("trans", [0, 1, 2, 3])
def test_matmul(r, c, k, trans, seed):
    a_shape = (k, r) if trans & 1 else (r, k)
    b_shape = (c, k) if trans & 2 else (k, c)
    _check(Node(Op.MATMUL, ((Ref.STATE, 0), (Ref.STATE, 1)), r, c, k, trans), [a_shape, b_shape], seed)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("rows,cols", [(1, 1), (1, 13), (7, 1), (11, 5)])
@pytest.mark.parametrize("axis", [0, 1])
def test_sum(rows, cols, axis, seed):
    out = (1, cols) if axis == 0 else (rows, 1)
    k = rows if axis == 0 else cols
    _check(Node(Op.SUM, ((Ref.STATE, 0),), out[0], out[1], k, axis), [(rows, cols)], seed)


@pytest.mark.parametrize("seed", SEEDS)
def test_matmul_reads_inputs_by_flat_index(seed):
    # a (6, 4) tensor used as (3, 8) @ (8, 2): only the flat layout matters
    node = Node(Op.MATMUL, ((Ref.STATE, 0), (Ref.STATE, 1)), 3, 2, 8, 0)
    _check(node, [(6, 4), (16, 1)], seed)


def _data(rng, rows, cols):
    return special_bits(rng, (rows, cols))


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("batch,cols,col0", [(1, 1, 0), (5, 3, 2), (13, 7, 0)])
def test_gather(batch, cols, col0, seed):
    rng = np.random.default_rng(seed)
    data = _data(rng, 11, 9)
    node = Node(Op.GATHER, ((Ref.DATA, 0),), batch, cols, 0, col0)
    prog = one_node_program(node, [(1, 1)], data_shape=data.shape, batch=batch, seed=seed + 100)
    validate(prog)
    for t in (1, 2, 1000):
        got = reference.run_step(prog, t, [np.zeros((1, 1), np.uint32)], data)[0]
        assert np.array_equal(got, oracle_outputs(prog, t, [np.zeros((1, 1), np.uint32)], data, [0])[0])


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("H,W,KH,KW,batch", [(8, 8, 3, 3, 2), (5, 7, 2, 3, 3), (3, 3, 3, 3, 1), (4, 1, 2, 1, 2)])
def test_im2col(H, W, KH, KW, batch, seed):
    rng = np.random.default_rng(seed)
    col0 = 2
    data = _data(rng, 7, col0 + H * W + 1)
    P = (H - KH + 1) * (W - KW + 1)
    node = Node(Op.IM2COL, ((Ref.DATA, 0),), batch * P, KH * KW, 0, H << 24 | W << 16 | KH << 8 | KW, col0)
    prog = one_node_program(node, [(1, 1)], data_shape=data.shape, batch=batch, seed=seed)
    validate(prog)
    state = [np.zeros((1, 1), np.uint32)]
    got = reference.run_step(prog, 3, state, data)[0]
    assert np.array_equal(got, oracle_outputs(prog, 3, state, data, [0])[0])


@pytest.mark.parametrize("seed", SEEDS)
def test_init_uniform(seed):
    from offchain.runtime.program import Header, Program

    bounds = [0x3E000000, 0x3F800000, 0x00000000, 0x7F800000, 0x3DB504F3]  # 1/8, 1, 0, inf, 1/sqrt(128)
    init = tuple(Node(Op.INIT_UNIFORM, (), r, c, 0, b) for (r, c), b in zip(
        [(1, 1), (3, 7), (13, 1), (2, 5), (8, 9)], bounds, strict=True))
    keep = tuple(Node(Op.SCALE, ((Ref.STATE, s),), n.rows, n.cols, 0, 0x3F800000) for s, n in enumerate(init))
    prog = Program(Header(len(init), len(keep), 1, 1, 1, seed * 2**40 + 5), init, keep)
    validate(prog)
    data = np.zeros((1, 1), np.uint32)
    got = reference.run_step(prog, 0, [], data)
    want = oracle_outputs(prog, 0, [], data)
    for j in range(len(init)):
        assert np.array_equal(got[j], want[j]), j
    vals = got[4].view(np.float32)
    assert np.all(np.abs(vals) <= np.float32(1 / np.sqrt(128))) and np.unique(vals).size > 60
