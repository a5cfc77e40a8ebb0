"""StakeManager.unlock: operators only, at most the task's lock."""

import brownie


def test_unlock(stake_manager, bonded, solver, dispute_game):
    stake_manager.lock(solver, 3, 100, {"from": dispute_game})
    tx = stake_manager.unlock(solver, 3, 40, {"from": dispute_game})
    assert stake_manager.locked_for_task(solver, 3) == 60
    assert stake_manager.locked(solver) == 60
    event = tx.events["StakeUnlocked"]
    assert (event["staker"], event["task_id"], event["amount"]) == (solver, 3, 40)


def test_stranger_reverts(stake_manager, bonded, solver, dispute_game, stranger):
    stake_manager.lock(solver, 3, 100, {"from": dispute_game})
    with brownie.reverts("stake_manager: caller is not an operator"):
        stake_manager.unlock(solver, 3, 100, {"from": stranger})


def test_zero_amount_reverts(stake_manager, bonded, solver, dispute_game):
    with brownie.reverts("stake_manager: zero amount"):
        stake_manager.unlock(solver, 3, 0, {"from": dispute_game})


def test_more_than_task_lock_reverts(stake_manager, bonded, solver, dispute_game):
    stake_manager.lock(solver, 3, 100, {"from": dispute_game})
    stake_manager.lock(solver, 4, 100, {"from": dispute_game})
    with brownie.reverts("stake_manager: unlock exceeds lock"):
        stake_manager.unlock(solver, 3, 101, {"from": dispute_game})
