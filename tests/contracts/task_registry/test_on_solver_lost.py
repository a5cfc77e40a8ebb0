"""TaskRegistry.on_solver_lost: ends the task, slashes, refunds."""

import brownie
from conftest import PAYMENT, REJECTED, SOLVER_STAKE


def test_solver_lost_settles(
    registry,
    stake_manager,
    parameters,
    funded,
    disputed_task,
    dispute_game,
    submitter,
    solver,
    challenger,
    treasury,
):
    to_challenger = SOLVER_STAKE * parameters.slash_challenger_bps() // 10_000
    to_treasury = SOLVER_STAKE * parameters.slash_treasury_bps() // 10_000
    to_submitter = SOLVER_STAKE - to_challenger - to_treasury
    u0, c0, t0 = (funded.balanceOf(a) for a in (submitter, challenger, treasury))
    tx = registry.on_solver_lost(disputed_task, challenger, {"from": dispute_game})
    assert funded.balanceOf(submitter) == u0 + PAYMENT + to_submitter
    assert funded.balanceOf(challenger) == c0 + to_challenger
    assert funded.balanceOf(treasury) == t0 + to_treasury
    assert funded.balanceOf(registry) == 0
    assert registry.total_escrowed() == 0
    task = registry.get_task(disputed_task).dict()
    assert task["status"] == REJECTED
    assert task["open_disputes"] == 0
    assert stake_manager.locked(solver) == 0
    assert stake_manager.bonded(solver) == SOLVER_STAKE
    event = tx.events["TaskRejected"]
    assert (event["task_id"], event["challenger"], event["solver"]) == (
        disputed_task,
        challenger,
        solver,
    )
    assert (event["slashed"], event["refund"]) == (SOLVER_STAKE, PAYMENT)


def test_finalize_impossible_after(
    registry, disputed_task, dispute_game, challenger, stranger, chain
):
    registry.on_solver_lost(disputed_task, challenger, {"from": dispute_game})
    chain.sleep(30 * 86_400)
    with brownie.reverts("task_registry: task not committed"):
        registry.finalize(disputed_task, {"from": stranger})


def test_twice_reverts(registry, disputed_task, dispute_game, challenger):
    registry.on_dispute_opened(disputed_task, challenger, {"from": dispute_game})
    registry.on_solver_lost(disputed_task, challenger, {"from": dispute_game})
    with brownie.reverts("task_registry: task not committed"):
        registry.on_solver_lost(disputed_task, challenger, {"from": dispute_game})


def test_stranger_reverts(registry, disputed_task, challenger):
    with brownie.reverts("task_registry: caller is not the dispute game"):
        registry.on_solver_lost(disputed_task, challenger, {"from": challenger})


def test_without_open_dispute_reverts(registry, committed_task, dispute_game, challenger):
    with brownie.reverts("task_registry: no open dispute"):
        registry.on_solver_lost(committed_task, challenger, {"from": dispute_game})


def test_zero_challenger_reverts(registry, disputed_task, dispute_game):
    with brownie.reverts("task_registry: zero challenger"):
        registry.on_solver_lost(disputed_task, brownie.ZERO_ADDRESS, {"from": dispute_game})


def test_failing_token_reverts(registry, funded, disputed_task, dispute_game, challenger):
    funded.set_fail_mode(1, {"from": challenger})
    with brownie.reverts("stake_manager: token transfer failed"):
        registry.on_solver_lost(disputed_task, challenger, {"from": dispute_game})
