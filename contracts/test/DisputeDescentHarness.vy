# pragma version ^0.4.3
"""
@title DisputeDescentHarness
@license MIT
@notice Test-only: one two-party descent over trees of `count` real leaves,
        with DisputeGame's alternating moves (first mover reveals its root's
        children; every later move reveals its current children, then the
        children of its new node) and its padding rule, built on the same
        `descent` module functions. Party 1 moves first.
"""

from ..modules import descent

# @dev the current node of party 1 and of party 2
node: public(HashMap[uint256, bytes32])
# @dev children revealed by the party that moved last
pending_left: public(bytes32)
pending_right: public(bytes32)
# @dev whether children are pending
pending: public(bool)
# @dev the party to move (1 or 2)
mover: public(uint256)
# @dev levels left above the leaves
height: public(uint256)
# @dev leaf-index prefix
position: public(uint256)
# @dev real leaves of the tree
count: public(uint256)
# @dev set when the descent ended
done: public(bool)
# @dev per party: lost by the padding rule
lost: public(HashMap[uint256, bool])
# @dev the two leaves found (party 1, party 2)
leaf: public(HashMap[uint256, bytes32])


@external
def start(root_1: bytes32, root_2: bytes32, count: uint256):
    """
    @dev Starts a descent between two roots of trees of `count` real leaves.
    @param root_1 Party 1's root.
    @param root_2 Party 2's root.
    @param count Real leaves (at least 1).
    """
    assert root_1 != root_2, "dispute_game: roots agree"
    self.node[1] = root_1
    self.node[2] = root_2
    self.pending = False
    self.mover = 1
    self.count = count
    self.height = descent._depth(count)
    self.position = 0
    self.done = False
    self.lost[1] = False
    self.lost[2] = False
    if self.height == 0:
        self._end(root_1, root_2)


@external
def reveal(party: uint256, left: bytes32, right: bytes32, next_left: bytes32, next_right: bytes32):
    """
    @dev One move by `party`, as DisputeGame.reveal within one level.
    @param party 1 or 2.
    @param left Left child of the party's current node.
    @param right Right child.
    @param next_left Left child of the party's new node (unless at the leaves).
    @param next_right Right child of the party's new node.
    """
    assert not self.done, "dispute_game: dispute ended"
    assert party == self.mover, "dispute_game: not your turn"
    other: uint256 = 3 - party
    if not self.pending:
        assert keccak256(concat(left, right)) == self.node[party], "dispute_game: children do not match node"
        self.pending_left = left
        self.pending_right = right
        self.pending = True
        self.mover = other
        return
    s: descent.Step = descent._round(self.position, self.node[party], left, right, self.pending_left, self.pending_right)
    self.position = s.position
    self.height -= 1
    if self.height > 0:
        assert keccak256(concat(next_left, next_right)) == s.mover_node, "dispute_game: next children do not match node"
        self.node[other] = s.other_node
        self.pending_left = next_left
        self.pending_right = next_right
        self.mover = other
        return
    if party == 1:
        self._end(s.mover_node, s.other_node)
    else:
        self._end(s.other_node, s.mover_node)


@internal
def _end(leaf_1: bytes32, leaf_2: bytes32):
    self.done = True
    self.leaf[1] = leaf_1
    self.leaf[2] = leaf_2
    if self.position >= self.count:
        self.lost[1] = leaf_1 != empty(bytes32)
        self.lost[2] = leaf_2 != empty(bytes32)


@external
@pure
def end_rule(index: uint256, count: uint256, micro_trace: bool) -> uint256:
    """
    @dev descent._end_rule.
    @param index Where the descent ended (leaf, element or micro index).
    @param count Real entries of the tree.
    @param micro_trace True for an L4 (micro-trace) descent.
    @return 0 goes on, 3 padding, 4 start rule (s_0).
    """
    return descent._end_rule(index, count, micro_trace)


@external
@pure
def tree_depth(n: uint256) -> uint256:
    """
    @dev descent._depth.
    @param n Real leaves.
    @return Levels above the leaves.
    """
    return descent._depth(n)
