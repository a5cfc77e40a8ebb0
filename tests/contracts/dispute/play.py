"""Playing a dispute in the contract tests: the game view and the move loop that
test_attacks.py and test_segment.py share (both players move until a condition or
the end; a round in which nobody can move fails the test)."""

from __future__ import annotations

from brownie import chain

from offchain.dispute.player import PHASE_DONE, GameView


def view(game, did) -> GameView:
    return GameView.from_tuple(game.game(did))


def play_until(game, did, pairs, stop) -> GameView:
    """Both players move until `stop(view)` or the end; returns the last view."""
    while True:
        g = view(game, did)
        if g.phase == PHASE_DONE or stop(g):
            return g
        moved = False
        for player, account in pairs:
            g = view(game, did)
            if g.phase == PHASE_DONE or stop(g):
                return g
            mv = player.move(did, g, chain.time())
            if mv is not None:
                getattr(game, mv.fn)(*mv.args, {"from": account})
                moved = True
        assert moved, "nobody could move: the game is stuck"
