"""merkle._verify / _compute_root agree with offchain/commit/merkle.py and reject tampering."""

import pytest

from offchain.commit import merkle


@pytest.mark.parametrize("n", [1, 2, 3, 5, 8, 13, 23])
def test_every_leaf_of_a_tree_verifies(harness, random_leaves, n):
    leaves = random_leaves(n)
    tree = merkle.levels(leaves)
    root = merkle.root(leaves)
    for i in range(n):
        proof = merkle.proof(tree, i)
        assert len(proof) == merkle.depth(n)
        assert harness.compute_root(leaves[i], i, proof).hex() == root.hex()
        assert harness.verify(root, leaves[i], i, proof)


def test_single_leaf_root_is_the_leaf(harness, random_leaves):
    (leaf,) = random_leaves(1)
    assert harness.verify(leaf, leaf, 0, [])
    assert not harness.verify(leaf, leaf, 1, [])


def test_padding_leaf_verifies_as_zero(harness, random_leaves):
    leaves = random_leaves(5)
    tree = merkle.levels(leaves)
    assert harness.verify(merkle.root(leaves), merkle.ZERO32, 6, merkle.proof(tree, 6))


def _flip(b: bytes, i: int) -> bytes:
    return b[:i] + bytes([b[i] ^ 0x01]) + b[i + 1 :]


def test_every_tampered_byte_rejected(harness, random_leaves):
    leaves = random_leaves(11)
    tree = merkle.levels(leaves)
    root, idx = merkle.root(leaves), 6
    leaf, proof = leaves[idx], merkle.proof(tree, idx)
    assert harness.verify(root, leaf, idx, proof)
    for i in range(32):
        assert not harness.verify(root, _flip(leaf, i), idx, proof), f"leaf byte {i}"
        assert not harness.verify(_flip(root, i), leaf, idx, proof), f"root byte {i}"
        for s in range(len(proof)):
            bad = list(proof)
            bad[s] = _flip(bad[s], i)
            assert not harness.verify(root, leaf, idx, bad), f"sibling {s} byte {i}"


def test_wrong_index_rejected(harness, random_leaves):
    leaves = random_leaves(11)
    tree = merkle.levels(leaves)
    root, idx = merkle.root(leaves), 6
    proof = merkle.proof(tree, idx)
    for bad in [idx ^ (1 << b) for b in range(len(proof))] + [idx + 16, idx + (1 << 200)]:
        assert not harness.verify(root, leaves[idx], bad, proof), f"index {bad}"


def test_proof_length_is_part_of_the_claim(harness, random_leaves):
    leaves = random_leaves(8)
    tree = merkle.levels(leaves)
    root, proof = merkle.root(leaves), merkle.proof(tree, 3)
    assert not harness.verify(root, leaves[3], 3, proof[:-1])
    assert not harness.verify(root, leaves[3], 3, proof + [merkle.ZERO32])
    # an inner node is not a leaf: level-1 node 1 with the upper siblings
    assert not harness.verify(root, tree[1][1], 3, proof[1:])
