"""Vectorised reference primitives match numpy float32 bit for bit on special and random inputs."""

from __future__ import annotations

import numpy as np
import pytest
from runtime_oracle import SPECIAL, one_node_program, special_bits

from offchain.runtime import reference
from offchain.runtime.opcodes import CANONICAL_NAN, Op, Ref
from offchain.runtime.program import Node

N = 4096


def _numpy(op: Op, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    fa, fb = a.view(np.float32), b.view(np.float32)
    with np.errstate(all="ignore"):
        out = {Op.ADD: fa + fb, Op.SUB: fa - fb, Op.MUL: fa * fb}[op]
    bits = out.view(np.uint32).copy()
    bits[np.isnan(out)] = CANONICAL_NAN
    return bits


def _pairs(seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    grid_a, grid_b = np.meshgrid(SPECIAL, SPECIAL)  # every special value against every other
    a = np.concatenate([grid_a.reshape(-1), special_bits(rng, (N,))]).astype(np.uint32)
    b = np.concatenate([grid_b.reshape(-1), special_bits(rng, (N,))]).astype(np.uint32)
    return a.reshape(1, -1), b.reshape(1, -1)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("op", [Op.ADD, Op.SUB, Op.MUL])
def test_arith_matches_numpy(op, seed):
    a, b = _pairs(seed)
    n = a.shape[1]
    prog = one_node_program(Node(op, ((Ref.STATE, 0), (Ref.STATE, 1)), 1, n), [(1, n), (1, n)])
    got = reference.run_step(prog, 1, [a, b], np.zeros((1, 1), np.uint32))[0]
    assert np.array_equal(got, _numpy(op, a, b))


def test_rounding_ties_to_even():
    # 1 + 2^-24 is halfway between 1 and 1 + 2^-23: rounds to 1 (even); 1+ulp + 2^-24 rounds up
    a = np.array([[0x3F800000, 0x3F800001, 0x4B000000, 0x4B000001]], np.uint32)
    b = np.array([[0x33800000, 0x33800000, 0x3F000000, 0x3F000000]], np.uint32)
    prog = one_node_program(Node(Op.ADD, ((Ref.STATE, 0), (Ref.STATE, 1)), 1, 4), [(1, 4), (1, 4)])
    got = reference.run_step(prog, 1, [a, b], np.zeros((1, 1), np.uint32))[0]
    assert got.tolist() == [[0x3F800000, 0x3F800002, 0x4B000000, 0x4B000002]]


def test_subnormals_not_flushed():
    a = np.array([[0x00000001, 0x00400000, 0x00800000]], np.uint32)
    prog = one_node_program(Node(Op.ADD, ((Ref.STATE, 0), (Ref.STATE, 1)), 1, 3), [(1, 3), (1, 3)])
    got = reference.run_step(prog, 1, [a, a], np.zeros((1, 1), np.uint32))[0]
    assert got.tolist() == [[0x00000002, 0x00800000, 0x01000000]]


@pytest.mark.parametrize("seed", [0, 1])
def test_relu_and_select(seed):
    a, b = _pairs(seed)
    n = a.shape[1]
    relu = one_node_program(Node(Op.RELU, ((Ref.STATE, 0),), 1, n), [(1, n)])
    got = reference.run_step(relu, 1, [a], np.zeros((1, 1), np.uint32))[0][0]
    fa = a[0].view(np.float32)
    want = np.where(np.isnan(fa), CANONICAL_NAN, np.where(fa > 0, a[0], 0)).astype(np.uint32)
    assert np.array_equal(got, want)
    sel = one_node_program(Node(Op.RELU_BWD, ((Ref.STATE, 0), (Ref.STATE, 1)), 1, n), [(1, n), (1, n)])
    got = reference.run_step(sel, 1, [a, b], np.zeros((1, 1), np.uint32))[0][0]
    assert np.array_equal(got, np.where(fa > 0, b[0], 0).astype(np.uint32))  # bits of g copied
