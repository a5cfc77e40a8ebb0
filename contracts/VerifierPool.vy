# pragma version ^0.4.3
# pragma nonreentrancy on
"""
@title Verifier pool: attestations, verification fees and the forced-error jackpot
@license MIT
@notice The incentive layer of docs/protocol.md ("Incentives"). For each
        committed task, during the verification window a bonded verifier
        `join`s (min_verifier_stake is locked for the task), gets its
        sample steps from blockhash(join_block + 1) (`record_seed`,
        `sample_steps`), commits keccak256(abi_encode(task_id, verifier,
        values, salt)) of its step roots S_t (`commit_attestation`) and may
        `flag` the result as wrong. After the window it `reveal`s. Once
        the solver has revealed its secret (TaskRegistry.reveal_secret):

        - forced-error task: the flaggers share the whole jackpot;
          a verifier whose revealed value differs from the true root at a
          sample is slashed by any whistleblower (`report`);
        - finalized task: verifiers whose revealed values prove against the
          final run root share the fee minus the jackpot share (`settle`);
          a verifier that flagged a task that finalized without a forced
          error forfeits its stake to the jackpot (it had to win a dispute).

        The jackpot is every token this contract holds beyond what it owes
        (`total_reserved`): the jackpot share of each fee, unclaimed fees,
        slashed stake and donations (`fund_jackpot`).
@custom:security Amounts owed to verifiers (`total_reserved`) never exceed
        the balance; the jackpot is the rest. Payments follow `settle`
        once per verifier and task; a task's unclaimed remainder returns
        to the jackpot once (`sweep`). Governance has no function here.
"""

from ethereum.ercs import IERC20
from .modules import merkle


# ------------------------------------------------------------ INTERFACES ----

interface IParameters:
    def min_verifier_stake() -> uint256: view
    def sample_count() -> uint256: view
    def jackpot_share_bps() -> uint256: view
    def slash_challenger_bps() -> uint256: view
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


# @dev A finalized task's fee arrived: `pot` for verifiers, the rest to the jackpot.
event FeeReceived:
    task_id: indexed(uint256)
    amount: uint256
    pot: uint256
    to_jackpot: uint256


# @dev A forced error was revealed: `award` of the jackpot is set aside for its flaggers.
event ForcedErrorCaught:
    task_id: indexed(uint256)
    flaggers: uint256
    award: uint256


# @dev A whistleblower showed that a verifier attested a wrong value.
event AttesterSlashed:
    task_id: indexed(uint256)
    verifier: indexed(address)
    whistleblower: indexed(address)
    amount: uint256


# @dev A verifier's part in a task ended: shares paid, stake unlocked or forfeited.
event VerifierSettled:
    task_id: indexed(uint256)
    verifier: indexed(address)
    fee_share: uint256
    award_share: uint256
    forfeited: uint256


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
# @dev Most steps one verifier samples (Parameters bound).
MAX_SAMPLES: constant(uint256) = 16
# @dev Longest Merkle proof (trees of up to 2**32 leaves).
MAX_DEPTH: constant(uint256) = 32
# @dev Blocks whose hash the EVM still returns.
BLOCKHASH_WINDOW: constant(uint256) = 256


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


# @dev One verifier's part in one task.
struct Attestation:
    stake: uint256
    join_block: uint256
    seed: bytes32
    commitment: bytes32
    flagged: bool
    revealed: bool
    settled: bool


# @dev Per-task counters and money.
struct Round:
    samples: uint256
    verifiers: uint256
    revealed: uint256
    flaggers: uint256
    pot: uint256
    award: uint256
    reserved: uint256
    finalized_at: uint256
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
# @dev Sum over tasks of what is still owed to verifiers.
total_reserved: public(uint256)


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
         window; locks min_verifier_stake of the caller's free stake. The
         caller's samples come from the hash of the next block.
    @param task_id The task.
    """
    task: Task = staticcall REGISTRY.get_task(task_id)
    inc: Incentive = staticcall REGISTRY.incentive(task_id)
    assert task.status == STATUS_COMMITTED, "verifier_pool: task not committed"
    assert block.timestamp <= convert(inc.attest_deadline, uint256), "verifier_pool: verification window closed"
    assert msg.sender != task.solver, "verifier_pool: solver cannot verify"
    assert msg.sender != task.submitter, "verifier_pool: submitter cannot verify"
    assert self.attestations[task_id][msg.sender].join_block == 0, "verifier_pool: already joined"
    stake: uint256 = staticcall PARAMETERS.min_verifier_stake()
    self.attestations[task_id][msg.sender].stake = stake
    self.attestations[task_id][msg.sender].join_block = block.number
    if self.rounds[task_id].samples == 0:
        self.rounds[task_id].samples = staticcall PARAMETERS.sample_count()
    self.rounds[task_id].verifiers += 1
    extcall STAKE_MANAGER.lock(msg.sender, task_id, stake)
    log VerifierJoined(task_id=task_id, verifier=msg.sender, stake=stake, join_block=block.number)


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
         values being the verifier's S_t at its sample steps in order.
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
         window. Pays a share of the jackpot if the task turns out to be a
         forced-error task; forfeits the stake if the task finalizes
         without one (a real fault must be won in the dispute game).
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
    @param values S_t at each sample step, in `sample_steps` order.
    @param salt The salt of the commitment.
    """
    att: Attestation = self.attestations[task_id][msg.sender]
    assert att.join_block != 0, "verifier_pool: not joined"
    assert att.commitment != empty(bytes32), "verifier_pool: nothing committed"
    assert not att.revealed, "verifier_pool: already revealed"
    inc: Incentive = staticcall REGISTRY.incentive(task_id)
    assert block.timestamp > convert(inc.attest_deadline, uint256), "verifier_pool: verification window open"
    assert block.timestamp <= convert(inc.reveal_deadline, uint256), "verifier_pool: reveal window closed"
    assert len(values) == self.rounds[task_id].samples, "verifier_pool: wrong number of values"
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
    @dev Hook: the registry finalized the task and sent its verification
         fee here. jackpot_share_bps of it (all of it when nobody revealed)
         joins the jackpot; the rest is the pot of the revealing verifiers.
         Registry only.
    @param task_id The task.
    @param amount The fee just transferred.
    """
    assert msg.sender == REGISTRY.address, "verifier_pool: caller is not the registry"
    pot: uint256 = 0
    if self.rounds[task_id].revealed > 0:
        pot = amount - amount * staticcall PARAMETERS.jackpot_share_bps() // BPS
    self.rounds[task_id].pot = pot
    self.rounds[task_id].reserved += pot
    self.rounds[task_id].finalized_at = block.timestamp
    self.total_reserved += pot
    log FeeReceived(task_id=task_id, amount=amount, pot=pot, to_jackpot=amount - pot)


@external
def on_forced_error(task_id: uint256):
    """
    @dev Hook: the solver revealed that the task was a forced-error task.
         The whole jackpot is set aside for the task's flaggers (nothing if
         nobody flagged). Registry only.
    @param task_id The task.
    """
    assert msg.sender == REGISTRY.address, "verifier_pool: caller is not the registry"
    flaggers: uint256 = self.rounds[task_id].flaggers
    award: uint256 = 0
    if flaggers > 0:
        award = self._jackpot()
        self.rounds[task_id].award = award
        self.rounds[task_id].reserved += award
        self.total_reserved += award
    log ForcedErrorCaught(task_id=task_id, flaggers=flaggers, award=award)


@external
def report(
    task_id: uint256,
    verifier: address,
    k: uint256,
    true_leaf: bytes32,
    proof: DynArray[bytes32, MAX_DEPTH],
):
    """
    @dev Whistleblower: in a finalized forced-error task, shows that the
         verifier's revealed value at its sample k differs from the true
         run root's leaf (proved). The verifier's locked stake is slashed:
         slash_challenger_bps to the caller, the rest to the jackpot.
         Within reveal_window after finalization.
    @param task_id The task.
    @param verifier The verifier reported.
    @param k Index of the sample.
    @param true_leaf S_t of the final run root at the sample's step.
    @param proof Its Merkle proof against the final run root.
    """
    task: Task = staticcall REGISTRY.get_task(task_id)
    inc: Incentive = staticcall REGISTRY.incentive(task_id)
    att: Attestation = self.attestations[task_id][verifier]
    assert inc.forced, "verifier_pool: task not forced"
    assert task.status == STATUS_FINALIZED, "verifier_pool: task not finalized"
    assert (
        block.timestamp <= self.rounds[task_id].finalized_at + staticcall PARAMETERS.reveal_window()
    ), "verifier_pool: report window closed"
    assert att.revealed, "verifier_pool: not revealed"
    assert not att.settled, "verifier_pool: already settled"
    values: DynArray[bytes32, MAX_SAMPLES] = self.revealed_values[task_id][verifier]
    assert k < len(values), "verifier_pool: sample out of range"
    step: uint256 = self._sample(att.seed, verifier, task_id, k, convert(task.num_steps, uint256))
    assert self._proves(task, true_leaf, step, proof), "verifier_pool: bad proof"
    assert values[k] != true_leaf, "verifier_pool: attested value is right"
    self.attestations[task_id][verifier].settled = True
    to_caller: uint256 = att.stake * staticcall PARAMETERS.slash_challenger_bps() // BPS
    extcall STAKE_MANAGER.slash(verifier, task_id, [msg.sender, self], [to_caller, att.stake - to_caller])
    log AttesterSlashed(task_id=task_id, verifier=verifier, whistleblower=msg.sender, amount=att.stake)


@external
def settle(task_id: uint256, proofs: DynArray[DynArray[bytes32, MAX_DEPTH], MAX_SAMPLES]):
    """
    @dev Ends the caller's part in an ended task. Finalized task (after the
         report window): a flagger of a task without a forced error forfeits
         its stake to the jackpot, every other verifier gets it unlocked;
         with `proofs` (one per sample, of its revealed values against the
         final run root) a revealing verifier gets its fee share, pot /
         revealed. Any ended task: a flagger of a forced error gets award /
         flaggers. Nothing is paid after `sweep`.
    @param task_id The task.
    @param proofs Merkle proofs of the revealed values, or empty to skip the fee.
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
            block.timestamp > rnd.finalized_at + staticcall PARAMETERS.reveal_window()
        ), "verifier_pool: report window open"
    self.attestations[task_id][msg.sender].settled = True

    fee_share: uint256 = 0
    award_share: uint256 = 0
    forfeited: uint256 = 0
    if len(proofs) > 0:
        assert finalized and att.revealed, "verifier_pool: no fee to claim"
        values: DynArray[bytes32, MAX_SAMPLES] = self.revealed_values[task_id][msg.sender]
        assert len(proofs) == len(values), "verifier_pool: wrong number of proofs"
        n: uint256 = convert(task.num_steps, uint256)
        for k: uint256 in range(MAX_SAMPLES):
            if k == len(values):
                break
            step: uint256 = self._sample(att.seed, msg.sender, task_id, k, n)
            assert self._proves(task, values[k], step, proofs[k]), "verifier_pool: bad proof"
        if not rnd.swept:
            fee_share = rnd.pot // rnd.revealed
    if att.flagged and inc.forced and not rnd.swept:
        award_share = rnd.award // rnd.flaggers
    paid: uint256 = fee_share + award_share
    if paid > 0:
        self.rounds[task_id].reserved = rnd.reserved - paid
        self.total_reserved -= paid

    locked: uint256 = min(att.stake, staticcall STAKE_MANAGER.locked_for_task(msg.sender, task_id))
    if locked > 0:
        if finalized and att.flagged and not inc.forced:
            forfeited = locked
            extcall STAKE_MANAGER.slash(msg.sender, task_id, [self], [locked])
        else:
            extcall STAKE_MANAGER.unlock(msg.sender, task_id, locked)
    if paid > 0:
        self._push(msg.sender, paid)
    log VerifierSettled(
        task_id=task_id, verifier=msg.sender, fee_share=fee_share, award_share=award_share, forfeited=forfeited
    )


@external
def sweep(task_id: uint256):
    """
    @dev Returns what a task still owes (unclaimed fee shares and award
         dust) to the jackpot, once, after twice the reveal window past
         the later of its finalization and its challenge deadline.
    @param task_id The task.
    """
    task: Task = staticcall REGISTRY.get_task(task_id)
    rnd: Round = self.rounds[task_id]
    assert task.status > STATUS_COMMITTED, "verifier_pool: task not ended"
    assert not rnd.swept, "verifier_pool: already swept"
    start: uint256 = max(rnd.finalized_at, convert(task.challenge_deadline, uint256))
    assert (
        block.timestamp > start + 2 * staticcall PARAMETERS.reveal_window()
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
    @dev Tokens held beyond what is owed to verifiers.
    @return The jackpot.
    """
    return self._jackpot()


@view
@external
def sample_steps(task_id: uint256, verifier: address) -> DynArray[uint256, MAX_SAMPLES]:
    """
    @dev The verifier's sample steps (in 1..T, in order, repeats allowed):
         1 + keccak256(abi_encode(seed, verifier, task_id, i)) mod T.
    @param task_id The task.
    @param verifier The verifier.
    @return The steps.
    """
    att: Attestation = self.attestations[task_id][verifier]
    assert att.join_block != 0, "verifier_pool: not joined"
    seed: bytes32 = att.seed
    if seed == empty(bytes32):
        assert block.number > att.join_block + 1, "verifier_pool: seed block not mined"
        assert block.number - att.join_block - 1 <= BLOCKHASH_WINDOW, "verifier_pool: seed block too old"
        seed = blockhash(att.join_block + 1)
    n: uint256 = convert((staticcall REGISTRY.get_task(task_id)).num_steps, uint256)
    out: DynArray[uint256, MAX_SAMPLES] = []
    for i: uint256 in range(MAX_SAMPLES):
        if i == self.rounds[task_id].samples:
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
    @return stake, join_block, seed, commitment, flagged, revealed, settled.
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
    @return samples, verifiers, revealed, flaggers, pot, award, reserved, finalized_at, swept.
    """
    return self.rounds[task_id]


# -------------------------------------------------------------- INTERNAL ----

@view
@internal
def _jackpot() -> uint256:
    return staticcall TOKEN.balanceOf(self) - self.total_reserved


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
def _sample(seed: bytes32, verifier: address, task_id: uint256, i: uint256, num_steps: uint256) -> uint256:
    return 1 + convert(keccak256(abi_encode(seed, verifier, task_id, i)), uint256) % num_steps


@pure
@internal
def _depth(leaves: uint256) -> uint256:
    """
    @dev Height of the padded Merkle tree over `leaves` leaves.
    """
    d: uint256 = 0
    for i: uint256 in range(MAX_DEPTH):
        if (1 << d) >= leaves:
            break
        d += 1
    return d


@pure
@internal
def _proves(task: Task, leaf: bytes32, step: uint256, proof: DynArray[bytes32, MAX_DEPTH]) -> bool:
    """
    @dev `leaf` is S_step of the task's run root (T + 1 leaves), with a
         proof of exactly the tree's height (no inner node passes as a leaf).
    """
    if len(proof) != self._depth(convert(task.num_steps, uint256) + 1):
        return False
    return merkle._verify(task.run_root, leaf, step, proof)


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
