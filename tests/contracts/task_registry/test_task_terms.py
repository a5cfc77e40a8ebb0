"""TaskRegistry terms: every governance value a settlement reads is fixed at
the claim (attack 5), and the treasury is never a protocol contract."""

import brownie
from lifecycle import (
    ARTIFACT_URI,
    MODEL_HASH,
    MODEL_PROOF,
    PAYMENT,
    RUN_ROOT,
    SOLVER_STAKE,
    sleep_past,
)

ONESTEP = 1


def test_terms_fixed_at_claim(registry, parameters, treasury, claimed_task):
    terms = registry.task_terms(claimed_task).dict()
    assert terms == {
        "treasury": treasury,
        "slash_challenger_bps": parameters.slash_challenger_bps(),
        "slash_treasury_bps": parameters.slash_treasury_bps(),
        "expiry_slash_bps": parameters.expiry_slash_bps(),
        "verification_window": parameters.verification_window(),
        "reveal_window": parameters.reveal_window(),
    }


def test_terms_empty_before_claim(registry, open_task):
    assert registry.task_terms(open_task)["treasury"] == brownie.ZERO_ADDRESS


def _governance_takes_everything(parameters, governance):
    """What a hostile owner would set to collect every pending slash."""
    parameters.set_parameter("slash_challenger_bps", 0, {"from": governance})
    parameters.set_parameter("slash_treasury_bps", 10_000, {"from": governance})
    parameters.set_parameter("expiry_slash_bps", 10_000, {"from": governance})
    parameters.set_treasury(governance, {"from": governance})


def test_attack_governance_redirects_pending_slash(
    registry, parameters, funded, governance, disputed_task, dispute_game, submitter, challenger, treasury
):
    """Attack 5: with a dispute running, the owner sets the challenger share to
    0, the treasury share to 100 % and itself as treasury. The old registry
    read them at settlement and paid the owner the whole stake; now the task
    settles on the terms of its claim and the owner gets nothing."""
    to_challenger = SOLVER_STAKE * parameters.slash_challenger_bps() // 10_000
    to_treasury = SOLVER_STAKE * parameters.slash_treasury_bps() // 10_000
    _governance_takes_everything(parameters, governance)
    g0, c0, t0, u0 = (funded.balanceOf(a) for a in (governance, challenger, treasury, submitter))
    registry.on_solver_lost(disputed_task, challenger, ONESTEP, {"from": dispute_game})
    assert funded.balanceOf(governance) == g0
    assert funded.balanceOf(challenger) - c0 == to_challenger
    assert funded.balanceOf(treasury) - t0 == to_treasury
    assert funded.balanceOf(submitter) - u0 == PAYMENT + SOLVER_STAKE - to_challenger - to_treasury


def test_attack_governance_raises_expiry_slash(
    registry, stake_manager, parameters, funded, governance, claimed_task, solver, stranger, chain
):
    """Attack 5 at expiry: raising expiry_slash_bps to 100 % after the claim
    takes no more than the 10 % the solver accepted."""
    slashed = SOLVER_STAKE * parameters.expiry_slash_bps() // 10_000
    _governance_takes_everything(parameters, governance)
    g0 = funded.balanceOf(governance)
    sleep_past(chain, registry.get_task(claimed_task)["solve_deadline"])
    tx = registry.expire(claimed_task, {"from": stranger})
    assert tx.events["TaskExpired"]["slashed"] == slashed
    assert stake_manager.bonded(solver) == 2 * SOLVER_STAKE - slashed
    assert funded.balanceOf(governance) == g0


def test_attack_governance_redirects_fee(
    registry, parameters, funded, governance, committed_task, treasury, stranger, chain
):
    """The fee of a task claimed under one treasury goes to that treasury."""
    parameters.set_treasury(governance, {"from": governance})
    sleep_past(chain, registry.get_task(committed_task)["challenge_deadline"])
    g0, t0 = funded.balanceOf(governance), funded.balanceOf(treasury)
    registry.finalize(committed_task, {"from": stranger})
    assert funded.balanceOf(governance) == g0
    assert funded.balanceOf(treasury) - t0 == registry.get_task(committed_task)["fee"]


def test_new_terms_apply_to_new_claims(registry, parameters, governance, open_task, solver):
    parameters.set_parameter("slash_challenger_bps", 4_000, {"from": governance})
    registry.claim_task(open_task, {"from": solver})
    assert registry.task_terms(open_task)["slash_challenger_bps"] == 4_000


def test_attack_treasury_is_protocol_contract(
    registry, stake_manager, parameters, token, governance, dispute_game, open_task, solver
):
    """Treasury = a protocol contract: slashes sent there would break its
    accounting or be stuck. The parameter store refuses every contract of the
    deployment (they answer PARAMETERS() with it); the registry refuses to
    fix, at a claim, any treasury that is one of its own protocol addresses
    (the token and an EOA dispute game here, which the store cannot tell)."""
    for contract in (registry, stake_manager):
        with brownie.reverts("parameters: treasury is a protocol contract"):
            parameters.set_treasury(contract, {"from": governance})
    with brownie.reverts("parameters: treasury is this contract"):
        parameters.set_treasury(parameters, {"from": governance})
    for account in (token, dispute_game):
        parameters.set_treasury(account, {"from": governance})
        with brownie.reverts("task_registry: treasury is a protocol contract"):
            registry.claim_task(open_task, {"from": solver})


def test_commit_uses_terms_not_live_windows(registry, parameters, governance, claimed_task, solver):
    """Without a pool the windows are unused, but the terms still hold them."""
    before = registry.task_terms(claimed_task)["reveal_window"]
    parameters.set_parameter("reveal_window", 10 * 60, {"from": governance})
    registry.commit_result(claimed_task, RUN_ROOT, MODEL_HASH, MODEL_PROOF, ARTIFACT_URI, {"from": solver})
    assert registry.task_terms(claimed_task)["reveal_window"] == before
