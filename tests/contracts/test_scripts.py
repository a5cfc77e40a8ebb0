"""The brownie scripts on Anvil: deploy, the governance scripts, the
lifecycle demo. Each script's `main` is called as `brownie run` would."""

import json

import pytest
from brownie import Parameters, StakeManager, TaskRegistry, accounts, chain

from scripts import deploy as deploy_script
from scripts import lifecycle_demo
from scripts.deployment import load_deployment
from scripts.governance import (
    accept_ownership,
    pause,
    set_parameter,
    transfer_ownership,
    unpause,
)

ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"


@pytest.fixture
def record():
    return deploy_script.deploy(deployer=accounts[0], treasury=accounts[1])


def test_deploy_writes_record_and_wires(record):
    on_disk = load_deployment()
    assert on_disk == json.loads(json.dumps(record))
    assert on_disk["chain_id"] == chain.id
    assert on_disk["block"] > 0
    assert len(on_disk["git_commit"]) in (40, len("unknown"))
    c = on_disk["contracts"]
    registry = TaskRegistry.at(c["TaskRegistry"])
    stake_manager = StakeManager.at(c["StakeManager"])
    assert stake_manager.registry() == registry
    assert stake_manager.wired() and registry.wired()
    assert registry.PARAMETERS() == c["Parameters"]
    assert Parameters.at(c["Parameters"]).treasury() == accounts[1]
    assert registry.dispute_game() == c["DisputeGame"] != ZERO_ADDRESS
    assert stake_manager.dispute_game() == c["DisputeGame"]
    assert "VerifierPool" not in c


def test_deploy_with_incentives_and_without_dispute():
    c = deploy_script.deploy(deployer=accounts[0], dispute=False, incentives=True)["contracts"]
    registry = TaskRegistry.at(c["TaskRegistry"])
    assert registry.dispute_game() == ZERO_ADDRESS
    assert "DisputeGame" not in c and "OneStepVerifier" not in c
    assert registry.verifier_pool() == c["VerifierPool"]
    assert StakeManager.at(c["StakeManager"]).is_operator(c["VerifierPool"])


def test_set_parameter_script(record):
    params = Parameters.at(record["contracts"]["Parameters"])
    set_parameter.main("challenge_window", "7200")
    assert params.challenge_window() == 7200
    set_parameter.main("treasury", accounts[7].address)
    assert params.treasury() == accounts[7]


def test_set_parameter_script_bad_input(record):
    with pytest.raises(ValueError, match="unknown parameter"):
        set_parameter.main("no_such_thing", "1")
    with pytest.raises(ValueError, match="give NAME and VALUE"):
        set_parameter.main()


def test_pause_unpause_scripts(record):
    params = Parameters.at(record["contracts"]["Parameters"])
    pause.main()
    assert params.paused()
    unpause.main()
    assert not params.paused()


def test_ownership_scripts(record):
    params = Parameters.at(record["contracts"]["Parameters"])
    transfer_ownership.main(accounts[8].address)
    assert params.pending_owner() == accounts[8]
    accept_ownership.main()
    assert params.owner() == accounts[8]
    assert params.pending_owner() == "0x0000000000000000000000000000000000000000"


def test_lifecycle_demo_moves_money_as_parameters_say():
    result = lifecycle_demo.run_demo()
    before, after = result["before"], result["after"]
    params = Parameters.at(load_deployment()["contracts"]["Parameters"])
    payment, stake = 1_000, 100
    fee = payment * params.verification_fee_bps() / 10_000
    slashed = stake * params.expiry_slash_bps() / 10_000
    to_treasury = slashed * params.slash_treasury_bps() / 10_000
    # solver: paid once for the finalized task, slashed once for the expired one
    assert after["solver"][0] == pytest.approx(before["solver"][0] + payment - fee)
    assert after["solver"][1] == pytest.approx(before["solver"][1] - slashed)
    assert after["solver"][2] == 0
    # submitter: paid one task, got the cancelled and expired payments back
    assert after["submitter"][0] == pytest.approx(
        before["submitter"][0] - payment + slashed - to_treasury
    )
    assert after["treasury"][0] == pytest.approx(before["treasury"][0] + fee + to_treasury)
