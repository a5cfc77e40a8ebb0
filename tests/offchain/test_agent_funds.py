"""Underfunded agents and repeated failures (issue 14 item 6): an agent with no tokens says
exactly what is missing (`need 400 GTK to stake ..., have 0 GTK`) before sending anything,
and a failing task is retried with capped exponential backoff, its error logged once per
backoff period instead of on every poll."""

import logging

import pytest
from fakechain import FakeChain, NoEvents, settings, task_view

from offchain.roles import funds
from offchain.roles.registry import OPEN
from offchain.roles.solve import Solver

E18 = 10**18


def _chain(balance: int = 0, free: int = 0, stake: int = 400 * E18) -> FakeChain:
    chain = FakeChain({1: task_view(1, status=OPEN, solver_stake=stake, claim_deadline=10**9)})
    chain.views.update({("StakeManager", "free_stake"): free, ("Token", "balanceOf"): balance,
                        ("Token", "symbol"): "GTK", ("Token", "decimals"): 18})
    return chain


def _solver(tmp_path, chain, **kw) -> Solver:
    s = Solver(settings(tmp_path).with_(**kw), chain=chain)
    s._cursor = NoEvents()
    s.db.set_task(1, "accepted")
    return s


def test_zero_balance_solver_says_what_is_missing_and_sends_nothing(tmp_path, caplog):
    chain = _chain(balance=0)
    s = _solver(tmp_path, chain, poll_interval=5.0)
    with caplog.at_level(logging.INFO):
        for _ in range(20):  # twenty polls inside the first backoff period: one attempt, one line
            s.poll_once()
    lines = [r.getMessage() for r in caplog.records if "task=1" in r.getMessage()]
    assert len(lines) == 1, lines
    assert "need 400 GTK to stake for task 1, have 0 GTK" in lines[0]
    assert not [c for c in chain.calls if c[1] not in ("balanceOf",)], chain.calls  # no approve/bond/claim
    assert s.db.task(1)[0] == "accepted"  # funded later, it can still claim
    assert s.db.get("errors")["task=1"]["count"] == 1


def test_partly_funded_solver_names_the_shortfall_in_whole_tokens(tmp_path):
    chain = _chain(balance=150 * E18 + E18 // 2, free=100 * E18)
    with pytest.raises(funds.InsufficientFunds, match=r"need 300 GTK to stake for task 1, have 150.5 GTK"):
        _solver(tmp_path, chain).advance(1, "accepted", {})


def test_repeated_failures_back_off_exponentially_to_the_cap(tmp_path, caplog):
    s = _solver(tmp_path, _chain(), poll_interval=1.0, error_backoff_max=10.0)
    with caplog.at_level(logging.ERROR):
        delays = [s.failed("task=1", "boom") for _ in range(6)]
    assert delays == [1.0, 2.0, 4.0, 8.0, 10.0, 10.0]
    assert s.backing_off("task=1")
    assert len(caplog.records) == 6  # one line per attempt, i.e. per backoff period
    s.succeeded("task=1")
    assert not s.backing_off("task=1") and "task=1" not in s.db.get("errors")
