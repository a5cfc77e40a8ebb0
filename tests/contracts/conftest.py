"""Fixtures for the contract tests: actors by role, a wired deployment on
Anvil (with an EOA standing in for the dispute game), and tasks in each
phase. Every test runs in isolation (brownie snapshots the chain)."""

import pytest

E18 = 10**18
PAYMENT = 1_000 * E18
SOLVER_STAKE = 100 * E18
CLAIM_PERIOD = 3_600
SOLVE_PERIOD = 86_400
NUM_STEPS = 1_000
CHECKPOINT_INTERVAL = 100
SPEC_HASH = "0x" + "11" * 32
PROGRAM_ROOT = "0x" + "22" * 32
DATA_ROOT = "0x" + "33" * 32
RUN_ROOT = "0x" + "44" * 32
MODEL_HASH = "0x" + "55" * 32
ARTIFACT_URI = "http://127.0.0.1:8000/artifacts/"

OPEN, CLAIMED, COMMITTED, FINALIZED, CANCELLED, EXPIRED, REJECTED = range(1, 8)


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


def create_args(**over):
    """Positional arguments of create_task, defaults overridable by name."""
    args = dict(
        spec_hash=SPEC_HASH,
        program_root=PROGRAM_ROOT,
        data_root=DATA_ROOT,
        num_steps=NUM_STEPS,
        checkpoint_interval=CHECKPOINT_INTERVAL,
        payment=PAYMENT,
        solver_stake=SOLVER_STAKE,
        claim_period=CLAIM_PERIOD,
        solve_period=SOLVE_PERIOD,
    )
    args.update(over)
    return list(args.values())


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
    registry.commit_result(claimed_task, RUN_ROOT, MODEL_HASH, ARTIFACT_URI, {"from": solver})
    return claimed_task


@pytest.fixture
def disputed_task(registry, committed_task, dispute_game, challenger):
    registry.on_dispute_opened(committed_task, challenger, {"from": dispute_game})
    return committed_task


def sleep_past(chain, deadline):
    """Moves chain time to just after `deadline`."""
    now = chain.time()
    if deadline >= now:
        chain.sleep(deadline - now + 2)
    chain.mine()


def sleep_until_before(chain, deadline, margin=5):
    """Moves chain time to a few seconds before `deadline`."""
    chain.sleep(deadline - chain.time() - margin)
