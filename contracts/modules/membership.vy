# pragma version ^0.4.3
# pragma nonreentrancy on
"""
@title membership
@license MIT
@notice Who verifies a task of the verifier pool, and at what stake: the
        pool's wiring (token, parameters, stake manager, registry), each
        task's terms (the governance values fixed at its first join or
        registry hook, `_fix_terms`), the verifier stake bound
        (`_stake_for`, `_compatible`: lazy verification loses money), the
        provers' pot of a fee (`_pot`), the attestation and round records,
        and `_join`, which locks a joining verifier's stake.
@dev The bottom of VerifierPool's module chain: modules/sampling.vy
     initializes it, modules/attestations.vy initializes sampling,
     modules/rewards.vy initializes attestations, and VerifierPool
     `initializes: rewards` and `uses:` the others (each module then
     compiles on its own). The records (`Attestation`, `Round`) live here
     because joining writes both; the other modules write their fields.
@custom:security A task's terms are written once (`fixed`); governance
     cannot change them afterwards.
"""

from ethereum.ercs import IERC20


# ------------------------------------------------------------------
#                            INTERFACES
# ------------------------------------------------------------------

interface IParameters:
    def min_verifier_stake() -> uint256: view
    def sample_count() -> uint256: view
    def jackpot_share_bps() -> uint256: view
    def reveal_window() -> uint256: view


interface IStakeManager:
    def lock(staker: address, task_id: uint256, amount: uint256): nonpayable
    def unlock(staker: address, task_id: uint256, amount: uint256): nonpayable
    def locked_for_task(staker: address, task_id: uint256) -> uint256: view
    def slash(
        staker: address,
        task_id: uint256,
        recipients: DynArray[address, 4],
        amounts: DynArray[uint256, 4],
    ) -> uint256: nonpayable


interface ITaskRegistry:
    def get_task(task_id: uint256) -> Task: view
    def incentive(task_id: uint256) -> Incentive: view


# ------------------------------------------------------------------
#                              EVENTS
# ------------------------------------------------------------------

# @dev The governance values of a task were fixed (at its first join or hook).
event TermsFixed:
    task_id: indexed(uint256)
    stake: uint256
    samples: uint256
    reveal_window: uint256
    jackpot_share_bps: uint256
    rate_ppm: uint256


# @dev A verifier joined a task and locked `stake`.
event VerifierJoined:
    task_id: indexed(uint256)
    verifier: indexed(address)
    stake: uint256
    join_block: uint256


# ------------------------------------------------------------------
#                            CONSTANTS
# ------------------------------------------------------------------

# @dev Task statuses of the registry.
STATUS_COMMITTED: constant(uint8) = 3
STATUS_FINALIZED: constant(uint8) = 4
# @dev Basis-point denominator.
BPS: constant(uint256) = 10_000
# @dev Parts-per-million denominator (forced-error rate).
PPM: constant(uint256) = 1_000_000
# @dev Share of a reported verifier's slashed stake credited to the reporter:
#      small, so that a verifier reporting itself through another account
#      recovers at most this much of its own slash.
REPORT_BOUNTY_BPS: constant(uint256) = 1_000
# @dev The verifier stake of a task is at least STAKE_MARGIN times the stake
#      at which lazy verification breaks even (see `_stake_for`).
STAKE_MARGIN: constant(uint256) = 2


# ------------------------------------------------------------------
#                             STORAGE
# ------------------------------------------------------------------

# @dev Mirror of TaskRegistry.Task (ABI layout of get_task).
struct Task:
    submitter: address
    solver: address
    status: uint8
    open_disputes: uint32
    spec_hash: bytes32
    program_root: bytes32
    data_root: bytes32
    num_steps: uint64
    checkpoint_interval: uint64
    payment: uint256
    fee: uint256
    solver_stake: uint256
    claim_deadline: uint64
    solve_period: uint64
    solve_deadline: uint64
    challenge_window: uint64
    challenge_deadline: uint64
    run_root: bytes32
    final_model_hash: bytes32


# @dev Mirror of TaskRegistry.Incentive (ABI layout of incentive).
struct Incentive:
    secret_hash: bytes32
    rate_ppm: uint256
    claim_block: uint256
    claim_seed: bytes32
    attest_deadline: uint64
    reveal_deadline: uint64
    secret_deadline: uint64
    revealed: bool
    forced: bool
    first_root: bytes32


# @dev The governance values of one task, fixed once (`fixed`).
struct Terms:
    fixed: bool
    stake: uint256
    samples: uint256
    reveal_window: uint256
    jackpot_share_bps: uint256
    rate_ppm: uint256


# @dev One verifier's part in one task.
struct Attestation:
    stake: uint256
    join_block: uint256
    seed: bytes32
    commitment: bytes32
    flagged: bool
    revealed: bool
    proven: bool
    caught: bool
    settled: bool


# @dev Per-task counters and money.
struct Round:
    verifiers: uint256
    revealed: uint256
    flaggers: uint256
    provers: uint256
    catchers: uint256
    pot: uint256
    award: uint256
    reserved: uint256
    finalized_at: uint256
    forced: bool
    swept: bool


# @dev The stake and payment asset.
TOKEN: public(immutable(IERC20))
# @dev The parameter store.
PARAMETERS: public(immutable(IParameters))
# @dev The stake manager (the pool is one of its operators).
STAKE_MANAGER: public(immutable(IStakeManager))
# @dev The task registry (the only caller of the fee and forced-error hooks).
REGISTRY: public(immutable(ITaskRegistry))

# @dev Attestations by task and verifier.
attestations: HashMap[uint256, HashMap[address, Attestation]]
# @dev Per-task counters and money.
rounds: HashMap[uint256, Round]
# @dev Per-task governance values.
terms: HashMap[uint256, Terms]


# ------------------------------------------------------------------
#                           CONSTRUCTOR
# ------------------------------------------------------------------

@deploy
def __init__(
    token: IERC20, parameters: IParameters, stake_manager: IStakeManager, registry: ITaskRegistry
):
    """
    @param token The ERC-20 of stakes and payments.
    @param parameters The protocol parameter store.
    @param stake_manager The stake manager.
    @param registry The task registry.
    """
    TOKEN = token
    PARAMETERS = parameters
    STAKE_MANAGER = stake_manager
    REGISTRY = registry


# ------------------------------------------------------------------
#                             INTERNAL
# ------------------------------------------------------------------

@internal
def _join(task_id: uint256):
    """
    @dev The body of VerifierPool.join (its NatSpec says what it does).
    """
    task: Task = staticcall REGISTRY.get_task(task_id)
    inc: Incentive = staticcall REGISTRY.incentive(task_id)
    assert task.status == STATUS_COMMITTED, "verifier_pool: task not committed"
    assert block.timestamp <= convert(inc.attest_deadline, uint256), "verifier_pool: verification window closed"
    assert msg.sender != task.solver, "verifier_pool: solver cannot verify"
    assert msg.sender != task.submitter, "verifier_pool: submitter cannot verify"
    assert self.attestations[task_id][msg.sender].join_block == 0, "verifier_pool: already joined"
    terms: Terms = self._fix_terms(task_id, task.fee, inc.rate_ppm)
    assert self._compatible(
        terms.stake, self._pot(task.fee, terms.jackpot_share_bps, terms.rate_ppm), terms.rate_ppm
    ), "verifier_pool: stake below incentive bound"
    self.attestations[task_id][msg.sender].stake = terms.stake
    self.attestations[task_id][msg.sender].join_block = block.number
    self.rounds[task_id].verifiers += 1
    extcall STAKE_MANAGER.lock(msg.sender, task_id, terms.stake)
    log VerifierJoined(task_id=task_id, verifier=msg.sender, stake=terms.stake, join_block=block.number)


@view
@internal
def _verifier_stake(task_id: uint256) -> uint256:
    """
    @dev The body of VerifierPool.verifier_stake (its NatSpec says what it does).
    """
    if self.terms[task_id].fixed:
        return self.terms[task_id].stake
    return self._new_terms(
        (staticcall REGISTRY.get_task(task_id)).fee, (staticcall REGISTRY.incentive(task_id)).rate_ppm
    ).stake


@view
@internal
def _new_terms(fee: uint256, rate_ppm: uint256) -> Terms:
    jackpot_share_bps: uint256 = staticcall PARAMETERS.jackpot_share_bps()
    pot: uint256 = self._pot(fee, jackpot_share_bps, rate_ppm)
    return Terms(
        fixed=True,
        stake=self._stake_for(pot, rate_ppm, staticcall PARAMETERS.min_verifier_stake()),
        samples=staticcall PARAMETERS.sample_count(),
        reveal_window=staticcall PARAMETERS.reveal_window(),
        jackpot_share_bps=jackpot_share_bps,
        rate_ppm=rate_ppm,
    )


@internal
def _fix_terms(task_id: uint256, fee: uint256, rate_ppm: uint256) -> Terms:
    """
    @dev The task's terms, read from the parameters the first time (at the
         first join; at a registry hook when nobody joined, with rate and
         fee 0: the registry cannot be read during its own call, and
         without verifiers nothing depends on them).
    """
    terms: Terms = self.terms[task_id]
    if terms.fixed:
        return terms
    terms = self._new_terms(fee, rate_ppm)
    self.terms[task_id] = terms
    log TermsFixed(
        task_id=task_id,
        stake=terms.stake,
        samples=terms.samples,
        reveal_window=terms.reveal_window,
        jackpot_share_bps=terms.jackpot_share_bps,
        rate_ppm=terms.rate_ppm,
    )
    return terms


@pure
@internal
def _pot(fee: uint256, jackpot_share_bps: uint256, rate_ppm: uint256) -> uint256:
    """
    @dev The provers' pot of a fee; none without forced errors (nothing
         would punish a lazy verifier that collected it).
    """
    if rate_ppm == 0:
        return 0
    return fee - fee * jackpot_share_bps // BPS


@pure
@internal
def _stake_for(pot: uint256, rate_ppm: uint256, min_stake: uint256) -> uint256:
    if pot == 0 or rate_ppm >= PPM:
        return min_stake
    even: uint256 = (pot * (PPM - rate_ppm) + rate_ppm - 1) // rate_ppm
    return max(min_stake, STAKE_MARGIN * even)


@pure
@internal
def _compatible(stake: uint256, pot: uint256, rate_ppm: uint256) -> bool:
    """
    @dev p * (stake - bounty) > (1 - p) * pot, or nothing to gain (pot 0).
    """
    if pot == 0:
        return stake > 0
    if rate_ppm == 0:
        return False
    loss: uint256 = stake - stake * REPORT_BOUNTY_BPS // BPS
    return loss * rate_ppm > pot * (PPM - min(rate_ppm, PPM))
