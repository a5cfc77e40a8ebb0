"""TaskRegistry.on_solver_lost: ends the task, slashes, refunds; the
challenger share only for a win the game proved."""

import brownie
import pytest
from lifecycle import PAYMENT, REJECTED, SOLVER_STAKE

ONESTEP, TIMEOUT, PADDING, START = 1, 2, 3, 4
TIMEOUT_BOUNTY_BPS = 500


@pytest.mark.parametrize("reason", [ONESTEP, PADDING, START])
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
    reason,
):
    to_challenger = SOLVER_STAKE * parameters.slash_challenger_bps() // 10_000
    to_treasury = SOLVER_STAKE * parameters.slash_treasury_bps() // 10_000
    to_submitter = SOLVER_STAKE - to_challenger - to_treasury
    u0, c0, t0 = (funded.balanceOf(a) for a in (submitter, challenger, treasury))
    tx = registry.on_solver_lost(disputed_task, challenger, reason, {"from": dispute_game})
    assert funded.balanceOf(submitter) == u0 + PAYMENT + to_submitter
    assert funded.balanceOf(challenger) == c0 + to_challenger
    assert funded.balanceOf(treasury) == t0 + to_treasury
    assert funded.balanceOf(registry) == 0
    assert registry.total_escrowed() == 0
    task = registry.get_task(disputed_task).dict()
    assert task["status"] == REJECTED
    assert task["open_disputes"] == 0
    assert registry.ended_at(disputed_task) == tx.timestamp
    assert stake_manager.locked(solver) == 0
    assert stake_manager.bonded(solver) == SOLVER_STAKE
    event = tx.events["TaskRejected"]
    assert (event["task_id"], event["challenger"], event["solver"]) == (
        disputed_task,
        challenger,
        solver,
    )
    assert (event["slashed"], event["refund"]) == (SOLVER_STAKE, PAYMENT)


@pytest.mark.parametrize("reason", [TIMEOUT, 0, 5, 2**256 - 1])
def test_attack_sybil_challenger_timeout(
    registry, parameters, funded, disputed_task, dispute_game, submitter, solver, challenger, treasury, reason
):
    """Attack 6: a sybil challenger wins against its own solver by timeout
    (the solver just stops moving). The old hook paid it the full challenger
    share (50 %); now an unproven win pays at most TIMEOUT_BOUNTY_BPS and the
    rest goes to the submitter, so solver + challenger lose 95 % of the stake."""
    full = SOLVER_STAKE * parameters.slash_challenger_bps() // 10_000
    bounty = SOLVER_STAKE * TIMEOUT_BOUNTY_BPS // 10_000
    to_treasury = SOLVER_STAKE * parameters.slash_treasury_bps() // 10_000
    assert bounty < full
    u0, c0, t0 = (funded.balanceOf(a) for a in (submitter, challenger, treasury))
    registry.on_solver_lost(disputed_task, challenger, reason, {"from": dispute_game})
    assert funded.balanceOf(challenger) - c0 == bounty
    assert funded.balanceOf(treasury) - t0 == to_treasury
    assert funded.balanceOf(submitter) - u0 == PAYMENT + SOLVER_STAKE - bounty - to_treasury
    # the self-dealing pair (solver + challenger) ends with less than it staked
    assert bounty < SOLVER_STAKE


def test_timeout_bounty_capped_by_challenger_share(
    registry, parameters, governance, funded, open_task, dispute_game, solver, challenger, chain
):
    from lifecycle import ARTIFACT_URI, MODEL_HASH, MODEL_PROOF, RUN_ROOT

    parameters.set_parameter("slash_challenger_bps", 100, {"from": governance})
    registry.claim_task(open_task, {"from": solver})
    registry.commit_result(open_task, RUN_ROOT, MODEL_HASH, MODEL_PROOF, ARTIFACT_URI, {"from": solver})
    registry.on_dispute_opened(open_task, challenger, {"from": dispute_game})
    c0 = funded.balanceOf(challenger)
    registry.on_solver_lost(open_task, challenger, TIMEOUT, {"from": dispute_game})
    assert funded.balanceOf(challenger) - c0 == SOLVER_STAKE * 100 // 10_000


def test_finalize_impossible_after(
    registry, disputed_task, dispute_game, challenger, stranger, chain
):
    registry.on_solver_lost(disputed_task, challenger, ONESTEP, {"from": dispute_game})
    chain.sleep(30 * 86_400)
    with brownie.reverts("task_registry: task not committed"):
        registry.finalize(disputed_task, {"from": stranger})


def test_twice_reverts(registry, disputed_task, dispute_game, challenger):
    registry.on_dispute_opened(disputed_task, challenger, {"from": dispute_game})
    registry.on_solver_lost(disputed_task, challenger, ONESTEP, {"from": dispute_game})
    with brownie.reverts("task_registry: task not committed"):
        registry.on_solver_lost(disputed_task, challenger, ONESTEP, {"from": dispute_game})


def test_stranger_reverts(registry, disputed_task, challenger):
    with brownie.reverts("task_registry: caller is not the dispute game"):
        registry.on_solver_lost(disputed_task, challenger, ONESTEP, {"from": challenger})


def test_without_open_dispute_reverts(registry, committed_task, dispute_game, challenger):
    with brownie.reverts("task_registry: no open dispute"):
        registry.on_solver_lost(committed_task, challenger, ONESTEP, {"from": dispute_game})


def test_zero_challenger_reverts(registry, disputed_task, dispute_game):
    with brownie.reverts("task_registry: zero challenger"):
        registry.on_solver_lost(disputed_task, brownie.ZERO_ADDRESS, ONESTEP, {"from": dispute_game})


def test_attack_blocklisted_challenger_freezes_settlement(
    registry, parameters, funded, disputed_task, dispute_game, submitter, challenger, treasury
):
    """A recipient the token blocklists cannot freeze the settlement: its
    share is credited, everyone else is paid, and it pulls later."""
    to_challenger = SOLVER_STAKE * parameters.slash_challenger_bps() // 10_000
    funded.set_blocked(challenger, True, {"from": challenger})
    u0 = funded.balanceOf(submitter)
    tx = registry.on_solver_lost(disputed_task, challenger, ONESTEP, {"from": dispute_game})
    assert registry.task_status(disputed_task) == REJECTED
    assert funded.balanceOf(submitter) > u0
    assert registry.credits(challenger) == to_challenger
    assert tx.events["Credited"]["account"] == challenger
    assert funded.balanceOf(registry) == registry.total_escrowed() + registry.total_credits()
    with brownie.reverts("task_registry: token transfer failed"):
        registry.claim_credit({"from": challenger})
    funded.set_blocked(challenger, False, {"from": challenger})
    c0 = funded.balanceOf(challenger)
    registry.claim_credit({"from": challenger})
    assert funded.balanceOf(challenger) - c0 == to_challenger
    assert registry.total_credits() == 0 and funded.balanceOf(registry) == 0
    with brownie.reverts("task_registry: no credit"):
        registry.claim_credit({"from": challenger})


def test_failing_token_credits_everyone(registry, funded, disputed_task, dispute_game, challenger, submitter):
    """A token whose transfers return False: the stake manager's slash into the
    registry still fails, so nothing moves (a token that cannot move stake at
    all is not supported)."""
    funded.set_fail_mode(1, {"from": challenger})
    with brownie.reverts("stake_manager: token transfer failed"):
        registry.on_solver_lost(disputed_task, challenger, ONESTEP, {"from": dispute_game})
