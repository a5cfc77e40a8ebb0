"""Binary keccak256 Merkle trees over 32-byte leaves (docs/reproducible-ops.md section 6).

A tree over n >= 1 leaves is padded with zero leaves to the next power of
two; an inner node is keccak256(left || right); a tree of one leaf has that
leaf as its root. A proof is the list of siblings from the leaf upwards; bit i
of the leaf index says whether the node at height i is a right child.
"""

from __future__ import annotations

from eth_hash.auto import keccak

ZERO32 = b"\x00" * 32


def next_pow2(n: int) -> int:
    if n < 1:
        raise ValueError("merkle: a tree needs at least one leaf")
    return 1 << (n - 1).bit_length()


def depth(n: int) -> int:
    """Number of levels above the leaves for a tree of n leaves."""
    return (next_pow2(n) - 1).bit_length()


def hash_pair(left: bytes, right: bytes) -> bytes:
    return keccak(left + right)


def levels(leaves: list[bytes]) -> list[list[bytes]]:
    """All levels of the padded tree, leaves first, root last."""
    for leaf in leaves:
        if len(leaf) != 32:
            raise ValueError("merkle: every leaf is 32 bytes")
    level = list(leaves) + [ZERO32] * (next_pow2(len(leaves)) - len(leaves))
    out = [level]
    while len(level) > 1:
        level = [hash_pair(level[i], level[i + 1]) for i in range(0, len(level), 2)]
        out.append(level)
    return out


def root(leaves: list[bytes]) -> bytes:
    return levels(leaves)[-1][0]


def proof(tree: list[list[bytes]], index: int) -> list[bytes]:
    """Siblings of leaf `index`, bottom-up, from a tree built by `levels`."""
    if not 0 <= index < len(tree[0]):
        raise IndexError("merkle: leaf index out of range")
    out = []
    for level in tree[:-1]:
        out.append(level[index ^ 1])
        index >>= 1
    return out


def verify(root_: bytes, leaf: bytes, index: int, siblings: list[bytes]) -> bool:
    """True when `leaf` sits at `index` of the tree whose root is `root_`."""
    node = leaf
    for sib in siblings:
        node = hash_pair(sib, node) if index & 1 else hash_pair(node, sib)
        index >>= 1
    return index == 0 and node == root_


def verify_exact(root_: bytes, leaf: bytes, index: int, n: int, siblings: list[bytes]) -> bool:
    """As `verify`, for real leaf `index` < n of a tree of n leaves, with exactly depth(n) siblings.

    The contracts' merkle._verify_exact: the height comes from the tree's
    known size, so an inner node, the root or a value below a leaf cannot
    pass as a leaf.
    """
    return 0 <= index < n and len(siblings) == depth(n) and verify(root_, leaf, index, siblings)
