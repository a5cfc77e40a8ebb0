"""TaskRegistry's incentive hooks: wire_verifier_pool, claim_task with a
secret hash, record_claim_seed, reveal_secret, slash_unrevealed, and the
secret gate on disputes and finalize."""

import brownie
from eth_hash.auto import keccak
from incentive_helpers import SECRET, TRUE_ROOT, WRONG_ROOT, mine_many, past_reveal
from lifecycle import (
    ARTIFACT_URI,
    COMMITTED,
    MODEL_HASH,
    PAYMENT,
    REJECTED,
    SOLVER_STAKE,
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
    tx = registry.commit_result(open_task, TRUE_ROOT, MODEL_HASH, ARTIFACT_URI, {"from": solver})
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
    with brownie.reverts("task_registry: seed block too old"):
        registry.record_claim_seed(open_task, {"from": stranger})


def test_forced_rule_matches_python(registry, parameters, governance, chain, open_task, solver):
    parameters.set_parameter("forced_error_rate_ppm", 100_000, {"from": governance})
    registry.claim_task(open_task, keccak(SECRET), {"from": solver})
    chain.mine()
    registry.commit_result(open_task, TRUE_ROOT, MODEL_HASH, ARTIFACT_URI, {"from": solver})
    inc = registry.incentive(open_task)
    assert inc["claim_seed"] != "0x" + "00" * 32
    expected = rules.is_forced(SECRET, bytes(inc["claim_seed"]), 100_000)
    past_reveal(registry, chain, open_task)
    root = WRONG_ROOT if expected else TRUE_ROOT
    tx = registry.reveal_secret(open_task, SECRET, root, MODEL_HASH, ARTIFACT_URI, {"from": solver})
    assert tx.events["SecretRevealed"]["forced"] == expected


def test_reveal_not_forced(registry, chain, honest_task, solver, stranger):
    with brownie.reverts("task_registry: verifier reveals open"):
        registry.reveal_secret(honest_task, SECRET, TRUE_ROOT, MODEL_HASH, ARTIFACT_URI, {"from": solver})
    past_reveal(registry, chain, honest_task)
    with brownie.reverts("task_registry: caller is not the solver"):
        registry.reveal_secret(honest_task, SECRET, TRUE_ROOT, MODEL_HASH, ARTIFACT_URI, {"from": stranger})
    with brownie.reverts("task_registry: wrong secret"):
        registry.reveal_secret(honest_task, b"\x01" * 32, TRUE_ROOT, MODEL_HASH, ARTIFACT_URI, {"from": solver})
    with brownie.reverts("task_registry: root changed without forced error"):
        registry.reveal_secret(honest_task, SECRET, WRONG_ROOT, MODEL_HASH, ARTIFACT_URI, {"from": solver})
    tx = registry.reveal_secret(honest_task, SECRET, TRUE_ROOT, MODEL_HASH, ARTIFACT_URI, {"from": solver})
    ev = tx.events["SecretRevealed"]
    assert not ev["forced"] and ev["challenge_deadline"] == tx.timestamp + registry.get_task(honest_task)["challenge_window"]
    with brownie.reverts("task_registry: secret already revealed"):
        registry.reveal_secret(honest_task, SECRET, TRUE_ROOT, MODEL_HASH, ARTIFACT_URI, {"from": solver})


def test_reveal_forced_replaces_root(registry, chain, forced_task, solver):
    past_reveal(registry, chain, forced_task)
    with brownie.reverts("task_registry: forced root not replaced"):
        registry.reveal_secret(forced_task, SECRET, WRONG_ROOT, MODEL_HASH, ARTIFACT_URI, {"from": solver})
    tx = registry.reveal_secret(forced_task, SECRET, TRUE_ROOT, MODEL_HASH, ARTIFACT_URI, {"from": solver})
    assert tx.events["SecretRevealed"]["forced"]
    assert tx.events["SecretRevealed"]["wrong_root"] == "0x" + WRONG_ROOT.hex()
    assert registry.get_task(forced_task)["run_root"] == "0x" + TRUE_ROOT.hex()
    assert registry.incentive(forced_task)["forced"]


def test_reveal_after_deadline_reverts(registry, chain, honest_task, solver):
    sleep_past(chain, registry.incentive(honest_task)["secret_deadline"])
    with brownie.reverts("task_registry: secret deadline passed"):
        registry.reveal_secret(honest_task, SECRET, TRUE_ROOT, MODEL_HASH, ARTIFACT_URI, {"from": solver})


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
    to_caller = SOLVER_STAKE * parameters.slash_challenger_bps() // 10_000
    to_pool = SOLVER_STAKE * parameters.slash_treasury_bps() // 10_000
    assert token.balanceOf(stranger) - before[stranger] == to_caller
    assert token.balanceOf(pool) - before[pool] == to_pool
    assert token.balanceOf(submitter) - before[submitter] == PAYMENT + SOLVER_STAKE - to_caller - to_pool
    assert registry.task_status(honest_task) == REJECTED
    assert tx.events["SecretWithheld"]["slashed"] == SOLVER_STAKE
    assert pool.jackpot() == to_pool
    with brownie.reverts("task_registry: task not committed"):
        registry.slash_unrevealed(honest_task, {"from": stranger})


def test_no_pool_functions_revert(TaskRegistry, token, parameters, stake_manager, governance, stranger):
    reg = TaskRegistry.deploy(token, parameters, stake_manager, {"from": governance})
    with brownie.reverts("task_registry: no verifier pool"):
        reg.record_claim_seed(1, {"from": stranger})
    with brownie.reverts("task_registry: no verifier pool"):
        reg.reveal_secret(1, SECRET, TRUE_ROOT, MODEL_HASH, ARTIFACT_URI, {"from": stranger})
    with brownie.reverts("task_registry: no verifier pool"):
        reg.slash_unrevealed(1, {"from": stranger})
    assert COMMITTED == 3
