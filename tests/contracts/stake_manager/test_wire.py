"""StakeManager constructor and wire: one-shot operator allow-list."""

import brownie


def test_wired_operators(stake_manager, registry, dispute_game, stranger):
    assert stake_manager.wired()
    assert stake_manager.registry() == registry
    assert stake_manager.dispute_game() == dispute_game
    assert stake_manager.is_operator(registry)
    assert stake_manager.is_operator(dispute_game)
    assert not stake_manager.is_operator(stranger)
    assert not stake_manager.is_operator(brownie.ZERO_ADDRESS)


def test_wire_twice_reverts(stake_manager, registry, governance, stranger):
    with brownie.reverts("stake_manager: already wired"):
        stake_manager.wire(registry, stranger, {"from": governance})


def test_wire_not_deployer_reverts(StakeManager, token, parameters, governance, stranger):
    fresh = StakeManager.deploy(token, parameters, {"from": governance})
    with brownie.reverts("stake_manager: caller is not the deployer"):
        fresh.wire(stranger, stranger, {"from": stranger})


def test_wire_zero_registry_reverts(StakeManager, token, parameters, governance, stranger):
    fresh = StakeManager.deploy(token, parameters, {"from": governance})
    with brownie.reverts("stake_manager: zero registry"):
        fresh.wire(brownie.ZERO_ADDRESS, stranger, {"from": governance})


def test_wire_event_and_no_dispute_game(StakeManager, token, parameters, governance, stranger):
    fresh = StakeManager.deploy(token, parameters, {"from": governance})
    tx = fresh.wire(stranger, brownie.ZERO_ADDRESS, {"from": governance})
    assert tx.events["OperatorsWired"]["registry"] == stranger
    assert tx.events["OperatorsWired"]["dispute_game"] == brownie.ZERO_ADDRESS
    assert fresh.is_operator(stranger)
    assert not fresh.is_operator(brownie.ZERO_ADDRESS)


def test_constructor_rejects_non_contract_token(StakeManager, parameters, governance, stranger):
    with brownie.reverts("stake_manager: token is not a contract"):
        StakeManager.deploy(stranger, parameters, {"from": governance})


def test_constructor_rejects_zero_parameters(StakeManager, token, governance):
    with brownie.reverts("stake_manager: zero parameters"):
        StakeManager.deploy(token, brownie.ZERO_ADDRESS, {"from": governance})
