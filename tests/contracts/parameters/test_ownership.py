"""Parameters two-step ownership: transfer_ownership and accept_ownership."""

import brownie


def test_transfer_starts_and_accept_completes(parameters, governance, stranger):
    tx = parameters.transfer_ownership(stranger, {"from": governance})
    assert tx.events["OwnershipTransferStarted"]["previous_owner"] == governance
    assert tx.events["OwnershipTransferStarted"]["new_owner"] == stranger
    assert parameters.owner() == governance
    assert parameters.pending_owner() == stranger

    tx = parameters.accept_ownership({"from": stranger})
    assert tx.events["OwnershipTransferred"]["previous_owner"] == governance
    assert tx.events["OwnershipTransferred"]["new_owner"] == stranger
    assert parameters.owner() == stranger
    assert parameters.pending_owner() == brownie.ZERO_ADDRESS


def test_old_owner_loses_power(parameters, governance, stranger):
    parameters.transfer_ownership(stranger, {"from": governance})
    parameters.accept_ownership({"from": stranger})
    with brownie.reverts("ownable_2step: caller is not the owner"):
        parameters.pause({"from": governance})
    parameters.pause({"from": stranger})
    assert parameters.paused()


def test_transfer_not_owner_reverts(parameters, stranger):
    with brownie.reverts("ownable_2step: caller is not the owner"):
        parameters.transfer_ownership(stranger, {"from": stranger})


def test_accept_by_other_reverts(parameters, governance, stranger, submitter):
    parameters.transfer_ownership(stranger, {"from": governance})
    with brownie.reverts("ownable_2step: caller is not the new owner"):
        parameters.accept_ownership({"from": submitter})


def test_accept_without_transfer_reverts(parameters, stranger):
    with brownie.reverts("ownable_2step: caller is not the new owner"):
        parameters.accept_ownership({"from": stranger})


def test_transfer_to_zero_cancels(parameters, governance, stranger):
    parameters.transfer_ownership(stranger, {"from": governance})
    parameters.transfer_ownership(brownie.ZERO_ADDRESS, {"from": governance})
    with brownie.reverts("ownable_2step: caller is not the new owner"):
        parameters.accept_ownership({"from": stranger})
    assert parameters.owner() == governance
