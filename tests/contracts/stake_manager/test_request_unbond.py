"""StakeManager.request_unbond: only free stake, the delay restarts."""

import brownie

E18 = 10**18
SOLVER_STAKE = 100 * E18


def test_request_moves_free_stake(stake_manager, parameters, bonded, solver, chain):
    tx = stake_manager.request_unbond(30 * E18, {"from": solver})
    delay = parameters.unbonding_delay()
    assert stake_manager.bonded(solver) == 2 * SOLVER_STAKE - 30 * E18
    assert stake_manager.unbonding(solver) == 30 * E18
    assert stake_manager.total_unbonding() == 30 * E18
    assert stake_manager.unbonding_release_at(solver) == tx.timestamp + delay
    event = tx.events["UnbondRequested"]
    assert event["staker"] == solver
    assert event["amount"] == 30 * E18
    assert event["release_at"] == tx.timestamp + delay


def test_second_request_restarts_delay(stake_manager, parameters, bonded, solver, chain):
    stake_manager.request_unbond(10, {"from": solver})
    chain.sleep(1_000)
    tx = stake_manager.request_unbond(5, {"from": solver})
    assert stake_manager.unbonding(solver) == 15
    assert stake_manager.unbonding_release_at(solver) == tx.timestamp + parameters.unbonding_delay()


def test_zero_amount_reverts(stake_manager, bonded, solver):
    with brownie.reverts("stake_manager: zero amount"):
        stake_manager.request_unbond(0, {"from": solver})


def test_more_than_bonded_reverts(stake_manager, bonded, solver):
    with brownie.reverts("stake_manager: insufficient free stake"):
        stake_manager.request_unbond(2 * SOLVER_STAKE + 1, {"from": solver})


def test_locked_stake_cannot_unbond(stake_manager, registry, claimed_task, solver):
    assert stake_manager.locked(solver) == SOLVER_STAKE
    assert stake_manager.free_stake(solver) == SOLVER_STAKE
    with brownie.reverts("stake_manager: insufficient free stake"):
        stake_manager.request_unbond(SOLVER_STAKE + 1, {"from": solver})
    stake_manager.request_unbond(SOLVER_STAKE, {"from": solver})
    assert stake_manager.free_stake(solver) == 0
