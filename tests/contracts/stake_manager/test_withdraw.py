"""StakeManager.withdraw: after the delay, the whole unbonding balance."""

import brownie

E18 = 10**18


def test_withdraw_after_delay(stake_manager, parameters, bonded, solver, chain):
    stake_manager.request_unbond(40 * E18, {"from": solver})
    chain.sleep(parameters.unbonding_delay() + 1)
    chain.mine()
    tx = stake_manager.withdraw({"from": solver})
    assert tx.return_value == 40 * E18
    assert tx.events["StakeWithdrawn"]["staker"] == solver
    assert tx.events["StakeWithdrawn"]["amount"] == 40 * E18
    assert stake_manager.unbonding(solver) == 0
    assert stake_manager.total_unbonding() == 0


def test_withdraw_pays_tokens(stake_manager, parameters, funded, bonded, solver, chain):
    before = funded.balanceOf(solver)
    stake_manager.request_unbond(40 * E18, {"from": solver})
    chain.sleep(parameters.unbonding_delay() + 1)
    stake_manager.withdraw({"from": solver})
    assert funded.balanceOf(solver) == before + 40 * E18


def test_before_delay_reverts(stake_manager, parameters, bonded, solver, chain):
    stake_manager.request_unbond(40 * E18, {"from": solver})
    chain.sleep(parameters.unbonding_delay() - 100)
    with brownie.reverts("stake_manager: unbonding delay not passed"):
        stake_manager.withdraw({"from": solver})


def test_nothing_to_withdraw_reverts(stake_manager, bonded, solver):
    with brownie.reverts("stake_manager: nothing to withdraw"):
        stake_manager.withdraw({"from": solver})


def test_second_withdraw_reverts(stake_manager, parameters, bonded, solver, chain):
    stake_manager.request_unbond(1, {"from": solver})
    chain.sleep(parameters.unbonding_delay() + 1)
    stake_manager.withdraw({"from": solver})
    with brownie.reverts("stake_manager: nothing to withdraw"):
        stake_manager.withdraw({"from": solver})


def test_failing_token_reverts(stake_manager, parameters, funded, bonded, solver, chain):
    stake_manager.request_unbond(1, {"from": solver})
    chain.sleep(parameters.unbonding_delay() + 1)
    funded.set_fail_mode(1, {"from": solver})
    with brownie.reverts("stake_manager: token transfer failed"):
        stake_manager.withdraw({"from": solver})
    assert stake_manager.unbonding(solver) == 1
