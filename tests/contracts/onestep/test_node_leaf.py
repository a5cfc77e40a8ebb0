"""node_leaf: node j of step t is leaf 1 + j (t = 0) or 1 + n_state + j, as Program.leaf_index."""

import brownie

from offchain.runtime.opcodes import Op
from offchain.runtime.program import Header, Node, Program


def test_matches_program_leaf_index(verifier):
    header = Header(3, 7, 10, 4, 2, 1)
    prog = Program(
        header, (Node(Op.INIT_UNIFORM, (), 1, 1),) * 3, (Node(Op.INIT_UNIFORM, (), 1, 1),) * 7
    )
    for t, count in ((0, 3), (1, 7), (500, 7)):
        for j in range(count):
            assert verifier.node_leaf(header.encode(), t, j) == prog.leaf_index(t, j)


def test_out_of_range_reverts(verifier):
    header = Header(3, 7, 10, 4, 2, 1).encode()
    with brownie.reverts("onestep: node index out of range"):
        verifier.node_leaf(header, 0, 3)
    with brownie.reverts("onestep: node index out of range"):
        verifier.node_leaf(header, 2, 7)
