"""Parameters constructor: defaults, owner, relations, zero treasury."""

import brownie

DAY = 86_400


def test_owner_is_deployer(parameters, governance):
    assert parameters.owner() == governance
    assert parameters.pending_owner() == brownie.ZERO_ADDRESS
    assert not parameters.paused()


def test_treasury_set(parameters, treasury):
    assert parameters.treasury() == treasury


def test_defaults_keep_relations(parameters):
    assert parameters.min_claim_period() <= parameters.max_claim_period()
    assert parameters.min_solve_period() <= parameters.max_solve_period()
    assert parameters.slash_challenger_bps() + parameters.slash_treasury_bps() <= 10_000
    longest = (
        parameters.verification_window()
        + 2 * parameters.reveal_window()
        + parameters.challenge_window()
        + parameters.MAX_DISPUTE_PERIODS() * parameters.dispute_move_deadline()
    )
    assert parameters.longest_dispute() == longest
    assert parameters.unbonding_delay() > longest
    assert parameters.unbonding_delay() == 14 * DAY


def test_zero_treasury_reverts(Parameters, governance):
    with brownie.reverts("parameters: zero treasury"):
        Parameters.deploy(brownie.ZERO_ADDRESS, {"from": governance})
