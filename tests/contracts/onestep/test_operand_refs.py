"""operand_refs: the contract names the same (kind, index, flat) operands as micro.operand_refs."""

import random

import brownie
import pytest
from onestep_cases import random_case

from offchain.runtime.opcodes import Op, Ref
from offchain.runtime.program import Header, Node


@pytest.mark.parametrize("op", list(Op), ids=lambda op: op.name)
def test_matches_micro(verifier, op):
    rng = random.Random(2000 + int(op))
    for _ in range(12):
        c = random_case(rng, op)
        got = verifier.operand_refs_prev(c.header.encode(), c.node.encode(), c.t, c.e, c.m, c.prev)
        assert [tuple(r) for r in got] == [(int(k), i, f) for k, i, f in c.refs()], f"{op.name} {c}"


@pytest.mark.parametrize(
    "flags,ia,ib",
    [
        (0, 1 * 4 + 2, 2 * 3 + 1),
        (1, 2 * 2 + 1, 2 * 3 + 1),
        (2, 1 * 4 + 2, 1 * 4 + 2),
        (3, 2 * 2 + 1, 1 * 4 + 2),
    ],
)
def test_matmul_indices(verifier, flags, ia, ib):
    """Spot values from the spec table, independent of micro.py."""
    header = Header(1, 3, 5, 5, 2, 7).encode()
    node = Node(Op.MATMUL, ((Ref.NODE, 1), (Ref.STATE, 0)), 2, 3, k=4, c0=flags).encode()
    # element (r, c) = (1, 1), micro-step 3 reads a[1, 2] and b[2, 1]
    assert [tuple(r) for r in verifier.operand_refs(header, node, 1, 4, 3)] == [
        (1, 1, ia),
        (2, 0, ib),
    ]


def test_gather_row_is_keccak_of_seed_step_row(verifier):
    from eth_hash.auto import keccak

    seed, t, rows, cols = 0xABCDEF, 17, 1797, 74
    header = Header(1, 3, rows, cols, 32, seed).encode()
    node = Node(Op.GATHER, ((Ref.DATA, 0),), 32, 10, c0=64).encode()
    for b, c in [(0, 0), (5, 3), (31, 9)]:
        h = keccak(b"".join(x.to_bytes(32, "big") for x in (seed, t, b)))
        row = int.from_bytes(h, "big") % rows
        assert tuple(verifier.operand_refs(header, node, t, b * 10 + c, 1)[0]) == (
            3,
            0,
            row * cols + 64 + c,
        )


def test_out_of_range_reverts(verifier):
    header = Header(1, 3, 5, 5, 2, 7).encode()
    node = Node(Op.SUM, ((Ref.NODE, 1),), 1, 3, k=4, c0=0).encode()
    with brownie.reverts("onestep: element out of range"):
        verifier.operand_refs(header, node, 1, 3, 1)
    with brownie.reverts("onestep: micro-step out of range"):
        verifier.operand_refs(header, node, 1, 2, 5)
