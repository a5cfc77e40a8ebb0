# pragma version ^0.4.3
"""
@title runtree
@license MIT
@notice The shape of a run tree (docs/reproducible-ops.md section 6): the
        run root R is the Merkle root over the step roots of the boundary
        steps b(i) = min(i * c, T), i = 0..n_b - 1, n_b = ceil(T / c) + 1,
        where c is the task's checkpoint interval and T its step count
        (for T = 0, n_b = 1). Segment i >= 1 holds the steps b(i - 1)..b(i).
@dev Pure helpers shared by DisputeGame, TaskRegistry and VerifierPool, so
     that every contract reads the same leaf count and boundary steps.
     The caller guarantees c >= 1 (the registry refuses a zero interval).
"""


# ------------------------------------------------------------------
#                            INTERNAL
# ------------------------------------------------------------------


@internal
@pure
def _leaves(num_steps: uint256, interval: uint256) -> uint256:
    """
    @dev n_b, the number of leaves of the run tree: ceil(T / c) + 1.
    """
    return (num_steps + interval - 1) // interval + 1


@internal
@pure
def _boundary(i: uint256, num_steps: uint256, interval: uint256) -> uint256:
    """
    @dev b(i) = min(i * c, T), the step whose root is leaf i of the run tree.
    """
    return min(i * interval, num_steps)


@internal
@pure
def _segment_of(t: uint256, interval: uint256) -> uint256:
    """
    @dev The segment i >= 1 that holds step t >= 1 as a non-first step
         (b(i - 1) < t <= b(i)): ceil(t / c).
    """
    return (t + interval - 1) // interval


# ------------------------------------------------------------------
#                            EXTERNAL
# ------------------------------------------------------------------


@external
@pure
def leaves(num_steps: uint256, interval: uint256) -> uint256:
    """
    @dev Never exported by importers (they call `_leaves`). It exists
         because brownie 1.22 cannot build a module without runtime code.
    @param num_steps Training steps T.
    @param interval Checkpoint interval c (at least 1).
    @return Leaves of the run tree.
    """
    return self._leaves(num_steps, interval)
