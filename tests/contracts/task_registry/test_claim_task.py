"""TaskRegistry.claim_task: locks the stake, starts the solve deadline."""

import brownie
from conftest import CLAIMED, SOLVE_PERIOD, SOLVER_STAKE, sleep_past, sleep_until_before


def test_claim_locks_stake(registry, stake_manager, open_task, solver):
    tx = registry.claim_task(open_task, {"from": solver})
    task = registry.get_task(open_task).dict()
    assert task["status"] == CLAIMED
    assert task["solver"] == solver
    assert task["solve_deadline"] == tx.timestamp + SOLVE_PERIOD
    assert stake_manager.locked_for_task(solver, open_task) == SOLVER_STAKE
    assert stake_manager.free_stake(solver) == SOLVER_STAKE
    event = tx.events["TaskClaimed"]
    assert (event["task_id"], event["solver"]) == (open_task, solver)
    assert event["solve_deadline"] == tx.timestamp + SOLVE_PERIOD
    assert tx.events["StakeLocked"]["amount"] == SOLVER_STAKE


def test_at_claim_deadline_ok(registry, open_task, solver, chain):
    deadline = registry.get_task(open_task).dict()["claim_deadline"]
    sleep_until_before(chain, deadline)
    registry.claim_task(open_task, {"from": solver})
    assert registry.task_status(open_task) == CLAIMED


def test_after_claim_deadline_reverts(registry, open_task, solver, chain):
    sleep_past(chain, registry.get_task(open_task).dict()["claim_deadline"])
    with brownie.reverts("task_registry: claim deadline passed"):
        registry.claim_task(open_task, {"from": solver})


def test_paused_reverts(registry, parameters, governance, open_task, solver):
    parameters.pause({"from": governance})
    with brownie.reverts("task_registry: paused"):
        registry.claim_task(open_task, {"from": solver})


def test_claimed_twice_reverts(registry, claimed_task, challenger):
    with brownie.reverts("task_registry: task not open"):
        registry.claim_task(claimed_task, {"from": challenger})


def test_unknown_task_reverts(registry, bonded, solver):
    with brownie.reverts("task_registry: task not open"):
        registry.claim_task(42, {"from": solver})


def test_submitter_cannot_claim(registry, stake_manager, open_task, submitter):
    stake_manager.bond(SOLVER_STAKE, {"from": submitter})
    with brownie.reverts("task_registry: submitter cannot claim"):
        registry.claim_task(open_task, {"from": submitter})


def test_without_free_stake_reverts(registry, open_task, challenger):
    with brownie.reverts("stake_manager: insufficient free stake"):
        registry.claim_task(open_task, {"from": challenger})
