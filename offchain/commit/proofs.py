"""Merkle proofs of leaves and tensor elements, and their checkers.

Proof formats (docs/reproducible-ops.md, "Proofs"): a `LeafProof` is the
leaf index, the 32-byte leaf and its siblings bottom-up; an `ElementProof`
adds the flat element index e and its uint32 value, which must be lane
e % 8 of leaf e // 8. The `verify_*` functions recompute the root with
`merkle.verify` and are the Python oracle for the contracts' checks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import merkle
from .tensor import LANES, leaf_lane, levels_of, tensor_levels


@dataclass(frozen=True)
class LeafProof:
    """Leaf `index` of a tree, with its siblings from the bottom up."""

    index: int
    leaf: bytes
    siblings: tuple[bytes, ...]


@dataclass(frozen=True)
class ElementProof:
    """Element e (flat index) of a tensor, its value, and the proof of its leaf."""

    e: int
    value: int
    leaf: LeafProof


def prove_leaf(levels: list[list[bytes]], index: int) -> LeafProof:
    """Proof of leaf `index` from the levels of a tree (leaves first)."""
    if not 0 <= index < len(levels[0]):
        raise ValueError(f"proofs: leaf {index} out of range")
    return LeafProof(index, levels[0][index], tuple(merkle.proof(levels, index)))


def prove_leaves(leaves: list[bytes], index: int) -> LeafProof:
    """Proof of leaf `index` of the tree over `leaves` (e.g. node roots in S_t)."""
    if not 0 <= index < len(leaves):
        raise ValueError(f"proofs: leaf {index} out of range (tree of {len(leaves)})")
    return prove_leaf(levels_of(list(leaves)), index)


def prove_element(words: np.ndarray, e: int, levels: list[list[bytes]] | None = None) -> ElementProof:
    """Proof of element e of the tensor `words` against its tensor root."""
    flat = np.asarray(words).reshape(-1)
    if not 0 <= e < flat.size:
        raise ValueError(f"proofs: element {e} out of range (size {flat.size})")
    tree = levels if levels is not None else tensor_levels(flat)
    return ElementProof(e, int(flat[e]), prove_leaf(tree, e // LANES))


def verify_leaf(root: bytes, proof: LeafProof) -> bool:
    """True when proof.leaf sits at proof.index of the tree with root `root`."""
    return merkle.verify(root, proof.leaf, proof.index, list(proof.siblings))


def verify_element(root: bytes, proof: ElementProof) -> bool:
    """True when element proof.e of the tensor with root `root` is proof.value."""
    if proof.e < 0 or proof.leaf.index != proof.e // LANES:
        return False
    if leaf_lane(proof.leaf.leaf, proof.e % LANES) != proof.value & 0xFFFFFFFF:
        return False
    return verify_leaf(root, proof.leaf)


def verify_leaf_value(root: bytes, index: int, value: bytes, proof: LeafProof) -> bool:
    """True when `value` is leaf `index` of the tree with root `root` (e.g. S_t in R)."""
    return proof.index == index and proof.leaf == value and verify_leaf(root, proof)


def header_proof(program) -> tuple[int, list[bytes]]:
    """(header record, its proof as leaf 0 of program_root): TaskRegistry.create_task's last two arguments."""
    leaves = program.leaves()
    return int.from_bytes(leaves[0], "big"), merkle.proof(merkle.levels(leaves), 0)
