"""Parameters.set_parameter: every parameter, its bounds, the relations
between parameters, the event, and the owner check."""

import brownie
import pytest

MINUTE, HOUR, DAY = 60, 3_600, 86_400

# name -> (lowest allowed, highest allowed), as documented in docs/protocol.md
BOUNDS = {
    "min_solver_stake": (1, 10**36),
    "min_verifier_stake": (1, 10**36),
    "challenger_bond": (1, 10**36),
    "unbonding_delay": (DAY, 365 * DAY),
    "dispute_move_deadline": (5 * MINUTE, 2 * DAY),
    "min_claim_period": (MINUTE, 30 * DAY),
    "max_claim_period": (MINUTE, 30 * DAY),
    "min_solve_period": (MINUTE, 90 * DAY),
    "max_solve_period": (MINUTE, 90 * DAY),
    "challenge_window": (10 * MINUTE, 30 * DAY),
    "slash_challenger_bps": (0, 10_000),
    "slash_treasury_bps": (0, 10_000),
    "expiry_slash_bps": (0, 10_000),
    "verification_fee_bps": (0, 3_000),
    "forced_error_rate_ppm": (0, 100_000),
    "verification_window": (10 * MINUTE, 7 * DAY),
    "reveal_window": (10 * MINUTE, 7 * DAY),
    "sample_count": (1, 16),
    "jackpot_share_bps": (0, 10_000),
}


def _make_room(parameters, governance, name):
    """Relaxes the relations so that a bound alone decides."""
    if name in ("dispute_move_deadline", "challenge_window",
                "verification_window", "reveal_window"):
        parameters.set_parameter("unbonding_delay", 365 * DAY, {"from": governance})
        parameters.set_parameter("challenge_window", 10 * MINUTE, {"from": governance})
        parameters.set_parameter("dispute_move_deadline", 5 * MINUTE, {"from": governance})
    if name == "unbonding_delay":  # a one-day delay must exceed the longest dispute (148 periods)
        parameters.set_parameter("challenge_window", 10 * MINUTE, {"from": governance})
        parameters.set_parameter("dispute_move_deadline", 5 * MINUTE, {"from": governance})
        parameters.set_parameter("verification_window", 10 * MINUTE, {"from": governance})
        parameters.set_parameter("reveal_window", 10 * MINUTE, {"from": governance})
    if name in ("min_claim_period", "max_claim_period"):
        parameters.set_parameter("max_claim_period", 30 * DAY, {"from": governance})
        parameters.set_parameter("min_claim_period", MINUTE, {"from": governance})
    if name in ("min_solve_period", "max_solve_period"):
        parameters.set_parameter("max_solve_period", 90 * DAY, {"from": governance})
        parameters.set_parameter("min_solve_period", MINUTE, {"from": governance})
    if name in ("slash_challenger_bps", "slash_treasury_bps"):
        other = "slash_treasury_bps" if name == "slash_challenger_bps" else "slash_challenger_bps"
        parameters.set_parameter(other, 0, {"from": governance})


@pytest.mark.parametrize("name", sorted(BOUNDS))
def test_bounds_accepted_and_event(parameters, governance, name):
    lo, hi = BOUNDS[name]
    _make_room(parameters, governance, name)
    for value in (lo, hi):
        if name == "max_claim_period" and value < parameters.min_claim_period():
            continue
        if name == "max_solve_period" and value < parameters.min_solve_period():
            continue
        old = getattr(parameters, name)()
        tx = parameters.set_parameter(name, value, {"from": governance})
        assert getattr(parameters, name)() == value
        event = tx.events["ParameterChanged"]
        assert event["governance"] == governance
        assert event["name"] == name
        assert event["old_value"] == old
        assert event["new_value"] == value


@pytest.mark.parametrize("name", sorted(BOUNDS))
def test_past_bounds_revert(parameters, governance, name):
    lo, hi = BOUNDS[name]
    if lo > 0:
        with brownie.reverts("parameters: value below bound"):
            parameters.set_parameter(name, lo - 1, {"from": governance})
    with brownie.reverts("parameters: value above bound"):
        parameters.set_parameter(name, hi + 1, {"from": governance})


def test_unknown_name_reverts(parameters, governance):
    with brownie.reverts("parameters: unknown parameter"):
        parameters.set_parameter("treasury", 1, {"from": governance})


def test_not_owner_reverts(parameters, stranger):
    with brownie.reverts("ownable_2step: caller is not the owner"):
        parameters.set_parameter("challenge_window", HOUR, {"from": stranger})


def test_claim_bounds_cannot_cross(parameters, governance):
    with brownie.reverts("parameters: claim period bounds crossed"):
        parameters.set_parameter("min_claim_period", 8 * DAY, {"from": governance})
    with brownie.reverts("parameters: claim period bounds crossed"):
        parameters.set_parameter("max_claim_period", 5 * MINUTE, {"from": governance})


def test_solve_bounds_cannot_cross(parameters, governance):
    with brownie.reverts("parameters: solve period bounds crossed"):
        parameters.set_parameter("min_solve_period", 31 * DAY, {"from": governance})
    with brownie.reverts("parameters: solve period bounds crossed"):
        parameters.set_parameter("max_solve_period", 30 * MINUTE, {"from": governance})


def test_slash_shares_cannot_exceed_whole(parameters, governance):
    parameters.set_parameter("slash_challenger_bps", 8_000, {"from": governance})
    with brownie.reverts("parameters: slash shares exceed 100%"):
        parameters.set_parameter("slash_treasury_bps", 2_001, {"from": governance})
    parameters.set_parameter("slash_treasury_bps", 2_000, {"from": governance})
    assert parameters.slash_challenger_bps() + parameters.slash_treasury_bps() == 10_000


def test_unbonding_delay_must_exceed_longest_dispute(parameters, governance):
    longest = parameters.longest_dispute()
    with brownie.reverts("parameters: unbonding delay not above longest dispute"):
        parameters.set_parameter("unbonding_delay", max(longest, DAY), {"from": governance})
    parameters.set_parameter("unbonding_delay", longest + 1, {"from": governance})
    # raising a dispute term past the delay is refused too
    with brownie.reverts("parameters: unbonding delay not above longest dispute"):
        parameters.set_parameter("dispute_move_deadline", 2 * HOUR, {"from": governance})
    assert not hasattr(parameters, "max_dispute_rounds")  # replaced by a structural bound
    with brownie.reverts("parameters: unbonding delay not above longest dispute"):
        parameters.set_parameter("challenge_window", DAY + 1, {"from": governance})


def test_bounds_view_matches_the_enforced_bounds(parameters):
    """The bounds view (what governance tools check off chain) is the table
    set_parameter enforces, for every parameter."""
    assert {name: tuple(parameters.bounds(name)) for name in BOUNDS} == BOUNDS
    with brownie.reverts("parameters: unknown parameter"):
        parameters.bounds("no_such_parameter")
