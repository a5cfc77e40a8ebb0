"""TaskRegistry.expire: a missed solve deadline slashes and refunds."""

import brownie
from lifecycle import EXPIRED, PAYMENT, SOLVER_STAKE, sleep_past, sleep_until_before


def _deadline(registry, task_id):
    return registry.get_task(task_id).dict()["solve_deadline"]


def test_expire_slashes_and_refunds(
    registry,
    stake_manager,
    parameters,
    funded,
    claimed_task,
    submitter,
    solver,
    treasury,
    stranger,
    chain,
):
    sleep_past(chain, _deadline(registry, claimed_task))
    slashed = SOLVER_STAKE * parameters.expiry_slash_bps() // 10_000
    to_treasury = slashed * parameters.slash_treasury_bps() // 10_000
    u0, t0 = funded.balanceOf(submitter), funded.balanceOf(treasury)
    s0 = funded.balanceOf(stranger)
    tx = registry.expire(claimed_task, {"from": stranger})
    assert funded.balanceOf(stranger) == s0  # the caller earns nothing
    assert registry.ended_at(claimed_task) == tx.timestamp
    assert funded.balanceOf(submitter) == u0 + PAYMENT + slashed - to_treasury
    assert funded.balanceOf(treasury) == t0 + to_treasury
    assert funded.balanceOf(registry) == 0
    assert registry.task_status(claimed_task) == EXPIRED
    assert stake_manager.locked(solver) == 0
    assert stake_manager.bonded(solver) == 2 * SOLVER_STAKE - slashed
    event = tx.events["TaskExpired"]
    assert (event["task_id"], event["caller"], event["solver"]) == (claimed_task, stranger, solver)
    assert (event["slashed"], event["refund"]) == (slashed, PAYMENT)


def test_expire_with_zero_slash(
    registry, stake_manager, parameters, governance, open_task, solver, stranger, chain
):
    parameters.set_parameter("expiry_slash_bps", 0, {"from": governance})
    registry.claim_task(open_task, {"from": solver})
    claimed_task = open_task
    sleep_past(chain, _deadline(registry, claimed_task))
    registry.expire(claimed_task, {"from": stranger})
    assert stake_manager.bonded(solver) == 2 * SOLVER_STAKE
    assert stake_manager.locked(solver) == 0


def test_expire_with_full_slash(
    registry, stake_manager, parameters, governance, open_task, solver, stranger, chain
):
    parameters.set_parameter("expiry_slash_bps", 10_000, {"from": governance})
    registry.claim_task(open_task, {"from": solver})
    claimed_task = open_task
    sleep_past(chain, _deadline(registry, claimed_task))
    registry.expire(claimed_task, {"from": stranger})
    assert stake_manager.bonded(solver) == SOLVER_STAKE
    assert stake_manager.locked(solver) == 0


def test_before_deadline_reverts(registry, claimed_task, stranger, chain):
    sleep_until_before(chain, _deadline(registry, claimed_task))
    with brownie.reverts("task_registry: solve deadline not passed"):
        registry.expire(claimed_task, {"from": stranger})


def test_committed_reverts(registry, committed_task, stranger, chain):
    sleep_past(chain, _deadline(registry, committed_task))
    with brownie.reverts("task_registry: task not claimed"):
        registry.expire(committed_task, {"from": stranger})


def test_open_reverts(registry, open_task, stranger):
    with brownie.reverts("task_registry: task not claimed"):
        registry.expire(open_task, {"from": stranger})


def test_twice_reverts(registry, claimed_task, stranger, chain):
    sleep_past(chain, _deadline(registry, claimed_task))
    registry.expire(claimed_task, {"from": stranger})
    with brownie.reverts("task_registry: task not claimed"):
        registry.expire(claimed_task, {"from": stranger})


def test_failing_token_reverts(registry, funded, claimed_task, stranger, chain):
    sleep_past(chain, _deadline(registry, claimed_task))
    funded.set_fail_mode(2, {"from": stranger})
    with brownie.reverts("stake_manager: token transfer failed"):
        registry.expire(claimed_task, {"from": stranger})


def test_after_partial_slash_by_dispute_game(
    registry,
    stake_manager,
    parameters,
    claimed_task,
    dispute_game,
    solver,
    treasury,
    stranger,
    chain,
):
    stake_manager.slash(
        solver, claimed_task, [treasury], [SOLVER_STAKE // 2], {"from": dispute_game}
    )
    sleep_past(chain, _deadline(registry, claimed_task))
    registry.expire(claimed_task, {"from": stranger})
    slashed = SOLVER_STAKE * parameters.expiry_slash_bps() // 10_000
    assert registry.task_status(claimed_task) == EXPIRED
    assert stake_manager.locked(solver) == 0
    assert stake_manager.bonded(solver) == 2 * SOLVER_STAKE - SOLVER_STAKE // 2 - slashed


def test_attack_self_expire(registry, stake_manager, funded, claimed_task, solver, chain):
    """Attack 6: the solver expires its own task. It earns nothing as the
    caller and loses the expiry slash."""
    sleep_past(chain, _deadline(registry, claimed_task))
    b0 = funded.balanceOf(solver) + stake_manager.bonded(solver)
    registry.expire(claimed_task, {"from": solver})
    assert funded.balanceOf(solver) + stake_manager.bonded(solver) < b0


def test_attack_blocklisted_submitter_freezes_expiry(
    registry, stake_manager, funded, claimed_task, submitter, solver, stranger, chain
):
    """A blocklisted submitter cannot keep the solver's stake locked: expire
    credits its refund and unlocks the rest."""
    sleep_past(chain, _deadline(registry, claimed_task))
    funded.set_blocked(submitter, True, {"from": stranger})
    registry.expire(claimed_task, {"from": stranger})
    assert stake_manager.locked(solver) == 0
    assert registry.credits(submitter) >= PAYMENT
    assert funded.balanceOf(registry) == registry.total_credits()
