"""StakeManager.lock: operators only, free stake only."""

import brownie

E18 = 10**18


def test_lock_by_operator(stake_manager, bonded, solver, dispute_game):
    tx = stake_manager.lock(solver, 7, 30 * E18, {"from": dispute_game})
    assert stake_manager.locked(solver) == 30 * E18
    assert stake_manager.locked_for_task(solver, 7) == 30 * E18
    assert stake_manager.free_stake(solver) == 200 * E18 - 30 * E18
    event = tx.events["StakeLocked"]
    assert (event["staker"], event["task_id"], event["operator"], event["amount"]) == (
        solver,
        7,
        dispute_game,
        30 * E18,
    )


def test_locks_add_per_task(stake_manager, bonded, solver, dispute_game):
    stake_manager.lock(solver, 1, 5, {"from": dispute_game})
    stake_manager.lock(solver, 1, 6, {"from": dispute_game})
    stake_manager.lock(solver, 2, 7, {"from": dispute_game})
    assert stake_manager.locked_for_task(solver, 1) == 11
    assert stake_manager.locked_for_task(solver, 2) == 7
    assert stake_manager.locked(solver) == 18


def test_stranger_reverts(stake_manager, bonded, solver, stranger):
    with brownie.reverts("stake_manager: caller is not an operator"):
        stake_manager.lock(solver, 1, 1, {"from": stranger})


def test_zero_amount_reverts(stake_manager, bonded, solver, dispute_game):
    with brownie.reverts("stake_manager: zero amount"):
        stake_manager.lock(solver, 1, 0, {"from": dispute_game})


def test_more_than_free_reverts(stake_manager, bonded, solver, dispute_game):
    stake_manager.lock(solver, 1, 150 * E18, {"from": dispute_game})
    with brownie.reverts("stake_manager: insufficient free stake"):
        stake_manager.lock(solver, 2, 50 * E18 + 1, {"from": dispute_game})
