"""one_step_proved: operand values read from tensor leaves proved exactly against their tensor roots
(the height from the producer node's record, itself proved against program_root)."""

import random

import brownie
import pytest
from onestep_cases import proved_case

from offchain.commit import merkle
from offchain.runtime import micro
from offchain.runtime.opcodes import Op, Ref
from offchain.runtime.program import Header, Node, Program


def _program_args(prog, c):
    tree = merkle.levels(prog.leaves())
    return [
        prog.root(),
        c.header.encode(),
        merkle.proof(tree, 0),
        c.node.encode(),
        merkle.proof(tree, prog.leaf_index(c.t, c.j)),
        c.t,
        c.j,
        c.e,
        c.m,
        c.prev,
    ]


@pytest.mark.parametrize("op", list(Op), ids=lambda op: op.name)
def test_matches_micro(verifier, op):
    rng = random.Random(4000 + int(op))
    for _ in range(4):
        c, prog, proofs = proved_case(rng, op)
        state, inputs = verifier.one_step_proved(*_program_args(prog, c), proofs)
        assert state == c.expected(), f"{op.name} {c}"
        want = [
            micro.input_location(c.header, c.t, c.j, kind, index) for kind, index, _ in c.refs()
        ]
        assert [tuple(i) for i in inputs] == want


@pytest.fixture(scope="module")
def valid():
    rng = random.Random(21)
    c, prog, proofs = proved_case(rng, Op.MATMUL)
    return c, _program_args(prog, c), proofs


def _flip(b: bytes, i: int) -> bytes:
    return b[:i] + bytes([b[i] ^ 0x01]) + b[i + 1 :]


def test_valid_case_passes(verifier, valid):
    c, args, proofs = valid
    assert verifier.one_step_proved(*args, proofs)[0] == c.expected()


def test_every_tampered_operand_byte_reverts(verifier, valid):
    _, args, proofs = valid
    for i in range(len(proofs)):
        root, leaf, proof, record, rproof = proofs[i]
        variants = [(_flip(root, b), leaf, proof, record, rproof) for b in (0, 17, 31)]
        variants += [(root, _flip(leaf, b), proof, record, rproof) for b in range(32)]
        variants += [
            (root, leaf, proof[:s] + [_flip(proof[s], s)] + proof[s + 1 :], record, rproof)
            for s in range(len(proof))
        ]
        variants += [(root, leaf, proof + [bytes(32)], record, rproof)]
        variants += [(root, leaf, proof[:-1], record, rproof)] if proof else []
        for v in variants:
            bad = list(proofs)
            bad[i] = v
            with brownie.reverts("onestep: bad operand proof"):
                verifier.one_step_proved(*args, bad)


def test_attack_operand_inner_node_as_leaf(verifier, valid):
    """An inner node of the input's tensor tree given as the operand leaf with a
    shortened proof verified on the old code; the exact height refuses it."""
    from eth_hash.auto import keccak

    c, args, proofs = valid
    for i in range(len(proofs)):
        root, leaf, proof, record, rproof = proofs[i]
        if not proof:
            continue
        bad = list(proofs)
        # the node one level up (leaf flat // 16 of a tree one level shorter), remaining siblings
        right = (c.refs()[i][2] // 8) & 1
        inner = keccak(proof[0] + leaf) if right else keccak(leaf + proof[0])
        bad[i] = (root, inner, proof[1:], record, rproof)
        with brownie.reverts("onestep: bad operand proof"):
            verifier.one_step_proved(*args, bad)


def test_attack_operand_count_from_a_forged_record(verifier, valid):
    """The producer record fixes the tensor's height: a record not proved at the
    producer's leaf, or a proof of the wrong height, is refused."""
    _, args, proofs = valid
    for i in range(len(proofs)):
        root, leaf, proof, record, rproof = proofs[i]
        if not rproof:
            continue
        for bad_rec in ((record ^ (1 << 144), rproof), (record, rproof[:-1]), (record, rproof + [bytes(32)])):
            bad = list(proofs)
            bad[i] = (root, leaf, proof, *bad_rec)
            with brownie.reverts("onestep: bad input record proof"):
                verifier.one_step_proved(*args, bad)


def test_leaf_of_another_element_reverts(verifier):
    """The value must sit at leaf flat // 8: a correct proof of a neighbouring leaf is refused."""
    header = Header(1, 3, 5, 5, 2, 7)
    node = Node(Op.RELU, ((Ref.NODE, 0),), 4, 8)
    prog = Program(header, (Node(Op.INIT_UNIFORM, (), 1, 1),), (node, node, node))
    rng = random.Random(5)
    words = [rng.getrandbits(32) for _ in range(32)]
    leaves = [b"".join(w.to_bytes(4, "big") for w in words[i : i + 8]) for i in range(0, 32, 8)]
    tree, root = merkle.levels(leaves), merkle.root(leaves)
    ptree = merkle.levels(prog.leaves())
    args = [
        prog.root(),
        header.encode(),
        merkle.proof(ptree, 0),
        node.encode(),
        merkle.proof(ptree, prog.leaf_index(1, 2)),
        1,
        2,
        19,
        1,
        0,
    ]
    rec = (node.encode(), merkle.proof(ptree, prog.leaf_index(1, 0)))
    ok = verifier.one_step_proved(*args, [(root, leaves[2], merkle.proof(tree, 2), *rec)])
    assert ok[0] == micro.next_state(header, node, 2, 1, 19, 1, 0, [words[19]])
    assert tuple(ok[1][0]) == (micro.SOURCE_STEP, 0)
    with brownie.reverts("onestep: bad operand proof"):
        verifier.one_step_proved(*args, [(root, leaves[1], merkle.proof(tree, 1), *rec)])


def test_wrong_operand_count_reverts(verifier, valid):
    _, args, proofs = valid
    with brownie.reverts("onestep: wrong operand count"):
        verifier.one_step_proved(*args, proofs[:1])
    with brownie.reverts("onestep: wrong operand count"):
        verifier.one_step_proved(*args, [])


def test_input_after_node_reverts(verifier):
    """A NODE input at or after node j has no agreed tensor root: refused."""
    header = Header(1, 3, 5, 5, 2, 7)
    node = Node(Op.RELU, ((Ref.NODE, 1),), 1, 1)
    prog = Program(header, (Node(Op.INIT_UNIFORM, (), 1, 1),), (node, node, node))
    ptree = merkle.levels(prog.leaves())
    rec = (node.encode(), merkle.proof(ptree, prog.leaf_index(1, 1)))
    leaf = (5).to_bytes(4, "big") + bytes(28)
    for j, ok in ((2, True), (1, False), (0, False)):
        args = [
            prog.root(),
            header.encode(),
            merkle.proof(ptree, 0),
            node.encode(),
            merkle.proof(ptree, prog.leaf_index(1, j)),
            1,
            j,
            0,
            1,
            0,
        ]
        if ok:
            assert verifier.one_step_proved(*args, [(leaf, leaf, [], *rec)])[0] == 5
        else:
            with brownie.reverts("onestep: input node not before node"):
                verifier.one_step_proved(*args, [(leaf, leaf, [], *rec)])
