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
