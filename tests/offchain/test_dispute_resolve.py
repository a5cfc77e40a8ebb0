"""Who sends `DisputeGame.resolve` after a game ended (offchain/dispute/driver.py): the winner at
once (the challenger when both lost), the other party only as a backstop a move deadline after the
game's last deadline, nobody once it is resolved; a crash-left intent is resumed, never doubled.
A stub chain stands in for the contract and a stub `send_once` records the transaction (the real
one, with a crash-left intent, runs end to end in tests/e2e/test_dispute_game.py)."""

from __future__ import annotations

import pytest

import offchain.dispute.driver as driver_mod
from offchain.dispute.driver import DisputeDriver
from offchain.dispute.player import CHALLENGER, NOBODY, PHASE_DONE, PHASE_L1, SOLVER, ZERO
from offchain.state import INTENT, StateDB

DEADLINE, MOVE_DEADLINE = 1_000, 600


class StubChain:
    """DisputeGame.game / resolved / meta, the latest block's time, and `resolve` sends."""

    def __init__(self, winner: int, phase: int = PHASE_DONE):
        self.winner, self.phase, self.now, self.is_resolved, self.sent = winner, phase, DEADLINE + 1, False, []

    def call(self, name, fn, *args):
        assert name == "DisputeGame"
        if fn == "game":
            return (self.phase, 0, False, 0, 9, DEADLINE, 0, 0, ZERO, ZERO, ZERO, ZERO, 1, 2, 3, 4, 5, 6,
                    self.winner, 1)
        if fn == "resolved":
            return self.is_resolved
        if fn == "meta":
            return (1, "0xs", "0xc", 10, MOVE_DEADLINE)
        raise AssertionError(fn)

    def block(self, _which):
        return {"timestamp": self.now}


@pytest.fixture
def fake_send(monkeypatch):
    def send_once(chain, db, key, name, fn, *args, landed=None, **_kw):
        act = db.action(key)
        if act is not None and act.status == "done":
            return act.data
        if landed is not None and landed():
            return {}
        assert (name, fn) == ("DisputeGame", "resolve")
        chain.sent.append(args)
        chain.is_resolved = True
        db.set_action(key, "done", tx_hash="0x01", data={"gas_used": 230_154, "block": 1})
        return db.action(key).data

    monkeypatch.setattr(driver_mod, "send_once", send_once)


def _driver(chain, tmp_path, role):
    class P:
        pass

    p = P()
    p.role = role
    return DisputeDriver(chain, StateDB(tmp_path / f"{role}.sqlite"), p, 1)


@pytest.mark.parametrize("winner, first", [(SOLVER, SOLVER), (CHALLENGER, CHALLENGER), (NOBODY, CHALLENGER)])
def test_the_winner_resolves_at_once_the_other_party_waits(tmp_path, fake_send, winner, first):
    chain = StubChain(winner)
    other = SOLVER if first == CHALLENGER else CHALLENGER
    loser = _driver(chain, tmp_path, other)
    assert not loser.resolve() and chain.sent == []  # the winner's turn: no racing transaction
    chain.now = DEADLINE + MOVE_DEADLINE
    assert not loser.resolve() and chain.sent == []  # still within the grace of one move deadline
    win = _driver(chain, tmp_path, first)
    assert win.resolve() and chain.sent == [(1,)] and win.resolve_gas == 230_154
    assert not win.resolve() and not loser.resolve() and chain.sent == [(1,)]  # resolved: nothing more


def test_the_other_party_backstops_a_missing_winner(tmp_path, fake_send):
    """Attack: the winner (or its daemon) never resolves; the loser's agent settles it after the
    grace, so the task does not stay blocked."""
    chain = StubChain(CHALLENGER)
    solver = _driver(chain, tmp_path, SOLVER)
    chain.now = DEADLINE + MOVE_DEADLINE + 1
    assert solver.resolve() and chain.sent == [(1,)]


def test_no_resolve_before_the_end(tmp_path, fake_send):
    chain = StubChain(0, phase=PHASE_L1)
    assert not _driver(chain, tmp_path, CHALLENGER).resolve() and chain.sent == []


def test_a_crash_left_intent_is_resumed_once(tmp_path, fake_send):
    """Killed after recording the intent, before sending: the rebuilt driver sends once; a driver
    that finds the game already resolved (its transaction landed unseen) sends nothing."""
    chain = StubChain(CHALLENGER)
    d = _driver(chain, tmp_path, CHALLENGER)
    d.db.set_action(d.resolve_key, INTENT, data={"call": "DisputeGame.resolve", "tx_hashes": []})
    again = DisputeDriver(chain, d.db, d.player, 1)
    assert again.resolve() and chain.sent == [(1,)]
    assert not DisputeDriver(chain, d.db, d.player, 1).resolve() and chain.sent == [(1,)]
