"""Parameters.set_treasury: owner only, non-zero, event."""

import brownie


def test_set_treasury(parameters, governance, treasury, stranger):
    tx = parameters.set_treasury(stranger, {"from": governance})
    assert parameters.treasury() == stranger
    event = tx.events["TreasuryChanged"]
    assert event["governance"] == governance
    assert event["old_treasury"] == treasury
    assert event["new_treasury"] == stranger


def test_zero_treasury_reverts(parameters, governance):
    with brownie.reverts("parameters: zero treasury"):
        parameters.set_treasury(brownie.ZERO_ADDRESS, {"from": governance})


def test_self_treasury_reverts(parameters, governance):
    with brownie.reverts("parameters: treasury is this contract"):
        parameters.set_treasury(parameters, {"from": governance})


def test_not_owner_reverts(parameters, stranger):
    with brownie.reverts("ownable_2step: caller is not the owner"):
        parameters.set_treasury(stranger, {"from": stranger})


def test_attack_treasury_is_protocol_contract(parameters, governance, registry, stake_manager, token, stranger):
    """Every contract of the deployment answers PARAMETERS() with this store:
    none of them can be the treasury (slashes sent there would be stuck or
    break its accounting). Other contracts and accounts can."""
    for contract in (registry, stake_manager):
        assert contract.PARAMETERS() == parameters
        with brownie.reverts("parameters: treasury is a protocol contract"):
            parameters.set_treasury(contract, {"from": governance})
    parameters.set_treasury(token, {"from": governance})  # no PARAMETERS(): allowed here, refused at claim
    assert parameters.treasury() == token
    parameters.set_treasury(stranger, {"from": governance})
    assert parameters.treasury() == stranger


def test_contract_of_another_deployment_allowed(Parameters, StakeManager, parameters, governance, token):
    other = StakeManager.deploy(token, Parameters.deploy(governance, {"from": governance}), {"from": governance})
    parameters.set_treasury(other, {"from": governance})
    assert parameters.treasury() == other
