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
