# pragma version ^0.4.3
"""
@title trace
@license MIT
@notice The micro-trace checks of the dispute game (design.md section 6):
        a party's trace commitment of element e (s_0 = +0.0 and s_K = the
        value it revealed at L3) and the agreed s_{m-1} read from a trace
        leaf at one step.
@dev A micro-trace is the tensor root of the K + 1 words s_0..s_K
     (docs/reproducible-ops.md section 6): ceil((K + 1) / 8) leaves, whose
     count fixes the exact height of every proof here.
@custom:security Pure; every proof is exact (merkle._verify_exact with the
     leaf count derived from K, which comes from node j's proved record).
"""

from . import merkle


# ------------------------------------------------------------------
#                            CONSTANTS
# ------------------------------------------------------------------

# @dev uint32 words per leaf
LANES: constant(uint256) = 8


# ------------------------------------------------------------------
#                            INTERNAL
# ------------------------------------------------------------------


@internal
@pure
def _leaves(k: uint256) -> uint256:
    """
    @dev Leaves of the micro-trace of an element of K micro-steps.
    """
    return (k + LANES) // LANES


@internal
@pure
def _check_commit(
    root: bytes32,
    k: uint256,
    claimed: uint32,
    first_leaf: bytes32,
    first_proof: DynArray[bytes32, merkle.MAX_DEPTH],
    last_leaf: bytes32,
    last_proof: DynArray[bytes32, merkle.MAX_DEPTH],
):
    """
    @dev Reverts unless `root` commits s_0 = +0.0 (lane 0 of leaf 0) and
         s_K = `claimed` (lane K % 8 of leaf K // 8), both with exact proofs.
    """
    n: uint256 = self._leaves(k)
    assert merkle._verify_exact(root, first_leaf, 0, n, first_proof), "dispute_game: bad first micro-state proof"
    assert merkle._lane(first_leaf, 0) == 0, "dispute_game: first micro-state not zero"
    assert merkle._verify_exact(root, last_leaf, k // LANES, n, last_proof), "dispute_game: bad last micro-state proof"
    assert merkle._lane(last_leaf, k % LANES) == claimed, "dispute_game: last micro-state not the value"


@internal
@pure
def _prev_state(
    root: bytes32, k: uint256, m: uint256, leaf: bytes32, proof: DynArray[bytes32, merkle.MAX_DEPTH]
) -> uint32:
    """
    @dev s_{m-1} for m % 8 == 0, m >= 8: lane 7 of leaf m // 8 - 1 of the
         trace `root`, with an exact proof (that leaf is left of the first
         difference, so both parties agree on it).
    """
    assert merkle._verify_exact(root, leaf, m // LANES - 1, self._leaves(k), proof), "dispute_game: bad previous micro-state proof"
    return merkle._lane(leaf, LANES - 1)


@external
@pure
def leaves(k: uint256) -> uint256:
    """
    @dev Never exported by importers. It exists because brownie 1.22
         cannot build a module without runtime code.
    @param k Micro-steps K.
    @return Leaves of the micro-trace.
    """
    return self._leaves(k)
