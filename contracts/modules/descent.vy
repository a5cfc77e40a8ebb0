# pragma version ^0.4.3
"""
@title descent
@license MIT
@notice One round of a two-party Merkle descent (design.md section 6):
        both parties hold a tree of the same shape whose roots differ; in
        each round they reveal the two children of their current node and
        the descent moves to the left child when the left children differ,
        else to the right. It ends at the first differing leaf.
@dev Pure helpers shared by DisputeGame and its test harness. Positions
     are leaf-index prefixes: after a round at height h the position
     gains one low bit (0 = left, 1 = right). Padding rule: a differing
     leaf (or lane) at an index at or above the real leaf count loses for
     the party holding a non-zero value there (both can lose). Start
     rule: a micro-trace descent (L4) ending at index 0 compares s_0,
     which is +0.0 by definition; the party holding a non-zero s_0 loses.
     `_end_rule` says which of the two applies at an index, so that every
     index a descent can end at has an outcome or a next phase.
"""

from . import merkle


# ------------------------------------------------------------------
#                            CONSTANTS
# ------------------------------------------------------------------

# @dev uint32 words per tensor leaf
LANES: constant(uint256) = 8

# @dev `_end_rule` results (the DisputeGame end reasons): the game goes on
#      at this index; the index is padding; the index is s_0 of a trace
GOES_ON: constant(uint256) = 0
BY_PADDING: constant(uint256) = 3
BY_START: constant(uint256) = 4


# ------------------------------------------------------------------
#                            STRUCTS
# ------------------------------------------------------------------

# @dev result of one round: the new position and both new current nodes
struct Step:
    position: uint256
    mover_node: bytes32
    other_node: bytes32


# ------------------------------------------------------------------
#                            INTERNAL
# ------------------------------------------------------------------


@internal
@pure
def _depth(n: uint256) -> uint256:
    """
    @dev Levels above the leaves of a tree of n >= 1 leaves padded to a power of two.
    """
    return merkle._height(n)


@internal
@pure
def _end_rule(index: uint256, count: uint256, micro_trace: bool) -> uint256:
    """
    @dev What a descent that ended at leaf / element / micro index `index`
         of a tree with `count` real entries means: BY_PADDING when the
         index is at or above the count, BY_START when it is s_0 of a
         micro-trace (L4, `micro_trace`), else GOES_ON (the next phase
         runs at this index: a step, a node, an element, a micro-step
         m >= 1 that `one_step` can execute). For BY_PADDING and BY_START
         the party holding a non-zero value there loses.
    """
    if index >= count:
        return BY_PADDING
    if micro_trace and index == 0:
        return BY_START
    return GOES_ON


@internal
@pure
def _round(
    position: uint256,
    mover_node: bytes32,
    left: bytes32,
    right: bytes32,
    other_left: bytes32,
    other_right: bytes32,
) -> Step:
    """
    @dev Checks the mover's children against its node, then goes left when
         the left children differ, else right. The other party's children
         were checked when it revealed them.
    """
    assert keccak256(concat(left, right)) == mover_node, "dispute_game: children do not match node"
    if left != other_left:
        return Step(position=position << 1, mover_node=left, other_node=other_left)
    assert right != other_right, "dispute_game: nodes agree"
    return Step(position=(position << 1) | 1, mover_node=right, other_node=other_right)


@internal
@pure
def _lane(leaf: bytes32, lane: uint256) -> uint32:
    """
    @dev Word `lane` (0..7) of a tensor leaf; lane 0 is the most significant.
    """
    return convert((convert(leaf, uint256) >> (224 - 32 * lane)) & convert(max_value(uint32), uint256), uint32)


@internal
@pure
def _first_lane(a: bytes32, b: bytes32) -> uint256:
    """
    @dev The first lane in which two differing tensor leaves differ.
    """
    for lane: uint256 in range(LANES):
        if self._lane(a, lane) != self._lane(b, lane):
            return lane
    raise "dispute_game: leaves agree"


# ------------------------------------------------------------------
#                            EXTERNAL
# ------------------------------------------------------------------


@external
@pure
def depth(n: uint256) -> uint256:
    """
    @dev Never exported by importers (they call `_depth`). It exists
         because brownie 1.22 cannot build a module without runtime code.
    @param n Number of real leaves (at least 1).
    @return Levels above the leaves.
    """
    return self._depth(n)
