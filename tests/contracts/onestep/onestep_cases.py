"""Random programs, nodes and operands for the OneStepVerifier tests.

`random_node(op, rng)` builds a node record of opcode `op` with odd shapes
and random input references; `random_case(rng, op)` adds a header, step,
element, micro-step, previous state and operand bits (edge values
included), everything micro.py and the contract need for one micro-step.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from offchain.runtime import micro
from offchain.runtime.opcodes import Op, Ref
from offchain.runtime.program import Header, Node

EDGE = [0x00000000, 0x80000000, 0x7F800000, 0xFF800000, 0x7FC00000, 0xFFC00001, 0x7F800001,
        0x00000001, 0x807FFFFF, 0x00800000, 0x7F7FFFFF, 0xFF7FFFFF, 0x3F800000, 0xBF800000,
        0x4B800000, 0x33800000]


def rand_bits(rng: random.Random) -> int:
    """Float32 bits: an edge value, a random pattern, or a moderate number."""
    pick = rng.random()
    if pick < 0.3:
        return rng.choice(EDGE)
    if pick < 0.5:
        return rng.getrandbits(32)
    exp = rng.randrange(100, 155)  # |x| in about [2^-27, 2^28]
    return rng.getrandbits(1) << 31 | exp << 23 | rng.getrandbits(23)


def rand_ref(rng: random.Random) -> tuple[Ref, int]:
    return (Ref.NODE, rng.randrange(0, 40)) if rng.random() < 0.5 else (Ref.STATE, rng.randrange(0, 6))


def rand_dim(rng: random.Random) -> int:
    return rng.choice([1, 1, 2, 3, 5, 7, 10, 13, 64, 784, 1 << 20, (1 << 32) - 1])


def random_header(rng: random.Random) -> Header:
    return Header(n_state=rng.randrange(1, 8), n_step=rng.randrange(8, 40),
                  data_rows=rng.choice([1, 7, 1797, 60_000, (1 << 32) - 1]),
                  data_cols=rng.choice([1, 74, 794, (1 << 32) - 1]),
                  batch=rng.randrange(1, 64), seed=rng.getrandbits(64))


def random_node(op: Op, rng: random.Random) -> Node:
    r, c = rand_dim(rng), rand_dim(rng)
    a, b = rand_ref(rng), rand_ref(rng)
    fbits = rand_bits(rng)
    if op == Op.INIT_UNIFORM:
        return Node(op, (), r, c, c0=fbits)
    if op == Op.GATHER:
        return Node(op, ((Ref.DATA, 0),), rng.randrange(1, 64), rand_dim(rng), c0=rng.getrandbits(32))
    if op == Op.IM2COL:
        h, w = rng.randrange(1, 256), rng.randrange(1, 256)
        kh, kw = rng.randrange(1, min(h, 7) + 1), rng.randrange(1, min(w, 7) + 1)
        patches = (h - kh + 1) * (w - kw + 1)
        return Node(op, ((Ref.DATA, 0),), rng.randrange(1, 64) * patches, kh * kw,
                    c0=h << 24 | w << 16 | kh << 8 | kw, c1=rng.getrandbits(32))
    if op == Op.MATMUL:
        return Node(op, (a, b), r, c, k=rng.choice([1, 2, 3, 17, 784, (1 << 32) - 1]), c0=rng.randrange(4))
    if op == Op.SUM:
        axis, k = rng.randrange(2), rng.choice([1, 2, 5, 100, (1 << 32) - 1])
        return Node(op, (a,), 1 if axis == 0 else r, c if axis == 0 else 1, k=k, c0=axis)
    if op in (Op.SCALE, Op.MSE_GRAD, Op.SGD):
        return Node(op, (a, b) if op != Op.SCALE else (a,), r, c, c0=fbits)
    if op == Op.RELU:
        return Node(op, (a,), r, c)
    return Node(op, (a, b), r, c)  # ADD SUB MUL BIAS_ADD RELU_BWD


@dataclass
class Case:
    header: Header
    node: Node
    j: int
    t: int
    e: int
    m: int
    prev: int
    operands: list[int]

    def refs(self) -> list[tuple[Ref, int, int]]:
        return micro.operand_refs(self.header, self.node, self.t, self.e, self.m)

    def expected(self) -> int:
        return micro.next_state(self.header, self.node, self.j, self.t, self.e, self.m, self.prev, self.operands)


def random_case(rng: random.Random, op: Op) -> Case:
    header = random_header(rng)
    node = random_node(op, rng)
    size = node.rows * node.cols
    e = rng.choice([0, size - 1, rng.randrange(size)])
    k = micro.num_micro_steps(node)
    m = rng.choice([1, k, rng.randrange(1, k + 1)])
    t = 0 if op == Op.INIT_UNIFORM else rng.choice([1, 2, rng.getrandbits(20) + 1])
    j = rng.randrange(header.n_state) if t == 0 else rng.randrange(header.n_step)
    case = Case(header, node, j, t, e, m, rand_bits(rng), [])
    case.operands = [rand_bits(rng) for _ in case.refs()]
    return case
