"""decode_node: the contract splits a node record exactly as program.Node.decode."""

import random

from onestep_cases import random_node

from offchain.runtime.opcodes import NODE_FIELDS, Op


def test_random_nodes_roundtrip(verifier):
    rng = random.Random(6)
    for op in Op:
        node = random_node(op, rng)
        got = verifier.decode_node(node.encode())
        word = node.encode()
        want = []
        pos = 256
        for _, width in NODE_FIELDS:
            pos -= width
            want.append((word >> pos) & ((1 << width) - 1))
        assert list(got) == want
        assert (
            got[0] == int(op) and got[7] == node.rows and got[8] == node.cols and got[11] == node.c1
        )


def test_all_ones_fields(verifier):
    got = verifier.decode_node(2**256 - 1)
    assert list(got) == [(1 << w) - 1 for _, w in NODE_FIELDS]
