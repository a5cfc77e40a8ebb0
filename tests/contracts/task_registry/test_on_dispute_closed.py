"""TaskRegistry.on_dispute_closed: dispute game only, an open dispute."""

import brownie


def test_closed_counts_down(registry, disputed_task, dispute_game):
    tx = registry.on_dispute_closed(disputed_task, {"from": dispute_game})
    assert registry.get_task(disputed_task).dict()["open_disputes"] == 0
    event = tx.events["DisputeClosed"]
    assert (event["task_id"], event["dispute_game"], event["open_disputes"]) == (
        disputed_task,
        dispute_game,
        0,
    )


def test_stranger_reverts(registry, disputed_task, stranger):
    with brownie.reverts("task_registry: caller is not the dispute game"):
        registry.on_dispute_closed(disputed_task, {"from": stranger})


def test_none_open_reverts(registry, committed_task, dispute_game):
    with brownie.reverts("task_registry: no open dispute"):
        registry.on_dispute_closed(committed_task, {"from": dispute_game})


def test_close_after_task_rejected(registry, disputed_task, dispute_game, challenger, stranger):
    registry.on_dispute_opened(disputed_task, stranger, {"from": dispute_game})
    registry.on_solver_lost(disputed_task, challenger, 1, {"from": dispute_game})
    registry.on_dispute_closed(disputed_task, {"from": dispute_game})
    assert registry.get_task(disputed_task).dict()["open_disputes"] == 0
