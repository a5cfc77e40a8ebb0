"""VerifierPool.join: locks the verifier stake during the verification window."""

import brownie
from incentive_helpers import past_attest
from lifecycle import SOLVER_STAKE


def test_join_locks_stake(pool, stake_manager, honest_task, verifiers):
    v = verifiers[0]
    stake = pool.verifier_stake(honest_task)
    tx = pool.join(honest_task, {"from": v})
    assert stake_manager.locked_for_task(v, honest_task) == stake
    att = pool.attestation(honest_task, v)
    assert att["stake"] == stake and att["join_block"] == tx.block_number
    assert pool.terms_of(honest_task)["stake"] == stake
    assert pool.round_of(honest_task)["verifiers"] == 1
    assert tx.events["VerifierJoined"]["verifier"] == v


def test_join_twice_reverts(pool, honest_task, verifiers):
    pool.join(honest_task, {"from": verifiers[0]})
    with brownie.reverts("verifier_pool: already joined"):
        pool.join(honest_task, {"from": verifiers[0]})


def test_join_uncommitted_reverts(pool, open_task, verifiers):
    with brownie.reverts("verifier_pool: task not committed"):
        pool.join(open_task, {"from": verifiers[0]})


def test_join_after_window_reverts(pool, registry, chain, honest_task, verifiers):
    past_attest(registry, chain, honest_task)
    with brownie.reverts("verifier_pool: verification window closed"):
        pool.join(honest_task, {"from": verifiers[0]})


def test_solver_and_submitter_cannot_join(pool, honest_task, solver, submitter, stake_manager):
    with brownie.reverts("verifier_pool: solver cannot verify"):
        pool.join(honest_task, {"from": solver})
    with brownie.reverts("verifier_pool: submitter cannot verify"):
        pool.join(honest_task, {"from": submitter})


def test_join_without_free_stake_reverts(pool, honest_task, stranger):
    with brownie.reverts("stake_manager: insufficient free stake"):
        pool.join(honest_task, {"from": stranger})
    assert SOLVER_STAKE > 0
