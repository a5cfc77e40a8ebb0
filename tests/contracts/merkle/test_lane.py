"""merkle._lane extracts word e % 8 of a tensor leaf, lane 0 most significant."""

import random

from offchain.commit import merkle


def test_lanes_of_a_packed_leaf(harness):
    rng = random.Random(7)
    words = [rng.getrandbits(32) for _ in range(8)]
    words[3], words[5] = 0, 0xFFFFFFFF
    leaf = b"".join(w.to_bytes(4, "big") for w in words)
    for e in range(24):
        assert harness.lane(leaf, e) == words[e % 8], f"element {e}"
    assert harness.lane(leaf, 2**256 - 1) == words[7]


def test_lane_matches_tensor_packing(harness):
    rng = random.Random(8)
    words = [rng.getrandbits(32) for _ in range(21)]  # last leaf zero-filled
    padded = words + [0] * 3
    leaves = [b"".join(w.to_bytes(4, "big") for w in padded[i : i + 8]) for i in range(0, 24, 8)]
    tree = merkle.levels(leaves)
    root = merkle.root(leaves)
    for e in (0, 7, 8, 15, 20, 23):
        leaf = leaves[e // 8]
        assert harness.verify(root, leaf, e // 8, merkle.proof(tree, e // 8))
        assert harness.lane(leaf, e) == padded[e]
