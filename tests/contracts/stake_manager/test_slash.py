"""StakeManager.slash: from the task lock, then free, then unbonding."""

import brownie

E18 = 10**18


def test_slash_from_lock(stake_manager, funded, bonded, solver, dispute_game, treasury, challenger):
    stake_manager.lock(solver, 9, 100 * E18, {"from": dispute_game})
    t0, c0 = funded.balanceOf(treasury), funded.balanceOf(challenger)
    tx = stake_manager.slash(
        solver, 9, [challenger, treasury], [60 * E18, 40 * E18], {"from": dispute_game}
    )
    assert tx.return_value == 100 * E18
    assert funded.balanceOf(challenger) == c0 + 60 * E18
    assert funded.balanceOf(treasury) == t0 + 40 * E18
    assert stake_manager.locked_for_task(solver, 9) == 0
    assert stake_manager.locked(solver) == 0
    assert stake_manager.bonded(solver) == 100 * E18
    assert stake_manager.total_bonded() == 100 * E18
    assert [e["amount"] for e in tx.events["StakeSlashed"]] == [60 * E18, 40 * E18]
    assert tx.events["StakeSlashed"][0]["recipient"] == challenger


def test_slash_reaches_unbonding(stake_manager, funded, bonded, solver, dispute_game, treasury):
    stake_manager.lock(solver, 9, 50 * E18, {"from": dispute_game})
    stake_manager.request_unbond(150 * E18, {"from": solver})
    # lock 50, free 0, unbonding 150
    stake_manager.slash(solver, 9, [treasury], [120 * E18], {"from": dispute_game})
    assert stake_manager.bonded(solver) == 0
    assert stake_manager.locked(solver) == 0
    assert stake_manager.unbonding(solver) == 80 * E18
    assert stake_manager.total_unbonding() == 80 * E18
    assert funded.balanceOf(stake_manager) == 80 * E18


def test_other_task_lock_untouched(stake_manager, bonded, solver, dispute_game, treasury):
    stake_manager.lock(solver, 1, 150 * E18, {"from": dispute_game})
    stake_manager.lock(solver, 2, 50 * E18, {"from": dispute_game})
    with brownie.reverts("stake_manager: slash exceeds stake"):
        stake_manager.slash(solver, 2, [treasury], [50 * E18 + 1], {"from": dispute_game})
    stake_manager.slash(solver, 2, [treasury], [50 * E18], {"from": dispute_game})
    assert stake_manager.locked_for_task(solver, 1) == 150 * E18


def test_more_than_stake_reverts(stake_manager, bonded, solver, dispute_game, treasury):
    with brownie.reverts("stake_manager: slash exceeds stake"):
        stake_manager.slash(solver, 1, [treasury], [200 * E18 + 1], {"from": dispute_game})


def test_stranger_reverts(stake_manager, bonded, solver, stranger):
    with brownie.reverts("stake_manager: caller is not an operator"):
        stake_manager.slash(solver, 1, [stranger], [1], {"from": stranger})


def test_zero_total_reverts(stake_manager, bonded, solver, dispute_game, treasury):
    with brownie.reverts("stake_manager: zero amount"):
        stake_manager.slash(solver, 1, [treasury], [0], {"from": dispute_game})


def test_length_mismatch_reverts(stake_manager, bonded, solver, dispute_game, treasury):
    with brownie.reverts("stake_manager: length mismatch"):
        stake_manager.slash(solver, 1, [treasury, solver], [1], {"from": dispute_game})


def test_zero_recipient_reverts(stake_manager, bonded, solver, dispute_game):
    with brownie.reverts("stake_manager: zero recipient"):
        stake_manager.slash(solver, 1, [brownie.ZERO_ADDRESS], [1], {"from": dispute_game})


def test_failing_token_reverts(stake_manager, funded, bonded, solver, dispute_game, treasury):
    funded.set_fail_mode(2, {"from": solver})
    with brownie.reverts("stake_manager: token transfer failed"):
        stake_manager.slash(solver, 1, [treasury], [1], {"from": dispute_game})


def test_attack_slash_pays_the_staker(stake_manager, bonded, solver, dispute_game, treasury):
    """A slash that returns a share to the staker itself is no slash (an
    operator bug or a self-report would let the staker recover its stake)."""
    stake_manager.lock(solver, 9, 100 * E18, {"from": dispute_game})
    with brownie.reverts("stake_manager: slash pays the staker"):
        stake_manager.slash(solver, 9, [treasury, solver], [50 * E18, 50 * E18], {"from": dispute_game})
    # a zero share to the staker moves nothing and is skipped
    tx = stake_manager.slash(solver, 9, [treasury, solver], [50 * E18, 0], {"from": dispute_game})
    assert tx.return_value == 50 * E18
