# pragma version ^0.4.3
# pragma nonreentrancy on
"""
@title MerkleHarness
@license MIT
@notice Test-only wrapper exposing the merkle module's internal functions.
"""


# ------------------------------------------------------------------
#                            MODULES
# ------------------------------------------------------------------

from ..modules import merkle


# ------------------------------------------------------------------
#                            EXTERNAL
# ------------------------------------------------------------------


@external
@pure
def verify(root: bytes32, leaf: bytes32, index: uint256, proof: DynArray[bytes32, merkle.MAX_DEPTH]) -> bool:
    """
    @dev merkle._verify.
    """
    return merkle._verify(root, leaf, index, proof)


@external
@pure
def compute_root(leaf: bytes32, index: uint256, proof: DynArray[bytes32, merkle.MAX_DEPTH]) -> bytes32:
    """
    @dev merkle._compute_root.
    """
    return merkle._compute_root(leaf, index, proof)


@external
@pure
def lane(leaf: bytes32, e: uint256) -> uint32:
    """
    @dev merkle._lane.
    """
    return merkle._lane(leaf, e)


@external
@pure
def verify_exact(
    root: bytes32, leaf: bytes32, index: uint256, n: uint256, proof: DynArray[bytes32, merkle.MAX_DEPTH]
) -> bool:
    """
    @dev merkle._verify_exact.
    @param root The tree's root.
    @param leaf The claimed leaf.
    @param index Its index.
    @param n The tree's real leaf count.
    @param proof Siblings bottom-up.
    @return True when the proof has the exact height and verifies.
    """
    return merkle._verify_exact(root, leaf, index, n, proof)


@external
@pure
def height(n: uint256) -> uint256:
    """
    @dev merkle._height.
    @param n Real leaves.
    @return Levels above the leaves.
    """
    return merkle._height(n)
