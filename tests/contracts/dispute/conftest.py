"""Fixtures for the dispute game tests: the descent harness and a full
deployment with one committed task (actors by role come from
tests/contracts/conftest.py; `stranger` here is an account no test funds)."""

import pytest

from offchain.commit import proofs
from offchain.commit.roots import final_model


@pytest.fixture(scope="module")
def deployer(accounts):
    return accounts[0]


@pytest.fixture(scope="module")
def descent_harness(DisputeDescentHarness, deployer):
    return DisputeDescentHarness.deploy({"from": deployer})


# --- a full deployment with one committed task and a faulty solver run -------------

TOKEN = 10**18
STEPS = 2


@pytest.fixture(scope="module")
def runs():
    """(solver run with a fault at step 1, node 2, element 1; honest challenger run)."""
    from offchain.dispute.demo import default_program
    from offchain.dispute.run import Fault, PartyRun

    program, data = default_program(STEPS, hidden=2, batch=1)
    honest = PartyRun(program, data.train, STEPS, interval=STEPS)
    faulty = PartyRun(program, data.train, STEPS, fault=Fault(1, 2, 1), base=honest, interval=STEPS)
    return program, data, faulty, honest


@pytest.fixture(scope="module")
def stranger(accounts):
    return accounts[5]


@pytest.fixture(scope="module")
def system(deployer, treasury, submitter, solver, challenger, runs, TestToken, Parameters, StakeManager,
           TaskRegistry, OneStepV2, OneStepVerifier, DisputeGame):
    program, data, faulty, _honest = runs
    token = TestToken.deploy("Test Token", "TT", {"from": deployer})
    params = Parameters.deploy(treasury, {"from": deployer})
    stake = StakeManager.deploy(token, params, {"from": deployer})
    registry = TaskRegistry.deploy(token, params, stake, {"from": deployer})
    verifier = OneStepVerifier.deploy(OneStepV2.deploy({"from": deployer}), {"from": deployer})
    game = DisputeGame.deploy(registry, params, verifier, {"from": deployer})
    stake.wire(registry, game, {"from": deployer})
    registry.wire(game, {"from": deployer})
    for who in (submitter, solver, challenger):
        token.mint(who, 1_000 * TOKEN, {"from": who})
    token.approve(registry, 10 * TOKEN, {"from": submitter})
    header, header_proof = proofs.header_proof(program)
    registry.create_task(b"\x01" * 32, program.root(), data.root(), STEPS, STEPS, 10 * TOKEN, 100 * TOKEN,
                         600, 3600, header, header_proof, {"from": submitter})
    token.approve(stake, 100 * TOKEN, {"from": solver})
    stake.bond(100 * TOKEN, {"from": solver})
    registry.claim_task(1, {"from": solver})
    registry.commit_result(1, faulty.run_root, *final_model(faulty.step_roots), "local", {"from": solver})
    token.approve(game, 100 * TOKEN, {"from": challenger})
    return {"token": token, "params": params, "stake": stake, "registry": registry, "game": game}


@pytest.fixture
def players(runs):
    from offchain.dispute.player import CHALLENGER, SOLVER, Player

    _program, _data, faulty, honest = runs
    return Player(SOLVER, faulty), Player(CHALLENGER, honest)


@pytest.fixture
def opened(system, players, challenger):
    """A dispute opened by the challenger (id 1 in each isolated test)."""
    _s, c = players
    system["game"].open_dispute(*c.open_args(1), {"from": challenger})
    return system["game"].dispute_count()


@pytest.fixture(autouse=True)
def isolation(fn_isolation):
    pass
