"""one_step: header and node proved against program_root, then the micro-step of micro.py."""

import random

import brownie
import pytest
from onestep_cases import program_with, random_case, word

from offchain.commit import merkle
from offchain.runtime.opcodes import Op
from offchain.runtime.program import Header


def _args(prog, c):
    leaves = prog.leaves()
    tree = merkle.levels(leaves)
    li = prog.leaf_index(c.t, c.j)
    return [
        prog.root(),
        c.header.encode(),
        merkle.proof(tree, 0),
        c.node.encode(),
        merkle.proof(tree, li),
        c.t,
        c.j,
        c.e,
        c.m,
        c.prev,
        c.operands,
    ]


@pytest.mark.parametrize("op", list(Op), ids=lambda op: op.name)
def test_matches_micro(verifier, op):
    rng = random.Random(3000 + int(op))
    for _ in range(4):
        c = random_case(rng, op)
        args = _args(program_with(c, rng), c)
        assert verifier.one_step(*args) == c.expected(), f"{op.name} {c}"


@pytest.fixture(scope="module")
def valid():
    rng = random.Random(11)
    c = random_case(rng, Op.MATMUL)
    prog = program_with(c, rng)
    return prog, c, _args(prog, c)


def _flip(b: bytes, i: int) -> bytes:
    return b[:i] + bytes([b[i] ^ 0x80]) + b[i + 1 :]


def test_valid_case_passes(verifier, valid):
    _, c, args = valid
    assert verifier.one_step(*args) == c.expected()


def test_tampered_header_proof_reverts(verifier, valid):
    _, _, args = valid
    for s in range(len(args[2])):
        bad = list(args)
        bad[2] = list(args[2])
        bad[2][s] = _flip(bad[2][s], s % 32)
        with brownie.reverts("onestep: bad header proof"):
            verifier.one_step(*bad)


def test_tampered_header_reverts(verifier, valid):
    _, _, args = valid
    for bit in (255, 200, 130, 70, 0):
        bad = list(args)
        bad[1] = args[1] ^ (1 << bit)
        reason = "onestep: bad program version" if bit == 255 else "onestep: bad header proof"
        with brownie.reverts(reason):
            verifier.one_step(*bad)


def test_attack_program_proofs_of_the_wrong_height(verifier, valid):
    """A header or node proof one level shorter (an inner node as the leaf) or
    longer (a value below the leaf) than the program tree is rejected."""
    from eth_hash.auto import keccak

    _, _, args = valid
    # shorter: the header's parent node, proved by the remaining siblings (valid on old code)
    bad = list(args)
    parent = keccak(args[1].to_bytes(32, "big") + bytes(args[2][0]))
    bad[1], bad[2] = int.from_bytes(parent, "big"), list(args[2][1:])
    with brownie.reverts():
        verifier.one_step(*bad)
    # longer: node j's record as the parent of two words (valid on old code when it hashes to the record)
    bad = list(args)
    bad[4] = [b"\x00" * 32] + list(args[4])
    with brownie.reverts("onestep: bad node proof"):
        verifier.one_step(*bad)


def test_tampered_root_reverts(verifier, valid):
    _, _, args = valid
    for i in (0, 13, 31):
        bad = list(args)
        bad[0] = _flip(args[0], i)
        with brownie.reverts("onestep: bad header proof"):
            verifier.one_step(*bad)


def test_tampered_node_or_proof_reverts(verifier, valid):
    _, _, args = valid
    for bit in (255, 250, 230, 150, 100, 60, 16, 0):
        bad = list(args)
        bad[3] = args[3] ^ (1 << bit)
        with brownie.reverts("onestep: bad node proof"):
            verifier.one_step(*bad)
    for s in range(len(args[4])):
        bad = list(args)
        bad[4] = list(args[4])
        bad[4][s] = _flip(bad[4][s], 31 - s)
        with brownie.reverts("onestep: bad node proof"):
            verifier.one_step(*bad)


def test_node_of_another_position_reverts(verifier, valid):
    prog, c, args = valid
    other = (c.j + 1) % c.header.n_step
    bad = list(args)
    bad[6] = other  # the record and proof of node j do not sit at node `other`
    with brownie.reverts("onestep: bad node proof"):
        verifier.one_step(*bad)
    bad = list(args)
    bad[5] = 0  # at step 0 the same j is an init node (or out of range)
    with brownie.reverts(
        "onestep: bad node proof" if c.j < c.header.n_state else "onestep: node index out of range"
    ):
        verifier.one_step(*bad)


def test_node_index_out_of_range_reverts(verifier, valid):
    _, c, args = valid
    bad = list(args)
    bad[6] = c.header.n_step
    with brownie.reverts("onestep: node index out of range"):
        verifier.one_step(*bad)
    bad[5], bad[6] = 0, c.header.n_state
    with brownie.reverts("onestep: node index out of range"):
        verifier.one_step(*bad)


def test_bad_version_reverts(verifier):
    rng = random.Random(12)
    c = random_case(rng, Op.ADD)
    c.header = Header(**{**c.header.__dict__, "version": 2})
    args = _args(program_with(c, rng), c)
    with brownie.reverts("onestep: bad program version"):
        verifier.one_step(*args)


def test_range_and_count_checked_after_proofs(verifier, valid):
    _, c, args = valid
    bad = list(args)
    bad[7] = c.node.rows * c.node.cols
    with brownie.reverts("onestep: element out of range"):
        verifier.one_step(*bad)
    bad = list(args)
    bad[8] = c.node.k + 1
    with brownie.reverts("onestep: micro-step out of range"):
        verifier.one_step(*bad)
    bad = list(args)
    bad[10] = args[10][:1]
    with brownie.reverts("onestep: wrong operand count"):
        verifier.one_step(*bad)


def test_single_node_program(verifier):
    """A 2-leaf program (header + one init node): depth-1 proofs."""
    rng = random.Random(13)
    c = random_case(rng, Op.INIT_UNIFORM)
    c.header = Header(**{**c.header.__dict__, "n_state": 1, "n_step": 0})
    c.j = 0
    prog = program_with(c, rng)
    assert len(prog.leaves()) == 2
    args = _args(prog, c)
    assert verifier.one_step(*args) == c.expected()
    assert word(c.header.encode()) == prog.leaves()[0]
