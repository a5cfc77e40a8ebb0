"""TaskRegistry.on_dispute_opened: dispute game only, inside the window."""

import brownie
from conftest import sleep_past


def test_opened_counts(registry, committed_task, dispute_game, challenger, stranger):
    tx = registry.on_dispute_opened(committed_task, challenger, {"from": dispute_game})
    assert registry.get_task(committed_task).dict()["open_disputes"] == 1
    event = tx.events["DisputeOpened"]
    assert (event["task_id"], event["challenger"], event["open_disputes"]) == (
        committed_task,
        challenger,
        1,
    )
    registry.on_dispute_opened(committed_task, stranger, {"from": dispute_game})
    assert registry.get_task(committed_task).dict()["open_disputes"] == 2


def test_stranger_reverts(registry, committed_task, challenger):
    with brownie.reverts("task_registry: caller is not the dispute game"):
        registry.on_dispute_opened(committed_task, challenger, {"from": challenger})


def test_not_committed_reverts(registry, claimed_task, dispute_game, challenger):
    with brownie.reverts("task_registry: task not committed"):
        registry.on_dispute_opened(claimed_task, challenger, {"from": dispute_game})


def test_after_window_reverts(registry, committed_task, dispute_game, challenger, chain):
    sleep_past(chain, registry.get_task(committed_task).dict()["challenge_deadline"])
    with brownie.reverts("task_registry: challenge window closed"):
        registry.on_dispute_opened(committed_task, challenger, {"from": dispute_game})


def test_no_dispute_game_wired(TaskRegistry, token, parameters, stake_manager, governance):
    fresh = TaskRegistry.deploy(token, parameters, stake_manager, {"from": governance})
    fresh.wire(brownie.ZERO_ADDRESS, {"from": governance})
    with brownie.reverts("task_registry: caller is not the dispute game"):
        fresh.on_dispute_opened(1, governance, {"from": governance})
