"""BMATMUL on chain (OneStepV2 through OneStepVerifier) against micro.py, bit for bit.

Every element of small batched products for every flag combination (both
transposes, causal on and off, one and two batches): operand references,
operand counts and the whole micro-trace chained on chain; masked elements
(no operands, -inf) included; malformed records revert with one reason.
"""

import random

import brownie
import pytest
from onestep_cases import EDGE, rand_bits

from offchain.runtime import micro
from offchain.runtime import opcodes as oc
from offchain.runtime.opcodes import Op, Ref
from offchain.runtime.program import Header, Node

N, S = Ref.NODE, Ref.STATE
H = Header(2, 6, 10, 4, 2, 99)


def _node(flags: int, nb: int, rpb: int = 2, cols: int = 3, k: int = 3) -> Node:
    return Node(Op.BMATMUL, ((N, 1), (S, 0)), nb * rpb, cols, k=k, c0=flags, c1=nb)


@pytest.mark.parametrize("nb", [1, 2])
@pytest.mark.parametrize("flags", range(8))
def test_full_traces_and_refs_on_chain(verifier, flags, nb):
    """Every element: refs, counts and s_1..s_K on chain equal micro.py (edge values included)."""
    node = _node(flags, nb)
    rng = random.Random(flags * 10 + nb)
    tensors = {(N, 1): [rand_bits(rng) for _ in range(micro.input_count(H, node, 0, N))],
               (S, 0): [rand_bits(rng) for _ in range(micro.input_count(H, node, 1, S))]}
    tensors[(N, 1)][:len(EDGE)] = EDGE[:len(tensors[(N, 1)])]
    hw, nw = H.encode(), node.encode()
    assert verifier.num_micro_steps(nw) == node.k
    masked = 0
    for e in range(node.size):
        trace = micro.element_trace(H, node, 5, 1, e, lambda kd, i, f: tensors[(kd, i)][f])
        s = 0
        for m in range(1, node.k + 1):
            refs = micro.operand_refs(H, node, 1, e, m)
            if m in (1, node.k):
                assert [tuple(r) for r in verifier.operand_refs(hw, nw, 1, e, m)] == refs, (e, m)
                assert [verifier.input_count(hw, nw, i, kd) for i, (kd, _, _) in enumerate(refs)] == [
                    micro.input_count(H, node, i, kd) for i, (kd, _, _) in enumerate(refs)]
            ops = [tensors[(kd, i)][f] for kd, i, f in refs]
            s = verifier.next_state(hw, nw, 5, 1, e, m, s, ops)
            assert s == trace[m], (e, m)
        masked += trace[-1] == oc.BMM_MASKED and not micro.operand_refs(H, node, 1, e, 1)
    if flags & oc.BMM_CAUSAL:
        assert masked == nb * 3  # per batch (2 x 3): (0, 1), (0, 2), (1, 2)


def test_attack_operands_for_a_masked_element_revert(verifier):
    """A masked element takes no operand: a party sending two is refused (no value other than
    -inf can be proved for it)."""
    node = _node(oc.BMM_CAUSAL, 2)
    hw, nw = H.encode(), node.encode()
    assert verifier.operand_refs(hw, nw, 1, 1, 1) == []
    assert verifier.next_state(hw, nw, 5, 1, 1, 2, 0x3F800000, []) == oc.BMM_MASKED
    with brownie.reverts("onestep: wrong operand count"):
        verifier.next_state(hw, nw, 5, 1, 1, 1, 0, [0x3F800000, 0x3F800000])
    with brownie.reverts("onestep: wrong operand count"):  # and an unmasked one needs both
        verifier.next_state(hw, nw, 5, 1, 0, 1, 0, [])


@pytest.mark.parametrize("c0, c1, reason", [
    (0, 0, "onestep: bad bmatmul batch count"),
    (0, 3, "onestep: bad bmatmul batch count"),  # 3 does not divide rows = 4
    (8, 2, "onestep: bad bmatmul flags"),
    (1 << 31, 2, "onestep: bad bmatmul flags"),
])
def test_attack_malformed_bmatmul_record_reverts(verifier, c0, c1, reason):
    """A record no honest party accepts (executor.validate refuses it) cannot be decided on
    chain either: division by a zero batch count or unknown flags revert with one reason,
    in operand_refs and next_state alike."""
    node = Node(Op.BMATMUL, ((N, 1), (S, 0)), 4, 3, k=3, c0=c0, c1=c1)
    hw, nw = H.encode(), node.encode()
    with brownie.reverts(reason):
        verifier.operand_refs(hw, nw, 1, 0, 1)
    with brownie.reverts(reason):
        verifier.next_state(hw, nw, 5, 1, 0, 1, 0, [0, 0])
    with pytest.raises(ValueError, match="micro: BMATMUL"):
        micro.operand_refs(H, node, 1, 0, 1)


def test_big_shapes_match_micro(verifier):
    """Indices near the 32-bit field limits (no overflow: uint256 on chain, ints in Python)."""
    rng = random.Random(3)
    for _ in range(12):
        nb, rpb = rng.choice([1, 7, 1 << 10]), rng.choice([1, 5, 1 << 20])
        node = Node(Op.BMATMUL, ((N, 1), (S, 0)), nb * rpb, rng.choice([1, 10, (1 << 32) - 1]),
                    k=rng.choice([1, 784, (1 << 32) - 1]), c0=rng.randrange(8), c1=nb)
        e = rng.randrange(node.size)
        m = rng.choice([1, node.k])
        refs = micro.operand_refs(H, node, 1, e, m)
        assert [tuple(r) for r in verifier.operand_refs(H.encode(), node.encode(), 1, e, m)] == refs
        assert verifier.input_count(H.encode(), node.encode(), 1, S) == micro.input_count(H, node, 1, S)


@pytest.mark.parametrize("op", [35, 36])
def test_reserved_unused_opcodes_revert(verifier, op):
    """The batched-MATMUL range reserves 34-36; 35 and 36 are not opcodes."""
    word = _node(0, 1).encode() & ~(0xFF << 248) | (op << 248)
    with brownie.reverts("onestep: unknown opcode"):
        verifier.num_micro_steps(word)
