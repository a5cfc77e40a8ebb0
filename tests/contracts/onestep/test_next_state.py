"""next_state: the contract's micro-step equals micro.next_state bit for bit, every opcode."""

import random

import brownie
import pytest
from onestep_cases import random_case

from offchain.runtime import micro
from offchain.runtime.opcodes import Op, Ref
from offchain.runtime.program import Header, Node

CASES_PER_OP = 12


@pytest.mark.parametrize("op", list(Op), ids=lambda op: op.name)
def test_matches_micro(verifier, op):
    rng = random.Random(1000 + int(op))
    for _ in range(CASES_PER_OP):
        c = random_case(rng, op)
        got = verifier.next_state(
            c.header.encode(), c.node.encode(), c.j, c.t, c.e, c.m, c.prev, c.operands
        )
        assert got == c.expected(), f"{op.name} {c}"


@pytest.mark.slow
@pytest.mark.parametrize("op", list(Op), ids=lambda op: op.name)
def test_matches_micro_many(verifier, op):
    rng = random.Random(5000 + int(op))
    for _ in range(150):
        c = random_case(rng, op)
        got = verifier.next_state(
            c.header.encode(), c.node.encode(), c.j, c.t, c.e, c.m, c.prev, c.operands
        )
        assert got == c.expected(), f"{op.name} {c}"


def test_full_matmul_trace_on_chain(verifier):
    """Chaining the contract's micro-steps reproduces micro.element_trace."""
    rng = random.Random(3)
    header = Header(2, 6, 10, 4, 2, 99)
    node = Node(Op.MATMUL, ((Ref.NODE, 1), (Ref.STATE, 0)), 3, 2, k=5, c0=2)
    data = {
        (Ref.NODE, 1): [rng.getrandbits(32) & 0xBFFFFFFF for _ in range(15)],
        (Ref.STATE, 0): [rng.getrandbits(32) & 0xBFFFFFFF for _ in range(10)],
    }
    trace = micro.element_trace(header, node, 4, 7, 5, lambda k, i, f: data[(k, i)][f])
    s = 0
    for m in range(1, 6):
        ops = [data[(k, i)][f] for k, i, f in micro.operand_refs(header, node, 7, 5, m)]
        s = verifier.next_state(header.encode(), node.encode(), 4, 7, 5, m, s, ops)
        assert s == trace[m]


def test_init_uniform_trace_on_chain(verifier):
    header = Header(3, 6, 10, 4, 2, 2**64 - 1)
    node = Node(Op.INIT_UNIFORM, (), 8, 9, c0=0x3D800000)  # bound 1/16
    for e in (0, 37, 71):
        trace = micro.element_trace(header, node, 2, 0, e, lambda *_: 0)
        s = 0
        for m in range(1, 5):
            s = verifier.next_state(header.encode(), node.encode(), 2, 0, e, m, s, [])
            assert s == trace[m]


H = Header(2, 6, 10, 4, 2, 1).encode()
ADD = Node(Op.ADD, ((Ref.NODE, 0), (Ref.NODE, 1)), 2, 3).encode()


@pytest.mark.parametrize(
    "node,e,m,ops,reason",
    [
        (ADD, 6, 1, [0, 0], "onestep: element out of range"),
        (ADD, 0, 0, [0, 0], "onestep: micro-step out of range"),
        (ADD, 0, 2, [0, 0], "onestep: micro-step out of range"),
        (ADD, 0, 1, [0], "onestep: wrong operand count"),
        (ADD, 0, 1, [], "onestep: wrong operand count"),
        (
            Node(Op.SGD, ((Ref.NODE, 0), (Ref.NODE, 1)), 2, 3).encode(),
            0,
            1,
            [0, 0],
            "onestep: wrong operand count",
        ),
        (
            Node(Op.SUM, ((Ref.NODE, 0),), 2, 1, k=3, c0=2).encode(),
            0,
            1,
            [0],
            "onestep: bad sum axis",
        ),
        (
            Node(Op.IM2COL, ((Ref.DATA, 0),), 4, 4, c0=2 << 24 | 2 << 16 | 3 << 8 | 1).encode(),
            0,
            1,
            [0],
            "onestep: bad im2col shape",
        ),
        (
            Node(Op.IM2COL, ((Ref.DATA, 0),), 4, 4, c0=2 << 24 | 2 << 16 | 0 << 8 | 1).encode(),
            0,
            1,
            [0],
            "onestep: bad im2col shape",
        ),
        (ADD & ~(0xFF << 248) | ((max(Op) + 1) << 248), 0, 1, [0, 0], "onestep: unknown opcode"),
        (ADD & ~(0xFF << 248), 0, 1, [0, 0], "onestep: unknown opcode"),
    ],
)
def test_bad_input_reverts(verifier, node, e, m, ops, reason):
    with brownie.reverts(reason):
        verifier.next_state(H, node, 0, 1, e, m, 0, ops)


def test_empty_dataset_reverts(verifier):
    header = Header(2, 6, 0, 4, 2, 1).encode()
    node = Node(Op.GATHER, ((Ref.DATA, 0),), 2, 3).encode()
    with brownie.reverts("onestep: empty dataset"):
        verifier.next_state(header, node, 0, 1, 0, 1, 0, [0])
    with pytest.raises(ValueError, match="empty dataset"):
        micro.next_state(header, node, 0, 1, 0, 1, 0, [0])
