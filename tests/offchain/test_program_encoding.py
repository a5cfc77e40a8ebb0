"""Program records round-trip through their 256-bit encoding."""

import pytest

from offchain.runtime.opcodes import NODE_SHIFTS, Op, Ref
from offchain.runtime.program import Header, Node


def test_node_roundtrip():
    n = Node(Op.MATMUL, ((Ref.NODE, 3), (Ref.STATE, 1)), 5, 7, 11, 1, 0)
    assert Node.decode(n.encode()) == n
    assert n.encode() >> NODE_SHIFTS["opcode"][0] == int(Op.MATMUL)


def test_header_roundtrip():
    h = Header(4, 18, 1797, 74, 32, 2**64 - 1)
    assert Header.decode(h.encode()) == h


def test_field_overflow_rejected():
    with pytest.raises(ValueError, match="does not fit"):
        Node(Op.ADD, ((Ref.NODE, 1 << 16),), 1, 1).encode()
