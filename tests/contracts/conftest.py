"""Fixtures for the contract tests: actors by role, a wired deployment on
Anvil (with an EOA standing in for the dispute game), and tasks in each
phase. Every test runs in isolation (brownie snapshots the chain)."""

import pytest
from lifecycle import (
    ARTIFACT_URI,
    E18,
    MODEL_HASH,
    MODEL_PROOF,
    RUN_ROOT,
    SOLVER_STAKE,
    create_args,
)


@pytest.fixture(scope="module", autouse=True)
def mod_isolation(module_isolation):
    """Each test module starts from an empty chain."""


@pytest.fixture(autouse=True)
def isolation(fn_isolation):
    """Each test's transactions are undone after it."""


@pytest.fixture(scope="module")
def governance(accounts):
    return accounts[0]


@pytest.fixture(scope="module")
def treasury(accounts):
    return accounts[1]


@pytest.fixture(scope="module")
def submitter(accounts):
    return accounts[2]


@pytest.fixture(scope="module")
def solver(accounts):
    return accounts[3]


@pytest.fixture(scope="module")
def challenger(accounts):
    return accounts[4]


@pytest.fixture(scope="module")
def dispute_game(accounts):
    """An EOA standing in for the dispute contract of a later issue."""
    return accounts[5]


@pytest.fixture(scope="module")
def stranger(accounts):
    return accounts[6]


@pytest.fixture(scope="module")
def token(TestToken, governance):
    return TestToken.deploy("Test stake", "TST", {"from": governance})


@pytest.fixture(scope="module")
def parameters(Parameters, governance, treasury):
    return Parameters.deploy(treasury, {"from": governance})


@pytest.fixture(scope="module")
def stake_manager(StakeManager, token, parameters, governance):
    return StakeManager.deploy(token, parameters, {"from": governance})


@pytest.fixture(scope="module")
def registry(TaskRegistry, token, parameters, stake_manager, governance, dispute_game):
    registry = TaskRegistry.deploy(token, parameters, stake_manager, {"from": governance})
    stake_manager.wire(registry, dispute_game, {"from": governance})
    registry.wire(dispute_game, {"from": governance})
    return registry


@pytest.fixture(scope="module")
def funded(token, stake_manager, registry, submitter, solver, challenger):
    """Mints to the actors and approves both contracts for everything."""
    for actor in (submitter, solver, challenger):
        token.mint(actor, 10_000 * E18, {"from": actor})
        token.approve(stake_manager, 2**256 - 1, {"from": actor})
        token.approve(registry, 2**256 - 1, {"from": actor})
    return token


@pytest.fixture
def bonded(funded, stake_manager, solver):
    """The solver has bonded twice the task stake."""
    stake_manager.bond(2 * SOLVER_STAKE, {"from": solver})
    return stake_manager


@pytest.fixture
def open_task(registry, funded, bonded, submitter):
    tx = registry.create_task(*create_args(), {"from": submitter})
    return tx.return_value


@pytest.fixture
def claimed_task(registry, open_task, solver):
    registry.claim_task(open_task, {"from": solver})
    return open_task


@pytest.fixture
def committed_task(registry, claimed_task, solver):
    registry.commit_result(claimed_task, RUN_ROOT, MODEL_HASH, MODEL_PROOF, ARTIFACT_URI, {"from": solver})
    return claimed_task


@pytest.fixture
def disputed_task(registry, committed_task, dispute_game, challenger):
    registry.on_dispute_opened(committed_task, challenger, {"from": dispute_game})
    return committed_task
