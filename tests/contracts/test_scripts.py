"""The brownie scripts on Anvil: deploy, the governance scripts, the
lifecycle demo. Each script's `main` is called as `python -m scripts.run` would."""

import json

import pytest
from brownie import (
    OneStepVerifier,
    Parameters,
    StakeManager,
    TaskRegistry,
    TestToken,
    accounts,
    chain,
    web3,
)

from offchain.deployment import FORMAT, addresses
from scripts import deploy as deploy_script
from scripts import lifecycle_demo
from scripts.deployment import ScriptError, deployment_path, load_deployment
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
    return deploy_script.deploy(deployer=accounts[0], treasury=accounts[1], force=True)


def test_deploy_writes_record_and_wires(record):
    on_disk = load_deployment()
    assert on_disk == json.loads(json.dumps(record))
    assert on_disk["format"] == FORMAT and on_disk["complete"] is True
    assert on_disk["chain_id"] == chain.id
    assert 0 < on_disk["start_block"] <= min(e["block"] for e in on_disk["contracts"].values())
    assert len(on_disk["commit"]) in (40, len("unknown"))
    token = on_disk["token"]
    assert token["test_token"] is True and token["decimals"] == 18 and token["symbol"] == "TST"
    for name, entry in on_disk["contracts"].items():  # each contract's creation tx and block
        receipt = web3.eth.get_transaction_receipt(entry["tx"])
        assert receipt["contractAddress"] == entry["address"] and receipt["blockNumber"] == entry["block"], name
    c = addresses(on_disk)
    assert c["Token"] == c["TestToken"] == token["address"]
    registry = TaskRegistry.at(c["TaskRegistry"])
    stake_manager = StakeManager.at(c["StakeManager"])
    assert stake_manager.registry() == registry
    assert stake_manager.wired() and registry.wired()
    assert registry.PARAMETERS() == c["Parameters"]
    assert Parameters.at(c["Parameters"]).treasury() == accounts[1]
    assert registry.dispute_game() == c["DisputeGame"] != ZERO_ADDRESS
    assert stake_manager.dispute_game() == c["DisputeGame"]
    assert OneStepVerifier.at(c["OneStepVerifier"]).ONESTEP_V2() == c["OneStepV2"] != ZERO_ADDRESS
    assert "VerifierPool" not in c


def test_deploy_with_incentives_and_without_dispute():
    c = addresses(deploy_script.deploy(deployer=accounts[0], dispute=False, incentives=True, force=True))
    registry = TaskRegistry.at(c["TaskRegistry"])
    assert registry.dispute_game() == ZERO_ADDRESS
    assert "DisputeGame" not in c and "OneStepVerifier" not in c and "OneStepV2" not in c
    assert registry.verifier_pool() == c["VerifierPool"]
    assert StakeManager.at(c["StakeManager"]).is_operator(c["VerifierPool"])


def _params(record):
    return Parameters.at(addresses(record)["Parameters"])


def test_set_parameter_script(record):
    params = _params(record)
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
    params = _params(record)
    pause.main()
    assert params.paused()
    unpause.main()
    assert not params.paused()


def test_ownership_scripts(record):
    params = _params(record)
    transfer_ownership.main(accounts[8].address)
    assert params.pending_owner() == accounts[8]
    accept_ownership.main()
    assert params.owner() == accounts[8]
    assert params.pending_owner() == "0x0000000000000000000000000000000000000000"


def test_lifecycle_demo_moves_money_as_parameters_say():
    result = lifecycle_demo.run_demo()
    before, after = result["before"], result["after"]
    params = _params(load_deployment())
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


def test_deploy_refuses_to_overwrite_a_live_record(record):
    before = deployment_path().read_text()
    with pytest.raises(ScriptError, match="complete deployment.*--force"):
        deploy_script.deploy(deployer=accounts[0])
    assert deployment_path().read_text() == before


def test_deploy_resumes_a_partial_record(record):
    """A deploy that stopped after the StakeManager: the rerun keeps the token,
    Parameters and StakeManager (their code is at their address), deploys the rest."""
    partial = json.loads(json.dumps(record))
    partial["complete"] = False
    for name in ("TaskRegistry", "OneStepV2", "OneStepVerifier", "DisputeGame"):
        del partial["contracts"][name]
    deployment_path().write_text(json.dumps(partial))
    # the fixture's StakeManager was wired already: a partial record of a fresh one
    fresh = StakeManager.deploy(partial["token"]["address"], partial["contracts"]["Parameters"]["address"],
                                {"from": accounts[0]})
    partial["contracts"]["StakeManager"].update(address=fresh.address, tx=fresh.tx.txid,
                                                block=fresh.tx.block_number)
    deployment_path().write_text(json.dumps(partial))
    height = chain.height
    done = deploy_script.deploy(deployer=accounts[0])
    assert done["complete"] is True
    for name in ("Parameters", "StakeManager"):
        assert done["contracts"][name] == partial["contracts"][name]
    assert done["token"]["address"] == partial["token"]["address"]
    assert done["contracts"]["TaskRegistry"]["block"] > height
    assert StakeManager.at(fresh.address).registry() == done["contracts"]["TaskRegistry"]["address"]
    assert fresh.wired() and TaskRegistry.at(done["contracts"]["TaskRegistry"]["address"]).wired()


def test_deploy_resume_refuses_an_impostor_contract(record):
    """A partial record naming some other contract's address as the StakeManager is
    not resumed on a live network: the code at the address is checked, not trusted."""
    from scripts.deploy import _usable

    partial = json.loads(json.dumps(record))
    partial["contracts"]["StakeManager"]["address"] = partial["token"]["address"]
    assert "is not the compiled StakeManager" in _usable(partial)


def test_deploy_dry_run_sends_nothing(capsys):
    path = deployment_path()
    path.unlink(missing_ok=True)
    nonce = accounts[0].nonce
    deploy_script.main("--dry-run")
    out = capsys.readouterr().out
    assert accounts[0].nonce == nonce and not path.exists()
    assert "TestToken: would deploy (local only), gas" in out
    assert "Parameters: would deploy, gas" in out and "total: about" in out
    assert "30,000,000" not in out  # a revert is no estimate (brownie answers it with the gas limit)


def test_deploy_with_an_erc20_by_address_reads_its_decimals():
    token = TestToken.deploy("Six", "SIX", {"from": accounts[0]})
    token_decimals = token.decimals()
    record = deploy_script.deploy(deployer=accounts[0], token=token.address, force=True)
    assert record["token"] == {"address": token.address, "symbol": "SIX", "decimals": token_decimals,
                               "test_token": False}
    assert "TestToken" not in addresses(record)


def test_deploy_refuses_a_token_that_is_no_erc20():
    with pytest.raises(ScriptError, match="no contract at token address"):
        deploy_script.deploy(deployer=accounts[0], token=accounts[5].address, force=True)


def test_set_parameter_out_of_bounds_is_one_line_with_the_bound(record):
    with pytest.raises(ScriptError) as err:
        set_parameter.main("challenge_window", "5")
    assert str(err.value) == "challenge_window: 5 is below the lower bound 600"
    with pytest.raises(ScriptError, match="verification_fee_bps: 3001 is above the upper bound 3000"):
        set_parameter.main("verification_fee_bps", "3001")


def test_set_parameter_relation_refusal_is_the_contract_reason(record):
    """Within its bounds but against a relation: the simulated call's revert string."""
    with pytest.raises(ScriptError, match="unbonding delay not above longest dispute"):
        set_parameter.main("challenge_window", str(30 * 86_400))


def test_governance_calldata_only_prints_a_multisig_transaction(record, capsys):
    params = _params(record)
    before = params.challenge_window()
    assert set_parameter.main("challenge_window", "7200", "--calldata-only") is None
    tx = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert set(tx) == {"to", "value", "data"} and tx["to"] == params.address and tx["value"] == 0
    assert params.challenge_window() == before  # nothing sent
    assert tx["data"] == params.set_parameter.encode_input("challenge_window", 7200)
    web3.eth.send_transaction({"from": params.owner(), "to": tx["to"], "data": tx["data"]})
    assert params.challenge_window() == 7200  # the owner (a multisig) sends it as printed
    pause.main("--calldata-only")
    assert json.loads(capsys.readouterr().out.strip())["data"] == params.pause.encode_input()


def test_governance_by_a_stranger_is_one_line(record):
    with pytest.raises(ScriptError, match="pause: .*caller is not the owner"):
        pause.main("--account", "5")
