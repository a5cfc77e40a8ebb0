"""Fuzzing the descent: random trees, adversarial trees and garbage reveals.

The honest party holds a tree over n real leaves with zero padding; the
adversary holds any tree of the same shape (leaves changed anywhere, the
padding included). Properties: the descent ends at the first leaf where the
trees differ, the honest party never loses, and every reveal that does not
hash to the revealer's node reverts.
"""

import os

import brownie
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from offchain.commit import merkle
from offchain.dispute.player import ZERO


def _children(levels, height, position):
    below = levels[height - 1]
    return below[2 * position], below[2 * position + 1]


def _play(harness, trees, n, adversary, rng_bytes):
    """Both parties move as DisputeGame's players do; the adversary first tries garbage."""
    harness.start(trees[1][-1][0], trees[2][-1][0], n)
    moves = 0
    while not harness.done():
        party = harness.mover()
        lv, height, pos = trees[party], harness.height(), harness.position()
        left, right = _children(lv, height, pos)
        nl = nr = ZERO
        if harness.pending():
            pl = bytes(harness.pending_left())
            pos = 2 * pos + (0 if left != pl else 1)
            if height - 1 > 0:
                nl, nr = _children(lv, height - 1, pos)
        if party == adversary:
            with brownie.reverts("dispute_game: children do not match node"):
                harness.reveal(party, rng_bytes, right, nl, nr)
            with brownie.reverts("dispute_game: not your turn"):
                harness.reveal(3 - party, left, right, nl, nr)
        harness.reveal(party, left, right, nl, nr)
        moves += 1
    return moves


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    n=st.integers(min_value=1, max_value=37),
    edits=st.lists(st.tuples(st.integers(min_value=0, max_value=63), st.booleans()), min_size=1, max_size=4),
    honest=st.sampled_from([1, 2]),
)
def test_honest_party_never_loses(descent_harness, n, edits, honest):
    width = merkle.next_pow2(n)
    good = [os.urandom(32) for _ in range(n)] + [ZERO] * (width - n)
    bad = list(good)
    for index, zero in edits:
        i = index % width
        bad[i] = ZERO if zero else os.urandom(32)
    if bad == good:
        bad[width - 1] = os.urandom(32) if good[width - 1] == ZERO else ZERO
    adversary = 3 - honest
    trees = {honest: merkle.levels(good[:n]), adversary: merkle.levels(bad)}
    # the adversary's tree has the same shape: its leaves are all `width` slots
    assert len(trees[adversary]) == len(trees[honest])
    moves = _play(descent_harness, trees, n, adversary, os.urandom(32))

    first = next(i for i in range(width) if good[i] != bad[i])
    assert descent_harness.position() == first
    assert moves == (merkle.depth(n) + 1 if merkle.depth(n) > 0 else 0)
    assert not descent_harness.lost(honest)
    assert descent_harness.lost(adversary) == (first >= n)
    assert bytes(descent_harness.leaf(honest)) == good[first]
    assert bytes(descent_harness.leaf(adversary)) == bad[first]


def test_a_finished_descent_takes_no_move(descent_harness):
    leaves = [os.urandom(32), os.urandom(32)]
    other = [leaves[0], os.urandom(32)]
    a, b = merkle.levels(leaves), merkle.levels(other)
    descent_harness.start(a[-1][0], b[-1][0], 2)
    descent_harness.reveal(1, *a[0], ZERO, ZERO)
    descent_harness.reveal(2, *b[0], ZERO, ZERO)
    assert descent_harness.done() and descent_harness.position() == 1
    with brownie.reverts("dispute_game: dispute ended"):
        descent_harness.reveal(1, *a[0], ZERO, ZERO)


def test_equal_roots_cannot_start(descent_harness):
    root = os.urandom(32)
    with brownie.reverts("dispute_game: roots agree"):
        descent_harness.start(root, root, 4)
