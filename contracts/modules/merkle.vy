# pragma version ^0.4.3
"""
@title merkle
@license MIT
@notice keccak256 Merkle proofs over 32-byte leaves, and lane extraction
        from tensor leaves (docs/reproducible-ops.md section 6).
@dev Identical to offchain/commit/merkle.py: trees are padded with zero
     leaves to a power of two, an inner node is keccak256(left || right),
     a one-leaf tree's root is the leaf. A proof lists the siblings from
     the leaf upwards; bit i of the leaf index is 1 when the node at
     height i is a right child, and no index bit may be left over above
     the proof. A tensor leaf packs 8 uint32 words; lane 0 is the most
     significant 4 bytes.
@custom:security Leaves are not domain-separated from inner nodes (the
     commitment format is shared with the off-chain runtime). What keeps a
     party from passing an inner node, the root, or a value below a leaf
     as "leaf i" is the exact height: `_verify_exact` takes the tree's
     real leaf count from the caller (derived from committed data, never
     from the proof) and accepts only a proof of exactly `_height(n)`
     siblings for an index below n. The dispute game and the one-step
     verifier use nothing else.
"""


# ------------------------------------------------------------------
#                            CONSTANTS
# ------------------------------------------------------------------

# @dev longest proof accepted: trees of up to 2**32 leaves. Public so that
#      the module compiled on its own has a runtime (brownie's build step
#      cannot handle an empty one); importers do not export it.
MAX_DEPTH: public(constant(uint256)) = 32

# @dev uint32 words per tensor leaf
LANES: constant(uint256) = 8


# ------------------------------------------------------------------
#                            INTERNAL
# ------------------------------------------------------------------


@internal
@pure
def _compute_root(leaf: bytes32, index: uint256, proof: DynArray[bytes32, MAX_DEPTH]) -> bytes32:
    """
    @dev Root of the tree in which `leaf` sits at `index` with siblings `proof`.
         Index bits above len(proof) are ignored; `_verify` rejects them.
    """
    node: bytes32 = leaf
    idx: uint256 = index
    for sibling: bytes32 in proof:
        if idx & 1 == 1:
            node = keccak256(concat(sibling, node))
        else:
            node = keccak256(concat(node, sibling))
        idx >>= 1
    return node


@internal
@pure
def _verify(root: bytes32, leaf: bytes32, index: uint256, proof: DynArray[bytes32, MAX_DEPTH]) -> bool:
    """
    @dev True when `leaf` is leaf `index` of the tree whose root is `root`.
    """
    if index >> len(proof) != 0:
        return False
    return self._compute_root(leaf, index, proof) == root


@internal
@pure
def _height(n: uint256) -> uint256:
    """
    @dev Levels above the leaves of a tree of n leaves padded to a power of
         two: ceil(log2(n)), 0 for n <= 1 (the bit length of n - 1).
    """
    if n <= 1:
        return 0
    x: uint256 = n - 1
    h: uint256 = 1
    if x >> 128 != 0:
        x >>= 128
        h += 128
    if x >> 64 != 0:
        x >>= 64
        h += 64
    if x >> 32 != 0:
        x >>= 32
        h += 32
    if x >> 16 != 0:
        x >>= 16
        h += 16
    if x >> 8 != 0:
        x >>= 8
        h += 8
    if x >> 4 != 0:
        x >>= 4
        h += 4
    if x >> 2 != 0:
        x >>= 2
        h += 2
    if x >> 1 != 0:
        h += 1
    return h


@internal
@pure
def _verify_exact(
    root: bytes32, leaf: bytes32, index: uint256, n: uint256, proof: DynArray[bytes32, MAX_DEPTH]
) -> bool:
    """
    @dev True when `leaf` is real leaf `index` (< n) of the tree of n
         leaves whose root is `root`, with a proof of exactly the tree's
         height. n comes from committed data, never from the proof.
    """
    if index >= n:
        return False
    if len(proof) != self._height(n):
        return False
    return self._compute_root(leaf, index, proof) == root


@internal
@pure
def _lane(leaf: bytes32, e: uint256) -> uint32:
    """
    @dev Word `e % 8` of a tensor leaf (lane 0 = most significant 32 bits).
    """
    bit: uint256 = 224 - 32 * (e % LANES)
    return convert((convert(leaf, uint256) >> bit) & convert(max_value(uint32), uint256), uint32)

