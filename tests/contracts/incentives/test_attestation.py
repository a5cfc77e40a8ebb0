"""VerifierPool.record_seed, sample_steps, commit_attestation, flag and reveal."""

import brownie
from incentive_helpers import (
    NUM_STEPS,
    SALT,
    SAMPLES,
    STEP_ROOTS,
    attest,
    mine_many,
    past_attest,
    past_reveal,
)

from offchain.incentives import rules


def test_samples_follow_the_rule(pool, chain, honest_task, verifiers):
    v = verifiers[0]
    tx = pool.join(honest_task, {"from": v})
    with brownie.reverts("verifier_pool: seed block not mined"):
        pool.record_seed(honest_task, v)
    chain.mine()
    seed = chain[tx.block_number + 1].hash
    steps = pool.sample_steps(honest_task, v)
    assert list(steps) == rules.sample_steps(bytes(seed), v.address, honest_task, NUM_STEPS, SAMPLES)
    assert all(1 <= t <= NUM_STEPS for t in steps)
    pool.record_seed(honest_task, v, {"from": verifiers[1]})
    assert pool.attestation(honest_task, v)["seed"] == "0x" + bytes(seed).hex()
    with brownie.reverts("verifier_pool: seed already recorded"):
        pool.record_seed(honest_task, v)


def test_seed_too_old(pool, chain, honest_task, verifiers):
    pool.join(honest_task, {"from": verifiers[0]})
    mine_many(260)
    with brownie.reverts("verifier_pool: seed block too old"):
        pool.record_seed(honest_task, verifiers[0])
    with brownie.reverts("verifier_pool: seed block too old"):
        pool.commit_attestation(honest_task, b"\x01" * 32, {"from": verifiers[0]})


def test_not_joined_reverts(pool, honest_task, verifiers):
    v = verifiers[0]
    with brownie.reverts("verifier_pool: not joined"):
        pool.record_seed(honest_task, v)
    with brownie.reverts("verifier_pool: not joined"):
        pool.commit_attestation(honest_task, b"\x01" * 32, {"from": v})
    with brownie.reverts("verifier_pool: not joined"):
        pool.flag(honest_task, {"from": v})
    with brownie.reverts("verifier_pool: not joined"):
        pool.reveal(honest_task, [], SALT, {"from": v})
    with brownie.reverts("verifier_pool: not joined"):
        pool.sample_steps(honest_task, v)


def test_commit_rules(pool, chain, registry, honest_task, verifiers):
    v = verifiers[0]
    pool.join(honest_task, {"from": v})
    chain.mine(2)
    with brownie.reverts("verifier_pool: zero commitment"):
        pool.commit_attestation(honest_task, b"\x00" * 32, {"from": v})
    tx = pool.commit_attestation(honest_task, b"\x01" * 32, {"from": v})
    assert tx.events["AttestationCommitted"]["commitment"] == "0x" + "01" * 32
    with brownie.reverts("verifier_pool: already committed"):
        pool.commit_attestation(honest_task, b"\x02" * 32, {"from": v})
    past_attest(registry, chain, honest_task)
    with brownie.reverts("verifier_pool: verification window closed"):
        pool.commit_attestation(honest_task, b"\x02" * 32, {"from": verifiers[0]})


def test_flag_rules(pool, chain, registry, honest_task, verifiers):
    pool.join(honest_task, {"from": verifiers[0]})
    pool.join(honest_task, {"from": verifiers[1]})
    pool.join(honest_task, {"from": verifiers[2]})
    pool.flag(honest_task, {"from": verifiers[0]})
    tx = pool.flag(honest_task, {"from": verifiers[1]})
    assert tx.events["ResultFlagged"]["flaggers"] == 2
    with brownie.reverts("verifier_pool: already flagged"):
        pool.flag(honest_task, {"from": verifiers[0]})
    past_attest(registry, chain, honest_task)
    with brownie.reverts("verifier_pool: verification window closed"):
        pool.flag(honest_task, {"from": verifiers[2]})


def test_reveal_happy_and_errors(pool, chain, registry, honest_task, verifiers):
    v = verifiers[0]
    steps, values = attest(pool, chain, honest_task, v, STEP_ROOTS)
    with brownie.reverts("verifier_pool: verification window open"):
        pool.reveal(honest_task, values, SALT, {"from": v})
    past_attest(registry, chain, honest_task)
    with brownie.reverts("verifier_pool: wrong number of values"):
        pool.reveal(honest_task, values[:-1], SALT, {"from": v})
    with brownie.reverts("verifier_pool: commitment mismatch"):
        pool.reveal(honest_task, values, b"\x00" * 32, {"from": v})
    tx = pool.reveal(honest_task, values, SALT, {"from": v})
    assert [bytes(x) for x in pool.values_of(honest_task, v)] == values
    assert pool.round_of(honest_task)["revealed"] == 1
    assert tx.events["AttestationRevealed"]["verifier"] == v
    with brownie.reverts("verifier_pool: already revealed"):
        pool.reveal(honest_task, values, SALT, {"from": v})


def test_reveal_needs_commit_and_window(pool, chain, registry, honest_task, verifiers):
    a, b = verifiers[0], verifiers[1]
    pool.join(honest_task, {"from": a})
    _, values = attest(pool, chain, honest_task, b, STEP_ROOTS)
    past_attest(registry, chain, honest_task)
    with brownie.reverts("verifier_pool: nothing committed"):
        pool.reveal(honest_task, values, SALT, {"from": a})
    past_reveal(registry, chain, honest_task)
    with brownie.reverts("verifier_pool: reveal window closed"):
        pool.reveal(honest_task, values, SALT, {"from": b})


def test_samples_are_boundary_indices_of_the_run_tree(pool, chain, registry, parameters, governance, submitter,
                                                      solver, bonded, staked):
    """Issue 12: T = 7, checkpoint interval 3: the run tree holds S_0, S_3, S_6, S_7 (n_b = 4), so
    every sample is a boundary index in 1..3 (the rule mirrors it with the interval), and the
    final model is its last leaf."""
    from incentive_helpers import claim
    from lifecycle import ARTIFACT_URI, create_args

    from offchain.commit import merkle
    from offchain.commit.roots import boundaries, final_model

    assert boundaries(7, 3) == [0, 3, 6, 7]
    tid = registry.create_task(*create_args(num_steps=7, checkpoint_interval=3), {"from": submitter}).return_value
    claim(registry, parameters, governance, solver, tid, chain, forced=False)
    leaves = STEP_ROOTS[:4]
    registry.commit_result(tid, merkle.root(leaves), *final_model(leaves), ARTIFACT_URI, {"from": solver})
    assert registry.final_model_depth(tid) == 2
    v = staked[0]
    tx = pool.join(tid, {"from": v})
    chain.mine(2)
    seed = chain[tx.block_number + 1].hash
    samples = list(pool.sample_steps(tid, v))
    assert samples == rules.sample_steps(bytes(seed), v.address, tid, 7, SAMPLES, interval=3)
    assert all(1 <= i <= 3 for i in samples)
    assert samples != rules.sample_steps(bytes(seed), v.address, tid, 7, SAMPLES)  # not steps of 1..7
