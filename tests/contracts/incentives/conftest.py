"""Fixtures for the incentive layer: a deployment whose registry and stake
manager have a VerifierPool wired, verifiers with stake, and tasks in each
incentive phase (helpers in tests/contracts/incentive_helpers.py)."""

import pytest
from incentive_helpers import (
    BOND,
    NUM_STEPS,
    SAMPLES,
    TRUE_MODEL,
    TRUE_PROOF,
    TRUE_ROOT,
    WRONG_MODEL,
    WRONG_PROOF,
    WRONG_ROOT,
    claim,
)
from lifecycle import ARTIFACT_URI, create_args


@pytest.fixture(scope="module")
def verifiers(accounts):
    return [accounts[7], accounts[8], accounts[9]]


@pytest.fixture(scope="module")
def registry(TaskRegistry, VerifierPool, token, parameters, stake_manager, governance, dispute_game):
    registry = TaskRegistry.deploy(token, parameters, stake_manager, {"from": governance})
    pool = VerifierPool.deploy(token, parameters, stake_manager, registry, {"from": governance})
    stake_manager.wire_verifier_pool(pool, {"from": governance})
    registry.wire_verifier_pool(pool, {"from": governance})
    stake_manager.wire(registry, dispute_game, {"from": governance})
    registry.wire(dispute_game, {"from": governance})
    parameters.set_parameter("sample_count", SAMPLES, {"from": governance})
    return registry


@pytest.fixture(scope="module")
def pool(registry, VerifierPool):
    return VerifierPool.at(registry.verifier_pool())


@pytest.fixture
def staked(funded, stake_manager, verifiers, token, pool):
    """Every verifier has bonded BOND (more than twice a test task's verifier stake)."""
    for v in verifiers:
        token.mint(v, 10 * BOND, {"from": v})
        token.approve(stake_manager, 2**256 - 1, {"from": v})
        token.approve(pool, 2**256 - 1, {"from": v})
        stake_manager.bond(BOND, {"from": v})
    return verifiers


@pytest.fixture
def open_task(registry, funded, bonded, submitter, staked):
    return registry.create_task(*create_args(num_steps=NUM_STEPS, checkpoint_interval=1),
                                {"from": submitter}).return_value


@pytest.fixture
def honest_task(registry, parameters, governance, solver, open_task, chain):
    """Committed, not forced, true root."""
    claim(registry, parameters, governance, solver, open_task, chain, forced=False)
    registry.commit_result(open_task, TRUE_ROOT, TRUE_MODEL, TRUE_PROOF, ARTIFACT_URI, {"from": solver})
    return open_task


@pytest.fixture
def forced_task(registry, parameters, governance, solver, open_task, chain):
    """Committed with the deliberately wrong root of a forced-error task."""
    claim(registry, parameters, governance, solver, open_task, chain, forced=True)
    registry.commit_result(open_task, WRONG_ROOT, WRONG_MODEL, WRONG_PROOF, ARTIFACT_URI, {"from": solver})
    return open_task
