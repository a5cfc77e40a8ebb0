"""StakeManager.bond."""

import brownie

E18 = 10**18


def test_bond_pulls_and_records(stake_manager, funded, solver):
    before = funded.balanceOf(solver)
    tx = stake_manager.bond(50 * E18, {"from": solver})
    assert funded.balanceOf(solver) == before - 50 * E18
    assert funded.balanceOf(stake_manager) == 50 * E18
    assert stake_manager.bonded(solver) == 50 * E18
    assert stake_manager.free_stake(solver) == 50 * E18
    assert stake_manager.total_bonded() == 50 * E18
    assert tx.events["StakeBonded"]["staker"] == solver
    assert tx.events["StakeBonded"]["amount"] == 50 * E18


def test_bond_adds_up(stake_manager, funded, solver):
    stake_manager.bond(1, {"from": solver})
    stake_manager.bond(2, {"from": solver})
    assert stake_manager.bonded(solver) == 3


def test_zero_amount_reverts(stake_manager, funded, solver):
    with brownie.reverts("stake_manager: zero amount"):
        stake_manager.bond(0, {"from": solver})


def test_without_allowance_reverts(stake_manager, token, stranger):
    token.mint(stranger, 10, {"from": stranger})
    with brownie.reverts("stake_manager: token transfer failed"):
        stake_manager.bond(10, {"from": stranger})


def test_token_returning_false_reverts(stake_manager, funded, solver):
    funded.set_fail_mode(1, {"from": solver})
    with brownie.reverts("stake_manager: token transfer failed"):
        stake_manager.bond(10, {"from": solver})


def test_token_reverting_reverts(stake_manager, funded, solver):
    funded.set_fail_mode(2, {"from": solver})
    with brownie.reverts("stake_manager: token transfer failed"):
        stake_manager.bond(10, {"from": solver})
