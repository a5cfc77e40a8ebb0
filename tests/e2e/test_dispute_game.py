"""End to end: the dispute demo on a fresh Anvil, faults at every level, a liar, stalls, restarts
(mid-game, and between the one step and the settlement).

Each case runs `run_demo` (deploy, task, solver commit, dispute played by
the two drivers) on a tiny digits MLP (hidden 4, batch 2, 3 steps) with
checkpoint interval 2 (run tree over S_0, S_2, S_3: T is not a multiple of
c, so faults at steps 1-2 go through the segment 0..2 and at step 3 through
the one-step segment 2..3), and once with c = 1. Node
indices refer to that program: 0 GATHER x, 2 MATMUL (K=64), 4 RELU,
14 SGD of W0; step 0 nodes are INIT_UNIFORM.
"""

import pytest

from offchain.dispute.demo import TOKEN, run_demo
from offchain.dispute.run import Fault

STEPS = 3
INTERVAL = 2
MINTED = 1_000 * TOKEN
PAYMENT, STAKE, BOND = 10 * TOKEN, 100 * TOKEN, 10 * TOKEN


def _play(**kw):
    return run_demo(STEPS, hidden=4, batch=2, echo=lambda _s: None, **{"interval": INTERVAL, **kw})


def _assert_solver_slashed(res, challenger_bps=5_000):
    # payment refunded, plus the stake left after the challenger's and treasury's shares:
    # 50 % to the challenger for a win the game proved, at most 5 % for a win by timeout
    assert res.balances["submitter"] == MINTED + STAKE * (8_000 - challenger_bps) // 10_000
    assert res.balances["solver_bonded"] == 0  # whole stake slashed
    assert res.balances["challenger"] == MINTED + STAKE * challenger_bps // 10_000  # share, bond back
    assert res.balances["treasury"] == STAKE * 2_000 // 10_000


@pytest.mark.parametrize(
    "fault",
    [
        pytest.param(Fault(2, 2, 5), id="matmul"),
        pytest.param(Fault(STEPS, 14, 37), id="sgd-last-step"),
        pytest.param(Fault(0, 1, 3), id="init"),
        # the same descent through the segment 0..2 as matmul, ending at another opcode's one
        # step (each opcode's one step against real traces: tests/contracts/onestep): `make test-all`
        pytest.param(Fault(1, 4, 3), id="relu", marks=pytest.mark.slow),  # reaches S_2 (Fault(1, 4, 6) dies out)
        pytest.param(Fault(2, 0, 70), id="gather", marks=pytest.mark.slow),
    ],
)
def test_fault_is_pinpointed_and_solver_slashed(fault):
    res = _play(fault=fault)
    assert (res.winner, res.by) == ("challenger", "onestep")
    assert (res.t, res.j, res.e) == (fault.t, fault.j, fault.e)
    assert res.m >= 1
    _assert_solver_slashed(res)


def test_fault_is_pinpointed_with_interval_one():
    """c = 1: every step is a boundary (the old run tree); the segment is the two steps t-1, t."""
    res = _play(fault=Fault(2, 2, 5), interval=1)
    assert (res.winner, res.by, res.t, res.j, res.e) == ("challenger", "onestep", 2, 2, 5)
    _assert_solver_slashed(res)


def test_lying_challenger_loses_bond():
    res = _play(fault=Fault(2, 3, 1), liar=True)
    assert (res.winner, res.by) == ("solver", "onestep")
    assert (res.t, res.j, res.e) == (2, 3, 1)
    to_treasury = BOND * 2_000 // 10_000
    assert res.balances["challenger"] == MINTED - BOND
    assert res.balances["solver"] == MINTED - STAKE + BOND - to_treasury
    assert res.balances["solver_bonded"] == STAKE  # unlocked, not slashed
    assert res.balances["treasury"] == to_treasury
    assert res.balances["submitter"] == MINTED - PAYMENT  # task still live


def test_stalling_solver_loses_by_timeout():
    res = _play(fault=Fault(1, 2, 0), stall="solver")
    assert (res.winner, res.by) == ("challenger", "timeout")
    _assert_solver_slashed(res, challenger_bps=500)  # nothing proved: the timeout bounty only


def test_stalling_challenger_loses_by_timeout():
    res = _play(fault=Fault(1, 2, 0), stall="challenger")
    assert (res.winner, res.by) == ("solver", "timeout")
    assert res.balances["challenger"] == MINTED - BOND


def test_drivers_resume_after_restart():
    res = _play(fault=Fault(2, 5, 3), restart_after=5)
    assert (res.winner, res.by) == ("challenger", "onestep")
    assert (res.t, res.j, res.e) == (2, 5, 3)


def test_drivers_resume_between_one_step_and_resolve():
    """A crash after the one step, before the settlement (the winner's `resolve` recorded as an
    intent, nothing sent): the rebuilt driver resolves, once, and the money moves as usual."""
    res = _play(fault=Fault(2, 5, 3), restart_before_resolve=True)
    assert (res.winner, res.by) == ("challenger", "onestep")
    assert res.gas_resolve > 0
    _assert_solver_slashed(res)  # settled once: the stake slashed, shares paid, the bond back
