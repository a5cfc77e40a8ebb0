# pragma version ^0.4.3
"""
@title segment
@license MIT
@notice The segment checks of the dispute game (design.md section 6,
        docs/security.md "Segments"): when the run-tree descent (L1) ends
        at boundary index i >= 1, each party commits the Merkle root of
        its step roots S_{b(i-1)}, ..., S_{b(i)} (L + 1 leaves,
        L = b(i) - b(i-1)), proving leaf 0 equal to its run-tree leaf i - 1
        (agreed: it lies left of the first difference) and leaf L equal to
        the S_{b(i)} it revealed at L1. The L1b descent over the two
        segment trees then finds the first differing step.
@dev Every proof is exact (merkle._verify_exact); the leaf counts come
     from num_steps and the checkpoint interval fixed at open, never from
     the proofs.
@custom:security Pure.
"""

from . import merkle


# ------------------------------------------------------------------
#                            INTERNAL
# ------------------------------------------------------------------


@internal
@pure
def _check_commit(
    root: bytes32,
    length: uint256,
    run_root: bytes32,
    i: uint256,
    run_leaves: uint256,
    claimed: bytes32,
    first_leaf: bytes32,
    first_proof: DynArray[bytes32, merkle.MAX_DEPTH],
    first_run_proof: DynArray[bytes32, merkle.MAX_DEPTH],
    last_leaf: bytes32,
    last_proof: DynArray[bytes32, merkle.MAX_DEPTH],
):
    """
    @dev Reverts unless `root` (a tree of length + 1 leaves) has leaf 0 =
         leaf i - 1 of `run_root` (a tree of run_leaves leaves) and leaf
         `length` = `claimed`, all with exact proofs.
    """
    n: uint256 = length + 1
    assert merkle._verify_exact(root, first_leaf, 0, n, first_proof), "dispute_game: bad segment start proof"
    assert merkle._verify_exact(
        run_root, first_leaf, i - 1, run_leaves, first_run_proof
    ), "dispute_game: segment start is not the run leaf"
    assert merkle._verify_exact(root, last_leaf, length, n, last_proof), "dispute_game: bad segment end proof"
    assert last_leaf == claimed, "dispute_game: segment end is not the revealed step root"


@external
@pure
def leaves(length: uint256) -> uint256:
    """
    @dev Never exported by importers. It exists because brownie 1.22
         cannot build a module without runtime code.
    @param length Steps L of the segment.
    @return Leaves of the segment tree.
    """
    return length + 1
