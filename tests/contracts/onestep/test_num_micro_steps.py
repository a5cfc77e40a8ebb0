"""num_micro_steps: K per opcode as micro.num_micro_steps (and the spec table)."""

import random

import brownie
import pytest
from onestep_cases import random_node

from offchain.runtime import micro
from offchain.runtime.opcodes import Op, Ref
from offchain.runtime.program import Node

SPEC_K = {Op.INIT_UNIFORM: 4, Op.MSE_GRAD: 2, Op.SGD: 2}


@pytest.mark.parametrize("op", list(Op), ids=lambda op: op.name)
def test_matches_micro_and_spec(verifier, op):
    node = random_node(op, random.Random(int(op)))
    k = verifier.num_micro_steps(node.encode())
    assert k == micro.num_micro_steps(node)
    assert k == (node.k if op in (Op.MATMUL, Op.SUM) else SPEC_K.get(op, 1))


def test_unknown_opcode_reverts(verifier):
    for op in (0, 15, 255):
        word = Node(Op.ADD, ((Ref.NODE, 0), (Ref.NODE, 1)), 1, 1).encode() & ~(0xFF << 248) | (
            op << 248
        )
        with brownie.reverts("onestep: unknown opcode"):
            verifier.num_micro_steps(word)
