"""TaskRegistry constructor and wire: the dispute game is set once."""

import brownie


def test_wired(registry, dispute_game, token, parameters, stake_manager):
    assert registry.wired()
    assert registry.dispute_game() == dispute_game
    assert registry.TOKEN() == token
    assert registry.PARAMETERS() == parameters
    assert registry.STAKE_MANAGER() == stake_manager


def test_wire_twice_reverts(registry, governance, stranger):
    with brownie.reverts("task_registry: already wired"):
        registry.wire(stranger, {"from": governance})


def test_wire_not_deployer_reverts(
    TaskRegistry, token, parameters, stake_manager, governance, stranger
):
    fresh = TaskRegistry.deploy(token, parameters, stake_manager, {"from": governance})
    with brownie.reverts("task_registry: caller is not the deployer"):
        fresh.wire(stranger, {"from": stranger})
    tx = fresh.wire(stranger, {"from": governance})
    assert tx.events["DisputeGameWired"]["dispute_game"] == stranger


def test_constructor_checks(TaskRegistry, token, parameters, stake_manager, governance, stranger):
    with brownie.reverts("task_registry: token is not a contract"):
        TaskRegistry.deploy(stranger, parameters, stake_manager, {"from": governance})
    with brownie.reverts("task_registry: zero parameters"):
        TaskRegistry.deploy(token, brownie.ZERO_ADDRESS, stake_manager, {"from": governance})
    with brownie.reverts("task_registry: zero stake manager"):
        TaskRegistry.deploy(token, parameters, brownie.ZERO_ADDRESS, {"from": governance})
