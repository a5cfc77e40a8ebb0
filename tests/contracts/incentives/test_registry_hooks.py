"""TaskRegistry's incentive hooks: wire_verifier_pool, claim_task with a
secret hash, record_claim_seed, reveal_secret, slash_unrevealed, and the
secret gate on disputes and finalize."""

import brownie
from eth_hash.auto import keccak
from incentive_helpers import (
    SECRET,
    TRUE_MODEL,
    TRUE_PROOF,
    TRUE_ROOT,
    WRONG_MODEL,
    WRONG_PROOF,
    WRONG_ROOT,
    finalize,
    mine_many,
    past_reveal,
)
from lifecycle import (
    ARTIFACT_URI,
    COMMITTED,
    FINALIZED,
    PAYMENT,
    REJECTED,
    SOLVER_STAKE,
    create_args,
    sleep_past,
)

from offchain.incentives import rules


def test_wire_verifier_pool_rules(TaskRegistry, StakeManager, token, parameters, governance, stranger):
    sm = StakeManager.deploy(token, parameters, {"from": governance})
    reg = TaskRegistry.deploy(token, parameters, sm, {"from": governance})
    for c, name in ((sm, "stake_manager"), (reg, "task_registry")):
        with brownie.reverts(f"{name}: caller is not the deployer"):
            c.wire_verifier_pool(stranger, {"from": stranger})
        with brownie.reverts(f"{name}: zero verifier pool"):
            c.wire_verifier_pool(brownie.ZERO_ADDRESS, {"from": governance})
        tx = c.wire_verifier_pool(stranger, {"from": governance})
        assert tx.events["VerifierPoolWired"]["verifier_pool"] == stranger
        with brownie.reverts(f"{name}: verifier pool already wired"):
            c.wire_verifier_pool(stranger, {"from": governance})
    assert sm.is_operator(stranger)
    sm.wire(reg, brownie.ZERO_ADDRESS, {"from": governance})
    reg.wire(brownie.ZERO_ADDRESS, {"from": governance})
    sm2 = StakeManager.deploy(token, parameters, {"from": governance})
    sm2.wire(reg, brownie.ZERO_ADDRESS, {"from": governance})
    with brownie.reverts("stake_manager: already wired"):
        sm2.wire_verifier_pool(stranger, {"from": governance})


def test_claim_needs_secret_hash(registry, open_task, solver):
    with brownie.reverts("task_registry: zero secret hash"):
        registry.claim_task(open_task, {"from": solver})
    tx = registry.claim_task(open_task, keccak(SECRET), {"from": solver})
    inc = registry.incentive(open_task)
    assert inc["secret_hash"] == "0x" + keccak(SECRET).hex()
    assert inc["claim_block"] == tx.block_number


def test_commit_records_seed_and_deadlines(registry, parameters, chain, open_task, solver):
    tx0 = registry.claim_task(open_task, keccak(SECRET), {"from": solver})
    chain.mine()
    tx = registry.commit_result(open_task, TRUE_ROOT, TRUE_MODEL, TRUE_PROOF, ARTIFACT_URI, {"from": solver})
    inc = registry.incentive(open_task)
    assert inc["claim_seed"] == "0x" + bytes(chain[tx0.block_number + 1].hash).hex()
    assert inc["attest_deadline"] == tx.timestamp + parameters.verification_window()
    assert inc["reveal_deadline"] == inc["attest_deadline"] + parameters.reveal_window()
    assert inc["secret_deadline"] == inc["reveal_deadline"] + parameters.reveal_window()
    assert inc["first_root"] == "0x" + TRUE_ROOT.hex()
    assert registry.get_task(open_task)["challenge_deadline"] == 0


def test_record_claim_seed(registry, chain, open_task, solver, stranger):
    with brownie.reverts("task_registry: task not claimed"):
        registry.record_claim_seed(open_task, {"from": stranger})
    tx0 = registry.claim_task(open_task, keccak(SECRET), {"from": solver})
    with brownie.reverts("task_registry: seed block not mined"):
        registry.record_claim_seed(open_task, {"from": stranger})
    tx = registry.record_claim_seed(open_task, {"from": stranger})
    assert tx.events["ClaimSeedRecorded"]["seed"] == "0x" + bytes(chain[tx0.block_number + 1].hash).hex()
    with brownie.reverts("task_registry: seed already recorded"):
        registry.record_claim_seed(open_task, {"from": stranger})


def test_record_claim_seed_too_old(registry, chain, open_task, solver, stranger):
    registry.claim_task(open_task, keccak(SECRET), {"from": solver})
    mine_many(260)
    with brownie.reverts("task_registry: claim seed lapsed"):
        registry.record_claim_seed(open_task, {"from": stranger})


def test_attack_unrecorded_seed_forces_task(registry, chain, open_task, solver, stranger):
    """Attack 4 (registry part): the solver lets the claim seed lapse. The old
    registry then counted the task as forced (the solver chose). Now the
    commit is refused: the task can only expire, and the solver is slashed."""
    registry.claim_task(open_task, keccak(SECRET), {"from": solver})
    mine_many(260)
    with brownie.reverts("task_registry: claim seed lapsed"):
        registry.commit_result(open_task, WRONG_ROOT, WRONG_MODEL, WRONG_PROOF, ARTIFACT_URI, {"from": solver})
    sleep_past(chain, registry.get_task(open_task)["solve_deadline"])
    tx = registry.expire(open_task, {"from": stranger})
    assert tx.events["TaskExpired"]["slashed"] > 0


def test_commit_needs_the_seed_block(registry, open_task, solver):
    """A commit in the block right after the claim cannot know the seed yet."""
    registry.claim_task(open_task, keccak(SECRET), {"from": solver})
    with brownie.reverts("task_registry: seed block not mined"):
        registry.commit_result(open_task, TRUE_ROOT, TRUE_MODEL, TRUE_PROOF, ARTIFACT_URI, {"from": solver})


def test_forced_rule_matches_python(registry, parameters, governance, chain, open_task, solver):
    parameters.set_parameter("forced_error_rate_ppm", 100_000, {"from": governance})
    registry.claim_task(open_task, keccak(SECRET), {"from": solver})
    chain.mine()
    registry.commit_result(open_task, TRUE_ROOT, TRUE_MODEL, TRUE_PROOF, ARTIFACT_URI, {"from": solver})
    inc = registry.incentive(open_task)
    assert inc["claim_seed"] != "0x" + "00" * 32
    expected = rules.is_forced(SECRET, bytes(inc["claim_seed"]), 100_000)
    past_reveal(registry, chain, open_task)
    # the commit was the true root: a forced task must replace it (here by the
    # wrong twin, whose leaf T is proved), an unforced one must keep it
    if expected:
        tx = registry.reveal_secret(open_task, SECRET, WRONG_ROOT, WRONG_MODEL, WRONG_PROOF, ARTIFACT_URI,
                                    {"from": solver})
    else:
        tx = registry.reveal_secret(open_task, SECRET, TRUE_ROOT, TRUE_MODEL, TRUE_PROOF, ARTIFACT_URI,
                                    {"from": solver})
    assert tx.events["SecretRevealed"]["forced"] == expected


def test_reveal_not_forced(registry, chain, honest_task, solver, stranger):
    with brownie.reverts("task_registry: verifier reveals open"):
        registry.reveal_secret(honest_task, SECRET, TRUE_ROOT, TRUE_MODEL, TRUE_PROOF, ARTIFACT_URI, {"from": solver})
    past_reveal(registry, chain, honest_task)
    with brownie.reverts("task_registry: caller is not the solver"):
        registry.reveal_secret(honest_task, SECRET, TRUE_ROOT, TRUE_MODEL, TRUE_PROOF, ARTIFACT_URI, {"from": stranger})
    with brownie.reverts("task_registry: wrong secret"):
        registry.reveal_secret(honest_task, b"\x01" * 32, TRUE_ROOT, TRUE_MODEL, TRUE_PROOF, ARTIFACT_URI, {"from": solver})
    with brownie.reverts("task_registry: root changed without forced error"):
        registry.reveal_secret(honest_task, SECRET, WRONG_ROOT, WRONG_MODEL, WRONG_PROOF, ARTIFACT_URI, {"from": solver})
    tx = registry.reveal_secret(honest_task, SECRET, TRUE_ROOT, TRUE_MODEL, TRUE_PROOF, ARTIFACT_URI, {"from": solver})
    ev = tx.events["SecretRevealed"]
    assert not ev["forced"] and ev["challenge_deadline"] == tx.timestamp + registry.get_task(honest_task)["challenge_window"]
    with brownie.reverts("task_registry: secret already revealed"):
        registry.reveal_secret(honest_task, SECRET, TRUE_ROOT, TRUE_MODEL, TRUE_PROOF, ARTIFACT_URI, {"from": solver})


def test_reveal_forced_replaces_root(registry, chain, forced_task, solver):
    past_reveal(registry, chain, forced_task)
    with brownie.reverts("task_registry: forced root not replaced"):
        registry.reveal_secret(forced_task, SECRET, WRONG_ROOT, WRONG_MODEL, WRONG_PROOF, ARTIFACT_URI, {"from": solver})
    # the true root with the wrong model (the forced commit's leaf T), or the
    # true model one level short: refused
    with brownie.reverts("task_registry: final model is not S_T"):
        registry.reveal_secret(forced_task, SECRET, TRUE_ROOT, WRONG_MODEL, TRUE_PROOF, ARTIFACT_URI, {"from": solver})
    with brownie.reverts("task_registry: final model proof has wrong length"):
        registry.reveal_secret(forced_task, SECRET, TRUE_ROOT, TRUE_MODEL, TRUE_PROOF[1:], ARTIFACT_URI,
                               {"from": solver})
    assert registry.get_task(forced_task)["final_model_hash"] == "0x" + WRONG_MODEL.hex()
    tx = registry.reveal_secret(forced_task, SECRET, TRUE_ROOT, TRUE_MODEL, TRUE_PROOF, ARTIFACT_URI, {"from": solver})
    assert tx.events["SecretRevealed"]["forced"]
    assert registry.get_task(forced_task)["final_model_hash"] == "0x" + TRUE_MODEL.hex()
    assert tx.events["SecretRevealed"]["wrong_root"] == "0x" + WRONG_ROOT.hex()
    assert registry.get_task(forced_task)["run_root"] == "0x" + TRUE_ROOT.hex()
    assert registry.incentive(forced_task)["forced"]


def test_reveal_after_deadline_reverts(registry, chain, honest_task, solver):
    sleep_past(chain, registry.incentive(honest_task)["secret_deadline"])
    with brownie.reverts("task_registry: secret deadline passed"):
        registry.reveal_secret(honest_task, SECRET, TRUE_ROOT, TRUE_MODEL, TRUE_PROOF, ARTIFACT_URI, {"from": solver})


def test_disputes_and_finalize_wait_for_the_secret(registry, honest_task, dispute_game, challenger, stranger):
    with brownie.reverts("task_registry: secret not revealed"):
        registry.on_dispute_opened(honest_task, challenger, {"from": dispute_game})
    with brownie.reverts("task_registry: secret not revealed"):
        registry.finalize(honest_task, {"from": stranger})


def test_slash_unrevealed(registry, pool, chain, token, stake_manager, parameters, honest_task, solver,
                          submitter, stranger):
    with brownie.reverts("task_registry: secret deadline not passed"):
        registry.slash_unrevealed(honest_task, {"from": stranger})
    sleep_past(chain, registry.incentive(honest_task)["secret_deadline"])
    before = {a: token.balanceOf(a) for a in (stranger, pool, submitter)}
    tx = registry.slash_unrevealed(honest_task, {"from": stranger})
    to_pool = SOLVER_STAKE * parameters.slash_treasury_bps() // 10_000
    assert token.balanceOf(stranger) == before[stranger]
    assert token.balanceOf(pool) - before[pool] == to_pool
    assert token.balanceOf(submitter) - before[submitter] == PAYMENT + SOLVER_STAKE - to_pool
    assert registry.task_status(honest_task) == REJECTED
    assert registry.ended_at(honest_task) == tx.timestamp
    assert tx.events["SecretWithheld"]["slashed"] == SOLVER_STAKE
    assert tx.events["TaskRejected"]["solver"] == solver
    assert pool.jackpot() == to_pool
    with brownie.reverts("task_registry: task not committed"):
        registry.slash_unrevealed(honest_task, {"from": stranger})


def test_attack_self_slash_unrevealed(registry, chain, token, stake_manager, honest_task, solver):
    """Attack 6: a solver that withholds its secret slashes itself. The old
    registry paid the caller slash_challenger_bps (50 %) of the stake back;
    now the caller gets nothing and the solver loses the whole stake."""
    sleep_past(chain, registry.incentive(honest_task)["secret_deadline"])
    b0 = token.balanceOf(solver)
    registry.slash_unrevealed(honest_task, {"from": solver})
    assert token.balanceOf(solver) == b0
    assert stake_manager.bonded(solver) == SOLVER_STAKE  # of the 2 bonded, one stake is gone


def test_attack_governance_shortens_reveal_window(registry, parameters, governance, chain, open_task, solver):
    """Attack 5 (windows): after the claim, the owner shrinks the reveal window
    to push the solver past its secret deadline. The deadlines come from the
    terms fixed at the claim."""
    registry.claim_task(open_task, keccak(SECRET), {"from": solver})
    chain.mine()
    window = registry.task_terms(open_task)["reveal_window"]
    parameters.set_parameter("reveal_window", 600, {"from": governance})
    parameters.set_parameter("verification_window", 600, {"from": governance})
    tx = registry.commit_result(open_task, TRUE_ROOT, TRUE_MODEL, TRUE_PROOF, ARTIFACT_URI, {"from": solver})
    inc = registry.incentive(open_task)
    assert inc["attest_deadline"] == tx.timestamp + registry.task_terms(open_task)["verification_window"]
    assert inc["secret_deadline"] - inc["reveal_deadline"] == window != 600


def test_zero_fee_finalize_still_reaches_the_pool(registry, pool, parameters, governance, chain, submitter, solver,
                                                   funded, bonded, staked):
    """finalized_at is set in the pool even when the fee rounds to zero."""
    from incentive_helpers import NUM_STEPS, claim, reveal_secret

    parameters.set_parameter("verification_fee_bps", 0, {"from": governance})
    tid = registry.create_task(*create_args(num_steps=NUM_STEPS, checkpoint_interval=1),
                               {"from": submitter}).return_value
    claim(registry, parameters, governance, solver, tid, chain, forced=False)
    registry.commit_result(tid, TRUE_ROOT, TRUE_MODEL, TRUE_PROOF, ARTIFACT_URI, {"from": solver})
    reveal_secret(registry, chain, solver, tid, forced=False)
    tx = finalize(registry, chain, tid)
    assert registry.task_status(tid) == FINALIZED
    assert tx.events["FeeReceived"]["amount"] == 0
    assert pool.round_of(tid)["finalized_at"] == tx.timestamp


def test_no_pool_functions_revert(TaskRegistry, token, parameters, stake_manager, governance, stranger):
    reg = TaskRegistry.deploy(token, parameters, stake_manager, {"from": governance})
    with brownie.reverts("task_registry: no verifier pool"):
        reg.record_claim_seed(1, {"from": stranger})
    with brownie.reverts("task_registry: no verifier pool"):
        reg.reveal_secret(1, SECRET, TRUE_ROOT, TRUE_MODEL, TRUE_PROOF, ARTIFACT_URI, {"from": stranger})
    with brownie.reverts("task_registry: no verifier pool"):
        reg.slash_unrevealed(1, {"from": stranger})
    assert COMMITTED == 3
