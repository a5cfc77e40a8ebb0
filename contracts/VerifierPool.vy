# pragma version ^0.4.3
# pragma nonreentrancy on
# pragma optimize codesize
"""
@title Verifier pool: attestations, verification fees and the forced-error jackpot
@license MIT
@notice The incentive layer of docs/protocol.md ("Incentives"). For each
        committed task, during the verification window a bonded verifier
        `join`s (the task's verifier stake is locked: `stake_for`, scaled
        with the task's fee so that lazy verification loses money), gets
        its samples (boundary indices of the run tree) from
        blockhash(join_block + 1) (`record_seed`, `sample_steps`), commits
        keccak256(abi_encode(task_id, verifier, values, salt)) of its
        boundary step roots S_b(i) (`commit_attestation`) and may
        `flag` the result as wrong. After the window it `reveal`s.

        Every governance value the pool uses is fixed per task at its first
        join (or at the fee / forced-error hook if nobody joined):
        `terms_of`. After finalization, during the report window R:

        - every revealing verifier may `prove` its values against the final
          run root (exact-height proofs); the pot is shared by the provers
          only (junk reveals do not dilute it);
        - forced-error task: a prover that flagged may `prove_mismatch`
          (one of its values differs from the committed wrong root's leaf
          at its sample); the task's award is shared by those catchers;
          anyone but the verifier itself may `report` a revealed value that
          differs from the true root: the verifier's stake is slashed, a
          REPORT_BOUNTY_BPS bounty to the reporter, the rest to the task's
          award (to the jackpot if nobody flagged).

        A forced task's award is only what that task brought in: its fee
        minus the pot, plus the slashes of its own attesters minus bounties.
        So pot + award + bounties <= fee + slashed stake of the task, and an
        actor that is submitter, solver and every verifier of a task never
        gets back more than it put in. After R, `settle` credits the fee and
        award shares, unlocks the stake or forfeits it (a flagger of a task
        finalized without a forced error); `claim_credit` pays out.
@custom:security Amounts owed (`total_reserved` for tasks, `total_credit`
        for claimable credits) never exceed the balance; the jackpot is the
        rest. No payment is pushed during settle or report: a recipient a
        token refuses only blocks its own `claim_credit`. Governance has no
        function here and cannot change a task's terms once fixed.
"""

from ethereum.ercs import IERC20
from .modules import merkle
from .modules import runtree


# ------------------------------------------------------------ INTERFACES ----

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


# ---------------------------------------------------------------- EVENTS ----

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


# @dev The verifier's sample seed blockhash(join_block + 1) was recorded.
event SeedRecorded:
    task_id: indexed(uint256)
    verifier: indexed(address)
    seed: bytes32


# @dev A verifier committed the hash of its sampled step roots.
event AttestationCommitted:
    task_id: indexed(uint256)
    verifier: indexed(address)
    commitment: bytes32


# @dev A verifier flagged the committed result as wrong.
event ResultFlagged:
    task_id: indexed(uint256)
    verifier: indexed(address)
    flaggers: uint256


# @dev A verifier revealed its sampled step roots.
event AttestationRevealed:
    task_id: indexed(uint256)
    verifier: indexed(address)
    values: DynArray[bytes32, MAX_SAMPLES]


# @dev A finalized task's fee arrived: `pot` for the provers, `award` for the
#      catchers of a forced error, the rest to the jackpot.
event FeeReceived:
    task_id: indexed(uint256)
    amount: uint256
    pot: uint256
    award: uint256
    to_jackpot: uint256


# @dev The solver revealed a forced error; `flaggers` may catch it after finalization.
event ForcedErrorCaught:
    task_id: indexed(uint256)
    flaggers: uint256


# @dev A verifier proved its revealed values against the final run root
#      (`caught`: and a mismatch with the committed wrong root).
event AttestationProved:
    task_id: indexed(uint256)
    verifier: indexed(address)
    caught: bool


# @dev A whistleblower showed that a verifier attested a wrong value.
event AttesterSlashed:
    task_id: indexed(uint256)
    verifier: indexed(address)
    whistleblower: indexed(address)
    amount: uint256
    bounty: uint256
    to_award: uint256


# @dev A verifier's part in a task ended: shares credited, stake unlocked or forfeited.
event VerifierSettled:
    task_id: indexed(uint256)
    verifier: indexed(address)
    fee_share: uint256
    award_share: uint256
    forfeited: uint256


# @dev Someone withdrew its credit.
event CreditClaimed:
    owner: indexed(address)
    receiver: indexed(address)
    amount: uint256


# @dev A task's unclaimed remainder returned to the jackpot.
event TaskSwept:
    task_id: indexed(uint256)
    caller: indexed(address)
    amount: uint256


# @dev Someone added tokens to the jackpot.
event JackpotFunded:
    funder: indexed(address)
    amount: uint256


# ------------------------------------------------------------- CONSTANTS ----

# @dev Task statuses of the registry.
STATUS_COMMITTED: constant(uint8) = 3
STATUS_FINALIZED: constant(uint8) = 4
# @dev Basis-point denominator.
BPS: constant(uint256) = 10_000
# @dev Parts-per-million denominator (forced-error rate).
PPM: constant(uint256) = 1_000_000
# @dev Most steps one verifier samples (Parameters bound).
MAX_SAMPLES: constant(uint256) = 16
# @dev Longest Merkle proof (trees of up to 2**32 leaves).
MAX_DEPTH: constant(uint256) = 32
# @dev Blocks whose hash the EVM still returns.
BLOCKHASH_WINDOW: constant(uint256) = 256
# @dev Share of a reported verifier's slashed stake credited to the reporter:
#      small, so that a verifier reporting itself through another account
#      recovers at most this much of its own slash.
REPORT_BOUNTY_BPS: public(constant(uint256)) = 1_000
# @dev The verifier stake of a task is at least STAKE_MARGIN times the stake
#      at which lazy verification breaks even (see `stake_for`).
STAKE_MARGIN: public(constant(uint256)) = 2


# --------------------------------------------------------------- STORAGE ----

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
# @dev The stake manager (this pool is one of its operators).
STAKE_MANAGER: public(immutable(IStakeManager))
# @dev The task registry (the only caller of the fee and forced-error hooks).
REGISTRY: public(immutable(ITaskRegistry))

# @dev Attestations by task and verifier.
attestations: HashMap[uint256, HashMap[address, Attestation]]
# @dev Revealed values by task and verifier.
revealed_values: HashMap[uint256, HashMap[address, DynArray[bytes32, MAX_SAMPLES]]]
# @dev Per-task counters and money.
rounds: HashMap[uint256, Round]
# @dev Per-task governance values.
terms: HashMap[uint256, Terms]
# @dev Sum over tasks of what is still owed to their verifiers.
total_reserved: public(uint256)
# @dev What each address may withdraw with `claim_credit`.
credit: public(HashMap[address, uint256])
# @dev Sum of all credits.
total_credit: public(uint256)


# ----------------------------------------------------------- CONSTRUCTOR ----

@deploy
def __init__(
    token: IERC20, parameters: IParameters, stake_manager: IStakeManager, registry: ITaskRegistry
):
    """
    @param token The ERC-20 of stakes and payments.
    @param parameters The protocol parameter store.
    @param stake_manager The stake manager (wires this pool as an operator).
    @param registry The task registry (wires this pool as its verifier pool).
    """
    assert token.address.is_contract, "verifier_pool: token is not a contract"
    assert parameters.address != empty(address), "verifier_pool: zero parameters"
    assert stake_manager.address != empty(address), "verifier_pool: zero stake manager"
    assert registry.address != empty(address), "verifier_pool: zero registry"
    TOKEN = token
    PARAMETERS = parameters
    STAKE_MANAGER = stake_manager
    REGISTRY = registry


# -------------------------------------------------------------- EXTERNAL ----

@external
def join(task_id: uint256):
    """
    @dev Joins the verification of a committed task during its verification
         window; locks the task's verifier stake (`terms_of(task_id).stake`,
         fixed at the first join) of the caller's free stake. The caller's
         samples come from the hash of the next block.
    @param task_id The task.
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


@external
def record_seed(task_id: uint256, verifier: address):
    """
    @dev Stores blockhash(join_block + 1), the verifier's sample seed, while
         the EVM still has it (256 blocks). Anyone may call it;
         `commit_attestation` does it too.
    @param task_id The task.
    @param verifier The verifier whose seed to record.
    """
    att: Attestation = self.attestations[task_id][verifier]
    assert att.join_block != 0, "verifier_pool: not joined"
    assert att.seed == empty(bytes32), "verifier_pool: seed already recorded"
    self._record_seed(task_id, verifier, att.join_block)


@external
def commit_attestation(task_id: uint256, commitment: bytes32):
    """
    @dev Commits keccak256(abi_encode(task_id, verifier, values, salt)), the
         values being the verifier's S_b(i) at its sampled boundaries in order.
         During the verification window, once the seed exists.
    @param task_id The task.
    @param commitment The hash.
    """
    att: Attestation = self.attestations[task_id][msg.sender]
    assert att.join_block != 0, "verifier_pool: not joined"
    inc: Incentive = staticcall REGISTRY.incentive(task_id)
    assert block.timestamp <= convert(inc.attest_deadline, uint256), "verifier_pool: verification window closed"
    assert commitment != empty(bytes32), "verifier_pool: zero commitment"
    assert att.commitment == empty(bytes32), "verifier_pool: already committed"
    if att.seed == empty(bytes32):
        self._record_seed(task_id, msg.sender, att.join_block)
    self.attestations[task_id][msg.sender].commitment = commitment
    log AttestationCommitted(task_id=task_id, verifier=msg.sender, commitment=commitment)


@external
def flag(task_id: uint256):
    """
    @dev Declares the committed result wrong, during the verification
         window. A flagger that proves a mismatch of a forced error shares
         the task's award; a flagger of a task that finalizes without a
         forced error forfeits its stake (a real fault must be won in the
         dispute game).
    @param task_id The task.
    """
    att: Attestation = self.attestations[task_id][msg.sender]
    assert att.join_block != 0, "verifier_pool: not joined"
    inc: Incentive = staticcall REGISTRY.incentive(task_id)
    assert block.timestamp <= convert(inc.attest_deadline, uint256), "verifier_pool: verification window closed"
    assert not att.flagged, "verifier_pool: already flagged"
    self.attestations[task_id][msg.sender].flagged = True
    flaggers: uint256 = self.rounds[task_id].flaggers + 1
    self.rounds[task_id].flaggers = flaggers
    log ResultFlagged(task_id=task_id, verifier=msg.sender, flaggers=flaggers)


@external
def reveal(task_id: uint256, values: DynArray[bytes32, MAX_SAMPLES], salt: bytes32):
    """
    @dev Reveals the committed values, after the verification window and
         before the reveal deadline.
    @param task_id The task.
    @param values S_b(i) at each sampled boundary i, in `sample_steps` order.
    @param salt The salt of the commitment.
    """
    att: Attestation = self.attestations[task_id][msg.sender]
    assert att.join_block != 0, "verifier_pool: not joined"
    assert att.commitment != empty(bytes32), "verifier_pool: nothing committed"
    assert not att.revealed, "verifier_pool: already revealed"
    inc: Incentive = staticcall REGISTRY.incentive(task_id)
    assert block.timestamp > convert(inc.attest_deadline, uint256), "verifier_pool: verification window open"
    assert block.timestamp <= convert(inc.reveal_deadline, uint256), "verifier_pool: reveal window closed"
    assert len(values) == self.terms[task_id].samples, "verifier_pool: wrong number of values"
    assert (
        keccak256(abi_encode(task_id, msg.sender, values, salt)) == att.commitment
    ), "verifier_pool: commitment mismatch"
    self.attestations[task_id][msg.sender].revealed = True
    self.revealed_values[task_id][msg.sender] = values
    self.rounds[task_id].revealed += 1
    log AttestationRevealed(task_id=task_id, verifier=msg.sender, values=values)


@external
def on_fee(task_id: uint256, amount: uint256):
    """
    @dev Hook: the registry finalized the task (called even for a zero fee,
         so that the report window always opens) and sent its verification
         fee here. With a forced-error rate above 0 and a reveal, the fee
         minus jackpot_share_bps is the pot of the provers. The rest goes
         to the jackpot, or, for a forced task with flaggers, is the task's
         award. Registry only.
    @param task_id The task.
    @param amount The fee just transferred.
    """
    assert msg.sender == REGISTRY.address, "verifier_pool: caller is not the registry"
    terms: Terms = self._fix_terms(task_id, 0, 0)
    rnd: Round = self.rounds[task_id]
    pot: uint256 = 0
    if rnd.revealed > 0:
        pot = self._pot(amount, terms.jackpot_share_bps, terms.rate_ppm)
    award: uint256 = 0
    if rnd.flaggers > 0 and rnd.forced:
        award = amount - pot
    self.rounds[task_id].pot = pot
    self.rounds[task_id].award = rnd.award + award
    self.rounds[task_id].reserved = rnd.reserved + pot + award
    self.rounds[task_id].finalized_at = block.timestamp
    self.total_reserved += pot + award
    log FeeReceived(task_id=task_id, amount=amount, pot=pot, award=award, to_jackpot=amount - pot - award)


@external
def on_forced_error(task_id: uint256):
    """
    @dev Hook: the solver revealed that the task was a forced-error task.
         Fixes the task's terms; its flaggers may prove the mismatch after
         finalization. Moves no money. Registry only.
    @param task_id The task.
    """
    assert msg.sender == REGISTRY.address, "verifier_pool: caller is not the registry"
    self._fix_terms(task_id, 0, 0)
    self.rounds[task_id].forced = True
    log ForcedErrorCaught(task_id=task_id, flaggers=self.rounds[task_id].flaggers)


@external
def prove(task_id: uint256, proofs: DynArray[DynArray[bytes32, MAX_DEPTH], MAX_SAMPLES]):
    """
    @dev In the report window (R after finalization), proves every revealed
         value of the caller against the final run root (one proof per
         sample, each of the run tree's exact height). Only provers share
         the pot.
    @param task_id The task.
    @param proofs Merkle proofs of the revealed values, in sample order.
    """
    task: Task = staticcall REGISTRY.get_task(task_id)
    att: Attestation = self.attestations[task_id][msg.sender]
    self._check_report_window(task_id, task)
    assert att.revealed, "verifier_pool: not revealed"
    assert not att.proven, "verifier_pool: already proven"
    assert not att.settled, "verifier_pool: already settled"
    values: DynArray[bytes32, MAX_SAMPLES] = self.revealed_values[task_id][msg.sender]
    assert len(proofs) == len(values), "verifier_pool: wrong number of proofs"
    n: uint256 = self._run_leaves(task)
    for k: uint256 in range(MAX_SAMPLES):
        if k == len(values):
            break
        step: uint256 = self._sample(att.seed, msg.sender, task_id, k, n)
        assert self._proves(task.run_root, n, values[k], step, proofs[k]), "verifier_pool: bad proof"
    self.attestations[task_id][msg.sender].proven = True
    self.rounds[task_id].provers += 1
    log AttestationProved(task_id=task_id, verifier=msg.sender, caught=False)


@external
def prove_mismatch(task_id: uint256, k: uint256, wrong_leaf: bytes32, wrong_proof: DynArray[bytes32, MAX_DEPTH]):
    """
    @dev In the report window of a forced-error task, a flagger that has
         `prove`n its values shows that its value at sample k differs from
         the committed wrong root's leaf at that step (`wrong_leaf`, proved
         against the first root with the run tree's exact height). Only such
         catchers share the task's award.
    @param task_id The task.
    @param k Index of the sample.
    @param wrong_leaf S_t of the committed (wrong) root at the sample's step.
    @param wrong_proof Its Merkle proof against the first root.
    """
    task: Task = staticcall REGISTRY.get_task(task_id)
    inc: Incentive = staticcall REGISTRY.incentive(task_id)
    att: Attestation = self.attestations[task_id][msg.sender]
    assert inc.forced, "verifier_pool: task not forced"
    self._check_report_window(task_id, task)
    assert att.flagged, "verifier_pool: not flagged"
    assert att.proven, "verifier_pool: values not proven"
    assert not att.caught, "verifier_pool: already caught"
    assert not att.settled, "verifier_pool: already settled"
    values: DynArray[bytes32, MAX_SAMPLES] = self.revealed_values[task_id][msg.sender]
    assert k < len(values), "verifier_pool: sample out of range"
    n: uint256 = self._run_leaves(task)
    step: uint256 = self._sample(att.seed, msg.sender, task_id, k, n)
    assert self._proves(inc.first_root, n, wrong_leaf, step, wrong_proof), "verifier_pool: bad proof"
    assert values[k] != wrong_leaf, "verifier_pool: no mismatch"
    self.attestations[task_id][msg.sender].caught = True
    self.rounds[task_id].catchers += 1
    log AttestationProved(task_id=task_id, verifier=msg.sender, caught=True)


@external
def report(
    task_id: uint256,
    verifier: address,
    k: uint256,
    true_leaf: bytes32,
    proof: DynArray[bytes32, MAX_DEPTH],
):
    """
    @dev Whistleblower: in the report window of a finalized forced-error
         task, shows that another verifier's revealed value at its sample k
         differs from the final run root's leaf (proved, exact height). The
         verifier's locked stake is slashed to this pool: REPORT_BOUNTY_BPS
         credited to the caller, the rest to the task's award (to the
         jackpot when nobody flagged).
    @param task_id The task.
    @param verifier The verifier reported; not the caller.
    @param k Index of the sample.
    @param true_leaf S_t of the final run root at the sample's step.
    @param proof Its Merkle proof against the final run root.
    """
    task: Task = staticcall REGISTRY.get_task(task_id)
    inc: Incentive = staticcall REGISTRY.incentive(task_id)
    att: Attestation = self.attestations[task_id][verifier]
    assert inc.forced, "verifier_pool: task not forced"
    self._check_report_window(task_id, task)
    assert verifier != msg.sender, "verifier_pool: cannot report itself"
    assert att.revealed, "verifier_pool: not revealed"
    assert not att.settled, "verifier_pool: already settled"
    values: DynArray[bytes32, MAX_SAMPLES] = self.revealed_values[task_id][verifier]
    assert k < len(values), "verifier_pool: sample out of range"
    n: uint256 = self._run_leaves(task)
    step: uint256 = self._sample(att.seed, verifier, task_id, k, n)
    assert self._proves(task.run_root, n, true_leaf, step, proof), "verifier_pool: bad proof"
    assert values[k] != true_leaf, "verifier_pool: attested value is right"
    self.attestations[task_id][verifier].settled = True
    amount: uint256 = min(att.stake, staticcall STAKE_MANAGER.locked_for_task(verifier, task_id))
    bounty: uint256 = 0
    to_award: uint256 = 0
    if amount > 0:
        extcall STAKE_MANAGER.slash(verifier, task_id, [self], [amount])
        bounty = amount * REPORT_BOUNTY_BPS // BPS
        self._credit(msg.sender, bounty)
        if self.rounds[task_id].flaggers > 0:
            to_award = amount - bounty
            self.rounds[task_id].award += to_award
            self.rounds[task_id].reserved += to_award
            self.total_reserved += to_award
    log AttesterSlashed(
        task_id=task_id, verifier=verifier, whistleblower=msg.sender, amount=amount, bounty=bounty, to_award=to_award
    )


@external
def settle(task_id: uint256):
    """
    @dev Ends the caller's part in an ended task: after the report window
         of a finalized task, at once for any other end. Credits pot /
         provers to a prover and award / catchers to a catcher (nothing
         after `sweep`). A flagger of a task finalized without a forced
         error forfeits its stake to the jackpot; every other verifier
         gets it unlocked.
    @param task_id The task.
    """
    task: Task = staticcall REGISTRY.get_task(task_id)
    inc: Incentive = staticcall REGISTRY.incentive(task_id)
    att: Attestation = self.attestations[task_id][msg.sender]
    rnd: Round = self.rounds[task_id]
    assert att.join_block != 0, "verifier_pool: not joined"
    assert not att.settled, "verifier_pool: already settled"
    assert task.status > STATUS_COMMITTED, "verifier_pool: task not ended"
    finalized: bool = task.status == STATUS_FINALIZED
    if finalized:
        assert (
            block.timestamp > rnd.finalized_at + self.terms[task_id].reveal_window
        ), "verifier_pool: report window open"
    self.attestations[task_id][msg.sender].settled = True

    fee_share: uint256 = 0
    award_share: uint256 = 0
    forfeited: uint256 = 0
    if not rnd.swept:
        if att.proven:
            fee_share = rnd.pot // rnd.provers
        if att.caught:
            award_share = rnd.award // rnd.catchers
    paid: uint256 = fee_share + award_share
    if paid > 0:
        self.rounds[task_id].reserved = rnd.reserved - paid
        self.total_reserved -= paid
        self._credit(msg.sender, paid)

    locked: uint256 = min(att.stake, staticcall STAKE_MANAGER.locked_for_task(msg.sender, task_id))
    if locked > 0:
        if finalized and att.flagged and not inc.forced:
            forfeited = locked
            extcall STAKE_MANAGER.slash(msg.sender, task_id, [self], [locked])
        else:
            extcall STAKE_MANAGER.unlock(msg.sender, task_id, locked)
    log VerifierSettled(
        task_id=task_id, verifier=msg.sender, fee_share=fee_share, award_share=award_share, forfeited=forfeited
    )


@external
def claim_credit(receiver: address = msg.sender) -> uint256:
    """
    @dev Pays the caller's whole credit (fee and award shares, report
         bounties) to `receiver`.
    @param receiver Who receives the tokens (the caller by default).
    @return The amount paid.
    """
    amount: uint256 = self.credit[msg.sender]
    assert amount > 0, "verifier_pool: nothing to claim"
    assert receiver != empty(address), "verifier_pool: zero receiver"
    self.credit[msg.sender] = 0
    self.total_credit -= amount
    self._push(receiver, amount)
    log CreditClaimed(owner=msg.sender, receiver=receiver, amount=amount)
    return amount


@external
def sweep(task_id: uint256):
    """
    @dev Returns what a task still owes (unclaimed fee shares and award
         dust) to the jackpot, once, after twice the task's reveal window
         past the later of its finalization and its challenge deadline.
    @param task_id The task.
    """
    task: Task = staticcall REGISTRY.get_task(task_id)
    rnd: Round = self.rounds[task_id]
    assert task.status > STATUS_COMMITTED, "verifier_pool: task not ended"
    assert not rnd.swept, "verifier_pool: already swept"
    start: uint256 = max(rnd.finalized_at, convert(task.challenge_deadline, uint256))
    assert (
        block.timestamp > start + 2 * self.terms[task_id].reveal_window
    ), "verifier_pool: claim window open"
    self.rounds[task_id].swept = True
    self.rounds[task_id].reserved = 0
    self.total_reserved -= rnd.reserved
    log TaskSwept(task_id=task_id, caller=msg.sender, amount=rnd.reserved)


@external
def fund_jackpot(amount: uint256):
    """
    @dev Adds `amount` of the caller's tokens to the jackpot.
    @param amount Token base units; not zero.
    """
    assert amount > 0, "verifier_pool: zero amount"
    self._pull(msg.sender, amount)
    log JackpotFunded(funder=msg.sender, amount=amount)


@view
@external
def jackpot() -> uint256:
    """
    @dev Tokens held beyond what is owed to tasks and credited.
    @return The jackpot.
    """
    return self._jackpot()


@pure
@external
def stake_for(fee: uint256, rate_ppm: uint256, jackpot_share_bps: uint256, min_stake: uint256) -> uint256:
    """
    @dev The verifier stake of a task with verification fee `fee`: with
         pot = fee - fee * jackpot_share_bps / 1e4 (0 when rate_ppm = 0),
         max(min_stake, STAKE_MARGIN * ceil(pot * (1e6 - rate) / rate)).
         A lazy verifier gains at most pot on a task that is not forced
         (probability 1 - p) and loses at least stake * (1 - bounty) on a
         forced one (p), so it loses money whenever this stake is locked.
    @param fee The task's verification fee.
    @param rate_ppm The task's forced-error rate.
    @param jackpot_share_bps The jackpot share of the fee.
    @param min_stake The smallest verifier stake.
    @return The stake.
    """
    return self._stake_for(self._pot(fee, jackpot_share_bps, rate_ppm), rate_ppm, min_stake)


@view
@external
def verifier_stake(task_id: uint256) -> uint256:
    """
    @dev The stake a verifier of the task locks: the task's fixed terms, or
         what they would be if fixed now.
    @param task_id The task.
    @return The stake.
    """
    if self.terms[task_id].fixed:
        return self.terms[task_id].stake
    return self._new_terms(
        (staticcall REGISTRY.get_task(task_id)).fee, (staticcall REGISTRY.incentive(task_id)).rate_ppm
    ).stake


@view
@external
def terms_of(task_id: uint256) -> Terms:
    """
    @dev The governance values fixed for a task.
    @param task_id The task.
    @return fixed, stake, samples, reveal_window, jackpot_share_bps, rate_ppm.
    """
    return self.terms[task_id]


@view
@external
def sample_steps(task_id: uint256, verifier: address) -> DynArray[uint256, MAX_SAMPLES]:
    """
    @dev The verifier's samples: boundary indices i in 1..n_b - 1 of the
         run tree (in order, repeats allowed), 1 + keccak256(abi_encode(seed,
         verifier, task_id, i)) mod (n_b - 1); the verifier replays steps
         b(i-1)+1..b(i) from the checkpoint at b(i-1) and attests S_b(i)
         (b(i) = min(i * checkpoint_interval, T), modules/runtree.vy).
    @param task_id The task.
    @param verifier The verifier.
    @return The boundary indices.
    """
    att: Attestation = self.attestations[task_id][verifier]
    assert att.join_block != 0, "verifier_pool: not joined"
    seed: bytes32 = att.seed
    if seed == empty(bytes32):
        assert block.number > att.join_block + 1, "verifier_pool: seed block not mined"
        assert block.number - att.join_block - 1 <= BLOCKHASH_WINDOW, "verifier_pool: seed block too old"
        seed = blockhash(att.join_block + 1)
    n: uint256 = self._run_leaves(staticcall REGISTRY.get_task(task_id))
    out: DynArray[uint256, MAX_SAMPLES] = []
    for i: uint256 in range(MAX_SAMPLES):
        if i == self.terms[task_id].samples:
            break
        out.append(self._sample(seed, verifier, task_id, i, n))
    return out


@view
@external
def attestation(task_id: uint256, verifier: address) -> Attestation:
    """
    @dev A verifier's part in a task.
    @param task_id The task.
    @param verifier The verifier.
    @return stake, join_block, seed, commitment, flagged, revealed, proven, caught, settled.
    """
    return self.attestations[task_id][verifier]


@view
@external
def values_of(task_id: uint256, verifier: address) -> DynArray[bytes32, MAX_SAMPLES]:
    """
    @dev The values a verifier revealed.
    @param task_id The task.
    @param verifier The verifier.
    @return S_t per sample.
    """
    return self.revealed_values[task_id][verifier]


@view
@external
def round_of(task_id: uint256) -> Round:
    """
    @dev A task's counters and money.
    @param task_id The task.
    @return verifiers, revealed, flaggers, provers, catchers, pot, award,
            reserved, finalized_at, forced, swept.
    """
    return self.rounds[task_id]


# -------------------------------------------------------------- INTERNAL ----

@view
@internal
def _jackpot() -> uint256:
    return staticcall TOKEN.balanceOf(self) - self.total_reserved - self.total_credit


@internal
def _credit(who: address, amount: uint256):
    if amount > 0:
        self.credit[who] += amount
        self.total_credit += amount


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


@view
@internal
def _check_report_window(task_id: uint256, task: Task):
    """
    @dev The task is finalized and its report window (R of its terms after
         the finalization) is open.
    """
    assert task.status == STATUS_FINALIZED, "verifier_pool: task not finalized"
    assert (
        block.timestamp <= self.rounds[task_id].finalized_at + self.terms[task_id].reveal_window
    ), "verifier_pool: report window closed"


@internal
def _record_seed(task_id: uint256, verifier: address, join_block: uint256):
    """
    @dev Stores blockhash(join_block + 1), or reverts when the EVM lacks it.
    """
    assert block.number > join_block + 1, "verifier_pool: seed block not mined"
    assert block.number - join_block - 1 <= BLOCKHASH_WINDOW, "verifier_pool: seed block too old"
    seed: bytes32 = blockhash(join_block + 1)
    self.attestations[task_id][verifier].seed = seed
    log SeedRecorded(task_id=task_id, verifier=verifier, seed=seed)


@pure
@internal
def _sample(seed: bytes32, verifier: address, task_id: uint256, i: uint256, leaves: uint256) -> uint256:
    """
    @dev Sample i: a boundary index in 1..n_b - 1 of a run tree of
         `leaves` = n_b >= 2 leaves (the verifier replays segment b(i-1)..b(i)).
    """
    return 1 + convert(keccak256(abi_encode(seed, verifier, task_id, i)), uint256) % (leaves - 1)


@pure
@internal
def _run_leaves(task: Task) -> uint256:
    """
    @dev n_b, the leaves of the task's run tree (modules/runtree.vy); at
         least 2 for a registered task (1 <= c <= T).
    """
    return runtree._leaves(convert(task.num_steps, uint256), max(convert(task.checkpoint_interval, uint256), 1))


@pure
@internal
def _proves(root: bytes32, leaves: uint256, leaf: bytes32, index: uint256, proof: DynArray[bytes32, MAX_DEPTH]) -> bool:
    """
    @dev `leaf` is leaf `index` (S_b(index)) of the run tree `root` (n_b =
         `leaves` leaves), with a proof of exactly the tree's height (no
         inner node passes as a leaf).
    """
    return merkle._verify_exact(root, leaf, index, leaves, proof)


@internal
def _pull(sender: address, amount: uint256):
    ok: bool = False
    res: Bytes[32] = b""
    ok, res = raw_call(
        TOKEN.address,
        abi_encode(sender, self, amount, method_id=method_id("transferFrom(address,address,uint256)")),
        max_outsize=32,
        revert_on_failure=False,
    )
    assert ok and (len(res) == 0 or convert(res, bool)), "verifier_pool: token transfer failed"


@internal
def _push(to: address, amount: uint256):
    ok: bool = False
    res: Bytes[32] = b""
    ok, res = raw_call(
        TOKEN.address,
        abi_encode(to, amount, method_id=method_id("transfer(address,uint256)")),
        max_outsize=32,
        revert_on_failure=False,
    )
    assert ok and (len(res) == 0 or convert(res, bool)), "verifier_pool: token transfer failed"
