"""Parameters.pause and unpause: owner only, events, double calls."""

import brownie


def test_pause_and_unpause(parameters, governance):
    tx = parameters.pause({"from": governance})
    assert parameters.paused()
    assert tx.events["Paused"]["account"] == governance
    tx = parameters.unpause({"from": governance})
    assert not parameters.paused()
    assert tx.events["Unpaused"]["account"] == governance


def test_pause_not_owner_reverts(parameters, stranger):
    with brownie.reverts("ownable_2step: caller is not the owner"):
        parameters.pause({"from": stranger})


def test_unpause_not_owner_reverts(parameters, governance, stranger):
    parameters.pause({"from": governance})
    with brownie.reverts("ownable_2step: caller is not the owner"):
        parameters.unpause({"from": stranger})


def test_pause_twice_reverts(parameters, governance):
    parameters.pause({"from": governance})
    with brownie.reverts("pausable: already paused"):
        parameters.pause({"from": governance})


def test_unpause_when_running_reverts(parameters, governance):
    with brownie.reverts("pausable: not paused"):
        parameters.unpause({"from": governance})
