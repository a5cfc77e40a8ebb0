"""TaskRegistry.finalize: after the window, no open dispute; pays once."""

import brownie
from lifecycle import FINALIZED, PAYMENT, SOLVER_STAKE, sleep_past, sleep_until_before


def _deadline(registry, task_id):
    return registry.get_task(task_id).dict()["challenge_deadline"]


def test_finalize_pays_solver_and_fee(
    registry, stake_manager, funded, committed_task, solver, treasury, stranger, chain
):
    sleep_past(chain, _deadline(registry, committed_task))
    fee = registry.get_task(committed_task).dict()["fee"]
    s0, t0 = funded.balanceOf(solver), funded.balanceOf(treasury)
    tx = registry.finalize(committed_task, {"from": stranger})
    assert funded.balanceOf(solver) == s0 + PAYMENT - fee
    assert funded.balanceOf(treasury) == t0 + fee
    assert funded.balanceOf(registry) == 0
    assert registry.total_escrowed() == 0
    assert registry.task_status(committed_task) == FINALIZED
    assert stake_manager.locked(solver) == 0
    assert stake_manager.bonded(solver) == 2 * SOLVER_STAKE
    event = tx.events["TaskFinalized"]
    assert (event["task_id"], event["caller"], event["solver"]) == (
        committed_task,
        stranger,
        solver,
    )
    assert (event["paid"], event["fee"]) == (PAYMENT - fee, fee)


def test_while_paused(registry, parameters, governance, committed_task, chain):
    parameters.pause({"from": governance})
    sleep_past(chain, _deadline(registry, committed_task))
    registry.finalize(committed_task, {"from": governance})
    assert registry.task_status(committed_task) == FINALIZED


def test_inside_window_reverts(registry, committed_task, stranger, chain):
    sleep_until_before(chain, _deadline(registry, committed_task))
    with brownie.reverts("task_registry: challenge window open"):
        registry.finalize(committed_task, {"from": stranger})


def test_open_dispute_reverts(registry, disputed_task, stranger, chain):
    sleep_past(chain, _deadline(registry, disputed_task))
    with brownie.reverts("task_registry: dispute open"):
        registry.finalize(disputed_task, {"from": stranger})


def test_after_dispute_closed(registry, disputed_task, dispute_game, stranger, chain):
    registry.on_dispute_closed(disputed_task, {"from": dispute_game})
    sleep_past(chain, _deadline(registry, disputed_task))
    registry.finalize(disputed_task, {"from": stranger})
    assert registry.task_status(disputed_task) == FINALIZED


def test_twice_reverts(registry, committed_task, stranger, chain):
    sleep_past(chain, _deadline(registry, committed_task))
    registry.finalize(committed_task, {"from": stranger})
    with brownie.reverts("task_registry: task not committed"):
        registry.finalize(committed_task, {"from": stranger})


def test_claimed_reverts(registry, claimed_task, stranger):
    with brownie.reverts("task_registry: task not committed"):
        registry.finalize(claimed_task, {"from": stranger})


def test_refused_payments_are_credited(registry, funded, committed_task, solver, treasury, stranger, chain):
    """A token that refuses (returns False on) every transfer cannot freeze
    the finalization: the solver's pay and the fee are credited."""
    sleep_past(chain, _deadline(registry, committed_task))
    funded.set_fail_mode(1, {"from": stranger})
    registry.finalize(committed_task, {"from": stranger})
    assert registry.task_status(committed_task) == FINALIZED
    fee = registry.get_task(committed_task)["fee"]
    assert registry.credits(solver) == PAYMENT - fee
    assert registry.credits(treasury) == fee
    funded.set_fail_mode(0, {"from": stranger})
    s0 = funded.balanceOf(solver)
    registry.claim_credit({"from": solver})
    assert funded.balanceOf(solver) - s0 == PAYMENT - fee


def test_attack_blocklisted_treasury_freezes_finalize(
    registry, funded, committed_task, solver, treasury, stranger, chain
):
    """The treasury (or a solver) on a token's blocklist: the solver is still
    paid and the fee waits as a credit."""
    sleep_past(chain, _deadline(registry, committed_task))
    funded.set_blocked(treasury, True, {"from": stranger})
    s0 = funded.balanceOf(solver)
    tx = registry.finalize(committed_task, {"from": stranger})
    fee = registry.get_task(committed_task)["fee"]
    assert funded.balanceOf(solver) - s0 == PAYMENT - fee
    assert registry.credits(treasury) == fee
    assert registry.ended_at(committed_task) == tx.timestamp


def test_after_partial_slash_by_dispute_game(
    registry, stake_manager, committed_task, dispute_game, solver, treasury, stranger, chain
):
    # the dispute game may slash the task's lock itself; the task must not get stuck
    stake_manager.slash(
        solver, committed_task, [treasury], [SOLVER_STAKE // 4], {"from": dispute_game}
    )
    sleep_past(chain, _deadline(registry, committed_task))
    registry.finalize(committed_task, {"from": stranger})
    assert registry.task_status(committed_task) == FINALIZED
    assert stake_manager.locked(solver) == 0
    assert stake_manager.bonded(solver) == 2 * SOLVER_STAKE - SOLVER_STAKE // 4
