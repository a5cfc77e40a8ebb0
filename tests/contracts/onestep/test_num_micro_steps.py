"""num_micro_steps: K per opcode as micro.num_micro_steps (and the spec table)."""

import random

import brownie
import pytest
from onestep_cases import random_node

from offchain.runtime import micro
from offchain.runtime.opcodes import Op, Ref
from offchain.runtime.program import Node

SPEC_K = {Op.INIT_UNIFORM: 4, Op.MSE_GRAD: 2, Op.SGD: 2, Op.RSQRT: 2, Op.ADAM_M: 2, Op.ADAM_V: 2, Op.ADAM: 10,
          Op.GELU: 4, Op.GELU_BWD: 4, Op.LN_NORM: 2}


def spec_k(node: Node) -> int:
    """K from the spec tables (sections 5 and 5.1)."""
    if node.op in (Op.MATMUL, Op.SUM, Op.ROW_MAX):
        return node.k
    if node.op == Op.BMATMUL:  # section 5.4
        return node.k
    if node.op == Op.SOFTMAX_XENT:
        return 2 * node.k
    if node.op == Op.SOFTMAX_XENT_GRAD:
        return node.k + 3
    if node.op == Op.SOFTMAX:
        return node.k + 1
    if node.op == Op.SOFTMAX_BWD:
        return node.k + 2
    if node.op == Op.LN_RSTD:
        return node.k + 3
    if node.op == Op.LN_BWD:
        return node.cols + 2
    if node.op == Op.EMBEDDING:  # section 5.3: the token, then its row
        return 2
    if node.op == Op.EMBEDDING_BWD:  # one select-accumulate per token
        return node.k
    return SPEC_K.get(node.op, 1)


@pytest.mark.parametrize("op", list(Op), ids=lambda op: op.name)
def test_matches_micro_and_spec(verifier, op):
    node = random_node(op, random.Random(int(op)))
    k = verifier.num_micro_steps(node.encode())
    assert k == micro.num_micro_steps(node)
    assert k == spec_k(node)


def test_unknown_opcode_reverts(verifier):
    for op in (0, max(Op) + 1, 255):
        word = Node(Op.ADD, ((Ref.NODE, 0), (Ref.NODE, 1)), 1, 1).encode() & ~(0xFF << 248) | (
            op << 248
        )
        with brownie.reverts("onestep: unknown opcode"):
            verifier.num_micro_steps(word)
