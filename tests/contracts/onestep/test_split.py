"""The split of the one-step semantics: OneStepVerifier (v1 and proofs) calls
OneStepV2 (every opcode >= 15). Attacks on the wiring and the dispatch."""

import random

import brownie
import pytest
from brownie import ZERO_ADDRESS
from onestep_cases import random_case

from offchain.runtime import micro
from offchain.runtime.opcodes import Op, Ref
from offchain.runtime.program import Header, Node

V2_OPS = [op for op in Op if op >= Op.DIV]
V1_OPS = [op for op in Op if op < Op.DIV]
H = Header(1, 3, 5, 4, 2, 7).encode()


def _with_opcode(word: int, op: int) -> int:
    return word & ~(0xFF << 248) | (op << 248)


def test_constructor_refuses_zero_v2_address(OneStepVerifier, deployer):
    with brownie.reverts("onestep: zero v2 address"):
        OneStepVerifier.deploy(ZERO_ADDRESS, {"from": deployer})


def test_constructor_refuses_codeless_v2_address(OneStepVerifier, deployer, accounts):
    """An account without code (an EOA, or a contract not deployed yet) would
    make every v2 check return nothing: refused at deployment."""
    with brownie.reverts("onestep: v2 is not a contract"):
        OneStepVerifier.deploy(accounts[3], {"from": deployer})


def test_v2_address_is_public(verifier, onestep_v2):
    assert verifier.ONESTEP_V2() == onestep_v2.address


@pytest.mark.parametrize("op", V2_OPS, ids=lambda op: op.name)
def test_v2_opcode_is_decided_by_onestep_v2(verifier, onestep_v2, op):
    """The verifier's answers for a v2 opcode are OneStepV2's, which equal
    micro.py (the verifier's own tests compare it with micro.py too)."""
    c = random_case(random.Random(77 + int(op)), op)
    header, node = c.header.encode(), c.node.encode()
    args = (header, node, c.j, c.t, c.e, c.m, c.prev, c.operands)
    assert onestep_v2.next_state(*args) == verifier.next_state(*args) == c.expected()
    assert onestep_v2.num_micro_steps(node) == verifier.num_micro_steps(node)
    refs = onestep_v2.operand_refs(header, node, c.t, c.e, c.m, c.prev)
    no_prev = verifier.operand_refs(header, node, c.t, c.e, c.m)  # s_{m-1} taken as +0
    assert [tuple(r) for r in no_prev] == micro.operand_refs(c.header, c.node, c.t, c.e, c.m, 0)
    assert refs == verifier.operand_refs_prev(header, node, c.t, c.e, c.m, c.prev)
    counts = [verifier.input_count(header, node, i, ref[0]) for i, ref in enumerate(refs)]
    assert [onestep_v2.input_count(header, node, i, ref[0]) for i, ref in enumerate(refs)] == counts
    assert onestep_v2.operand_refs_counts(header, node, c.t, c.e, c.m, c.prev) == (refs, counts)


@pytest.mark.parametrize("op", V1_OPS, ids=lambda op: op.name)
def test_onestep_v2_refuses_v1_opcodes(onestep_v2, op):
    """OneStepV2 decides nothing below 15: a v1 node sent to it directly reverts."""
    c = random_case(random.Random(91 + int(op)), op)
    node = c.node.encode()
    with brownie.reverts("onestep: unknown opcode"):
        onestep_v2.num_micro_steps(node)
    with brownie.reverts("onestep: unknown opcode"):
        onestep_v2.next_state(c.header.encode(), node, c.j, c.t, c.e, c.m, c.prev, c.operands)


@pytest.mark.parametrize("op", [0, max(Op) + 1, 200, 255])
def test_unknown_opcode_reverts_with_reason_everywhere(verifier, op):
    """An opcode neither half knows reverts with the reason through every
    external of the verifier (OneStepV2's revert reaches the caller)."""
    node = _with_opcode(Node(Op.ADD, ((Ref.NODE, 0), (Ref.NODE, 1)), 2, 2).encode(), op)
    with brownie.reverts("onestep: unknown opcode"):
        verifier.num_micro_steps(node)
    with brownie.reverts("onestep: unknown opcode"):
        verifier.operand_refs(H, node, 1, 0, 1)
    with brownie.reverts("onestep: unknown opcode"):
        verifier.operand_refs_prev(H, node, 1, 0, 1, 0)
    with brownie.reverts("onestep: unknown opcode"):
        verifier.next_state(H, node, 0, 1, 0, 1, 0, [0, 0])


def test_v2_range_and_count_checks_reach_the_caller(verifier):
    """e, m and the operand count of a v2 node are checked by OneStepV2 with the
    v1 reasons (a caller cannot tell which half decided)."""
    node = Node(Op.DIV, ((Ref.NODE, 0), (Ref.NODE, 1)), 2, 3).encode()
    with brownie.reverts("onestep: element out of range"):
        verifier.next_state(H, node, 2, 1, 6, 1, 0, [0, 0])
    with brownie.reverts("onestep: micro-step out of range"):
        verifier.next_state(H, node, 2, 1, 0, 2, 0, [0, 0])
    with brownie.reverts("onestep: wrong operand count"):
        verifier.next_state(H, node, 2, 1, 0, 1, 0, [0])
