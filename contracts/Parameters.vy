# pragma version ^0.4.3
# pragma nonreentrancy on
"""
@title Protocol parameters and governance
@license MIT
@notice One place for every tunable number of the protocol. Each parameter
        has hard bounds, checked on every change, and every change emits
        `ParameterChanged`. The owner (a multisig or timelock in production)
        moves in two steps and can pause new work. Nothing here holds or
        moves funds, and no other contract lets the owner decide an outcome.
@custom:security Relations between parameters are re-checked on every
        change: min <= max for periods, the two slash shares sum to at most
        100 %, and the unbonding delay exceeds the longest possible dispute
        opened at the end of a challenge window, counted from the commit
        (verification_window + 2 * reveal_window + challenge_window
        + MAX_DISPUTE_PERIODS * dispute_move_deadline, a bound the
        dispute game guarantees structurally: DisputeGame.MAX_DISPUTE_PERIODS).
"""

from .modules import ownable_2step
from .modules import pausable

initializes: ownable_2step
initializes: pausable

exports: (
    ownable_2step.owner,
    ownable_2step.pending_owner,
    ownable_2step.transfer_ownership,
    ownable_2step.accept_ownership,
    pausable.paused,
)


# ---------------------------------------------------------------- EVENTS ----

# @dev A numeric parameter changed from `old_value` to `new_value`.
event ParameterChanged:
    governance: indexed(address)
    name: String[32]
    old_value: uint256
    new_value: uint256


# @dev The treasury that receives slash shares and fees changed.
event TreasuryChanged:
    governance: indexed(address)
    old_treasury: indexed(address)
    new_treasury: indexed(address)


# ------------------------------------------------------------- CONSTANTS ----

# @dev Basis-point denominator (100 %).
BPS: constant(uint256) = 10_000
# @dev Parts-per-million denominator.
PPM: constant(uint256) = 1_000_000
# @dev Most steps one verifier may be asked to sample.
MAX_SAMPLES: constant(uint256) = 16
# @dev Largest stake or bond any parameter may require (token base units).
MAX_AMOUNT: constant(uint256) = 10**36

MINUTE: constant(uint256) = 60
HOUR: constant(uint256) = 3_600
DAY: constant(uint256) = 86_400


# --------------------------------------------------------------- STORAGE ----

# @dev Smallest stake a solver may lock on a task.
min_solver_stake: public(uint256)
# @dev Smallest stake a verifier must bond to attest.
min_verifier_stake: public(uint256)
# @dev Bond a challenger posts to open a dispute.
challenger_bond: public(uint256)
# @dev Seconds between `request_unbond` and `withdraw`.
unbonding_delay: public(uint256)
# @dev Move deadlines one dispute can span at most (DisputeGame.MAX_DISPUTE_PERIODS,
#      from the field widths: 6 + 36 + 16 + 61 + 29).
MAX_DISPUTE_PERIODS: public(constant(uint256)) = 148
# @dev Seconds each party has for one dispute move.
dispute_move_deadline: public(uint256)
# @dev Bounds on the claim period a submitter may choose (seconds).
min_claim_period: public(uint256)
max_claim_period: public(uint256)
# @dev Bounds on the solve period a submitter may choose (seconds).
min_solve_period: public(uint256)
max_solve_period: public(uint256)
# @dev Seconds after a commit during which disputes may be opened.
challenge_window: public(uint256)
# @dev Share of a slashed solver stake paid to the winning challenger (bps).
slash_challenger_bps: public(uint256)
# @dev Share of any slash paid to the treasury (bps).
slash_treasury_bps: public(uint256)
# @dev Share of the locked stake slashed when a solver misses its deadline (bps).
expiry_slash_bps: public(uint256)
# @dev Share of each task's payment reserved for verification (bps).
verification_fee_bps: public(uint256)
# @dev Probability that a task is a forced-error task (ppm).
forced_error_rate_ppm: public(uint256)
# @dev Seconds after a commit during which verifiers join, commit attestations and flag.
verification_window: public(uint256)
# @dev Seconds for verifiers to reveal attestations, and then for the solver to reveal its secret.
reveal_window: public(uint256)
# @dev Steps each verifier samples (at most 16).
sample_count: public(uint256)
# @dev Share of each verification fee that goes to the forced-error jackpot (bps).
jackpot_share_bps: public(uint256)
# @dev Receiver of the treasury shares (the jackpot).
treasury: public(address)


# ----------------------------------------------------------- CONSTRUCTOR ----

@deploy
def __init__(treasury: address):
    """
    @dev Sets every parameter to its default; the deployer becomes owner.
    @param treasury Receiver of treasury shares and fees.
    """
    ownable_2step.__init__()
    assert treasury != empty(address), "parameters: zero treasury"
    self.treasury = treasury
    self.min_solver_stake = 100 * 10**18
    self.min_verifier_stake = 10 * 10**18
    self.challenger_bond = 10 * 10**18
    self.unbonding_delay = 14 * DAY
    self.dispute_move_deadline = HOUR
    self.min_claim_period = 10 * MINUTE
    self.max_claim_period = 7 * DAY
    self.min_solve_period = HOUR
    self.max_solve_period = 30 * DAY
    self.challenge_window = DAY
    self.slash_challenger_bps = 5_000
    self.slash_treasury_bps = 2_000
    self.expiry_slash_bps = 1_000
    self.verification_fee_bps = 500
    self.forced_error_rate_ppm = 10_000
    self.verification_window = 6 * HOUR
    self.reveal_window = 3 * HOUR
    self.sample_count = 4
    self.jackpot_share_bps = 2_000
    self._check_relations()


# -------------------------------------------------------------- EXTERNAL ----

@external
def set_parameter(name: String[32], new_value: uint256):
    """
    @dev Changes one numeric parameter, within its hard bounds and keeping
         the relations between parameters. Owner only.
    @param name The parameter's name, as its getter is named.
    @param new_value The new value.
    """
    ownable_2step._check_owner()
    key: bytes32 = keccak256(name)
    lo: uint256 = 0
    hi: uint256 = 0
    lo, hi = self._bounds(key)
    self._check_bounds(new_value, lo, hi)
    old_value: uint256 = 0
    if key == keccak256("min_solver_stake"):
        old_value = self.min_solver_stake
        self.min_solver_stake = new_value
    elif key == keccak256("min_verifier_stake"):
        old_value = self.min_verifier_stake
        self.min_verifier_stake = new_value
    elif key == keccak256("challenger_bond"):
        old_value = self.challenger_bond
        self.challenger_bond = new_value
    elif key == keccak256("unbonding_delay"):
        old_value = self.unbonding_delay
        self.unbonding_delay = new_value
    elif key == keccak256("dispute_move_deadline"):
        old_value = self.dispute_move_deadline
        self.dispute_move_deadline = new_value
    elif key == keccak256("min_claim_period"):
        old_value = self.min_claim_period
        self.min_claim_period = new_value
    elif key == keccak256("max_claim_period"):
        old_value = self.max_claim_period
        self.max_claim_period = new_value
    elif key == keccak256("min_solve_period"):
        old_value = self.min_solve_period
        self.min_solve_period = new_value
    elif key == keccak256("max_solve_period"):
        old_value = self.max_solve_period
        self.max_solve_period = new_value
    elif key == keccak256("challenge_window"):
        old_value = self.challenge_window
        self.challenge_window = new_value
    elif key == keccak256("slash_challenger_bps"):
        old_value = self.slash_challenger_bps
        self.slash_challenger_bps = new_value
    elif key == keccak256("slash_treasury_bps"):
        old_value = self.slash_treasury_bps
        self.slash_treasury_bps = new_value
    elif key == keccak256("expiry_slash_bps"):
        old_value = self.expiry_slash_bps
        self.expiry_slash_bps = new_value
    elif key == keccak256("verification_fee_bps"):
        old_value = self.verification_fee_bps
        self.verification_fee_bps = new_value
    elif key == keccak256("forced_error_rate_ppm"):
        old_value = self.forced_error_rate_ppm
        self.forced_error_rate_ppm = new_value
    elif key == keccak256("verification_window"):
        old_value = self.verification_window
        self.verification_window = new_value
    elif key == keccak256("reveal_window"):
        old_value = self.reveal_window
        self.reveal_window = new_value
    elif key == keccak256("sample_count"):
        old_value = self.sample_count
        self.sample_count = new_value
    elif key == keccak256("jackpot_share_bps"):
        old_value = self.jackpot_share_bps
        self.jackpot_share_bps = new_value
    else:
        raise "parameters: unknown parameter"
    self._check_relations()
    log ParameterChanged(
        governance=msg.sender, name=name, old_value=old_value, new_value=new_value
    )


@view
@external
def bounds(name: String[32]) -> (uint256, uint256):
    """
    @notice The hard bounds (lowest, highest) of a numeric parameter.
    @dev set_parameter reverts outside them; governance tools check a new
         value against them before sending. Reverts on an unknown name.
    @param name The parameter's name, as its getter is named.
    @return The lowest and the highest value set_parameter accepts.
    """
    return self._bounds(keccak256(name))


@external
def pause():
    """
    @dev Stops `create_task` and `claim_task` (nothing else). Owner only.
    """
    ownable_2step._check_owner()
    pausable._pause()


@external
def unpause():
    """
    @dev Allows new tasks and claims again. Owner only.
    """
    ownable_2step._check_owner()
    pausable._unpause()


@external
def set_treasury(new_treasury: address):
    """
    @dev Changes the receiver of treasury shares. Owner only. Tasks
         already claimed keep the treasury fixed at their claim.
    @param new_treasury The new treasury; not empty, not this contract,
           not a protocol contract of this deployment (one whose
           `PARAMETERS()` is this contract: registry, stake manager,
           dispute game, verifier pool).
    """
    ownable_2step._check_owner()
    assert new_treasury != empty(address), "parameters: zero treasury"
    assert new_treasury != self, "parameters: treasury is this contract"
    assert not self._is_protocol(new_treasury), "parameters: treasury is a protocol contract"
    old_treasury: address = self.treasury
    self.treasury = new_treasury
    log TreasuryChanged(
        governance=msg.sender, old_treasury=old_treasury, new_treasury=new_treasury
    )


@view
@external
def longest_dispute() -> uint256:
    """
    @dev The longest a dispute can last, counted from the commit of a
         result: the incentive phases (verification window, verifier
         reveals, solver secret reveal), then the challenge window, then a
         dispute opened at its last second and played to its last round:
         verification_window + 2 * reveal_window + challenge_window
         + MAX_DISPUTE_PERIODS * dispute_move_deadline.
    @return Seconds.
    """
    return self._longest_dispute()


# -------------------------------------------------------------- INTERNAL ----

@view
@internal
def _is_protocol(account: address) -> bool:
    """
    @dev True when `account` is a contract that answers `PARAMETERS()` with
         this contract: every contract of the deployment does.
    """
    if not account.is_contract:
        return False
    ok: bool = False
    res: Bytes[32] = b""
    ok, res = raw_call(
        account,
        method_id("PARAMETERS()"),
        max_outsize=32,
        is_static_call=True,
        revert_on_failure=False,
    )
    return ok and len(res) == 32 and convert(convert(res, bytes32), address) == self


@pure
@internal
def _bounds(key: bytes32) -> (uint256, uint256):
    """
    @dev The hard bounds of the parameter whose name hashes to `key`.
    """
    if key == keccak256("min_solver_stake"):
        return 1, MAX_AMOUNT
    elif key == keccak256("min_verifier_stake"):
        return 1, MAX_AMOUNT
    elif key == keccak256("challenger_bond"):
        return 1, MAX_AMOUNT
    elif key == keccak256("unbonding_delay"):
        return DAY, 365 * DAY
    elif key == keccak256("dispute_move_deadline"):
        return 5 * MINUTE, 2 * DAY
    elif key == keccak256("min_claim_period"):
        return MINUTE, 30 * DAY
    elif key == keccak256("max_claim_period"):
        return MINUTE, 30 * DAY
    elif key == keccak256("min_solve_period"):
        return MINUTE, 90 * DAY
    elif key == keccak256("max_solve_period"):
        return MINUTE, 90 * DAY
    elif key == keccak256("challenge_window"):
        return 10 * MINUTE, 30 * DAY
    elif key == keccak256("slash_challenger_bps"):
        return 0, BPS
    elif key == keccak256("slash_treasury_bps"):
        return 0, BPS
    elif key == keccak256("expiry_slash_bps"):
        return 0, BPS
    elif key == keccak256("verification_fee_bps"):
        return 0, 3_000
    elif key == keccak256("forced_error_rate_ppm"):
        return 0, PPM // 10
    elif key == keccak256("verification_window"):
        return 10 * MINUTE, 7 * DAY
    elif key == keccak256("reveal_window"):
        return 10 * MINUTE, 7 * DAY
    elif key == keccak256("sample_count"):
        return 1, MAX_SAMPLES
    elif key == keccak256("jackpot_share_bps"):
        return 0, BPS
    raise "parameters: unknown parameter"


@pure
@internal
def _check_bounds(x: uint256, lo: uint256, hi: uint256):
    """
    @dev Reverts unless lo <= x <= hi.
    """
    assert x >= lo, "parameters: value below bound"
    assert x <= hi, "parameters: value above bound"


@view
@internal
def _longest_dispute() -> uint256:
    return (
        self.verification_window
        + 2 * self.reveal_window
        + self.challenge_window
        + MAX_DISPUTE_PERIODS * self.dispute_move_deadline
    )


@view
@internal
def _check_relations():
    """
    @dev Reverts when a change would break a relation between parameters.
    """
    assert self.min_claim_period <= self.max_claim_period, "parameters: claim period bounds crossed"
    assert self.min_solve_period <= self.max_solve_period, "parameters: solve period bounds crossed"
    assert (
        self.slash_challenger_bps + self.slash_treasury_bps <= BPS
    ), "parameters: slash shares exceed 100%"
    assert (
        self.unbonding_delay > self._longest_dispute()
    ), "parameters: unbonding delay not above longest dispute"
