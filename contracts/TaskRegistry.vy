# pragma version ^0.4.3
# pragma nonreentrancy on
"""
@title Task registry
@license MIT
@notice Records training tasks, holds their payments in escrow and walks
        each task through its life:

            OPEN --claim_task--> CLAIMED --commit_result--> COMMITTED
              |                    |                        |   |
          cancel_task            expire                finalize  on_solver_lost
              v                    v                        v   v
          CANCELLED             EXPIRED              FINALIZED  REJECTED

        The solver's stake is locked in the stake manager from the claim
        until the task ends. The dispute game, wired once after deployment,
        reports disputes through `on_dispute_opened`, `on_dispute_closed`
        and `on_solver_lost`; an open dispute blocks `finalize`.

        With a verifier pool wired (the incentive layer, docs/protocol.md
        "Incentives"), a claim carries keccak256(secret) of a solver
        secret; after the commit come the verification window and the
        verifiers' reveal window (run by the pool), then the solver reveals
        its secret with `reveal_secret`. A forced-error task (decided by the
        secret and the hash of the block after the claim, which must be
        recorded before the commit) replaces its
        deliberately wrong first root there, and the pool pays the jackpot
        to the verifiers that flagged it. Disputes and `finalize` wait for
        the secret; a solver that never reveals it is slashed by
        `slash_unrevealed`. The verification fee goes to the pool.
@custom:security Every payment leaves escrow exactly once, when the task
        enters a terminal state, and only to the solver, the submitter, the
        winning challenger, the treasury or the verifier pool, in the
        shares fixed for the task when it was claimed (`task_terms`): no
        governance change reaches a running task. The treasury is never a
        protocol contract. The caller of `expire` and `slash_unrevealed`
        earns nothing, and a dispute won by timeout pays the challenger at
        most TIMEOUT_BOUNTY_BPS, so slashing oneself returns nothing. A
        payout the token refuses is credited and pulled with
        `claim_credit`, so no recipient can block a settlement. The
        governance owner has no function here; the pause flag (read from
        the parameter store) stops only `create_task` and `claim_task`. The
        token balance of this contract equals total_escrowed +
        total_credits.
"""

from ethereum.ercs import IERC20

from .modules import merkle
from .modules import runtree
from .modules import opcodes


# ------------------------------------------------------------ INTERFACES ----

interface IParameters:
    def paused() -> bool: view
    def treasury() -> address: view
    def min_solver_stake() -> uint256: view
    def min_claim_period() -> uint256: view
    def max_claim_period() -> uint256: view
    def min_solve_period() -> uint256: view
    def max_solve_period() -> uint256: view
    def challenge_window() -> uint256: view
    def slash_challenger_bps() -> uint256: view
    def slash_treasury_bps() -> uint256: view
    def expiry_slash_bps() -> uint256: view
    def verification_fee_bps() -> uint256: view
    def verification_window() -> uint256: view
    def reveal_window() -> uint256: view
    def forced_error_rate_ppm() -> uint256: view


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


interface IVerifierPool:
    def on_fee(task_id: uint256, amount: uint256): nonpayable
    def on_forced_error(task_id: uint256): nonpayable


# ---------------------------------------------------------------- EVENTS ----

# @dev A task was created and its payment escrowed; carries every term that
#      create_task fixes (an indexer needs no task() call).
event TaskCreated:
    task_id: indexed(uint256)
    submitter: indexed(address)
    spec_hash: bytes32
    program_root: bytes32
    data_root: bytes32
    num_steps: uint64
    checkpoint_interval: uint64
    payment: uint256
    fee: uint256
    solver_stake: uint256
    claim_deadline: uint256
    solve_period: uint64
    challenge_window: uint64
    header: uint256


# @dev The submitter cancelled an unclaimed task and got its payment back.
event TaskCancelled:
    task_id: indexed(uint256)
    submitter: indexed(address)
    refund: uint256


# @dev A solver claimed the task and locked its stake.
event TaskClaimed:
    task_id: indexed(uint256)
    solver: indexed(address)
    solve_deadline: uint256


# @dev The solver committed its run.
event ResultCommitted:
    task_id: indexed(uint256)
    solver: indexed(address)
    run_root: bytes32
    final_model_hash: bytes32
    artifact_uri: String[256]
    challenge_deadline: uint256


# @dev The challenge window closed with no dispute lost: the solver was paid.
event TaskFinalized:
    task_id: indexed(uint256)
    caller: indexed(address)
    solver: indexed(address)
    paid: uint256
    fee: uint256


# @dev The solver missed its deadline: slashed, the submitter refunded.
event TaskExpired:
    task_id: indexed(uint256)
    caller: indexed(address)
    solver: indexed(address)
    slashed: uint256
    refund: uint256


# @dev The dispute game opened a dispute against the task's result.
event DisputeOpened:
    task_id: indexed(uint256)
    challenger: indexed(address)
    open_disputes: uint256


# @dev The dispute game closed a dispute the solver did not lose.
event DisputeClosed:
    task_id: indexed(uint256)
    dispute_game: indexed(address)
    open_disputes: uint256


# @dev The solver lost a dispute: slashed, the submitter refunded.
event TaskRejected:
    task_id: indexed(uint256)
    challenger: indexed(address)
    solver: indexed(address)
    slashed: uint256
    refund: uint256


# @dev The dispute game was wired (once).
event DisputeGameWired:
    dispute_game: indexed(address)


# @dev The verifier pool was wired (once, before `wire`).
event VerifierPoolWired:
    verifier_pool: indexed(address)


# @dev The randomness deciding whether the task is a forced-error task was recorded.
event ClaimSeedRecorded:
    task_id: indexed(uint256)
    caller: indexed(address)
    seed: bytes32


# @dev The solver revealed its secret; a forced-error task got its true root.
event SecretRevealed:
    task_id: indexed(uint256)
    solver: indexed(address)
    forced: bool
    wrong_root: bytes32
    run_root: bytes32
    challenge_deadline: uint256


# @dev The solver never revealed its secret: slashed, the submitter refunded.
event SecretWithheld:
    task_id: indexed(uint256)
    caller: indexed(address)
    solver: indexed(address)
    slashed: uint256
    refund: uint256


# @dev The governance-dependent terms of a task were fixed at its claim.
event TermsFixed:
    task_id: indexed(uint256)
    treasury: indexed(address)
    slash_challenger_bps: uint256
    slash_treasury_bps: uint256
    expiry_slash_bps: uint256
    verification_window: uint256
    reveal_window: uint256


# @dev A payout to `account` could not be pushed (or is never pushed): it waits in `credits`.
event Credited:
    task_id: indexed(uint256)
    account: indexed(address)
    amount: uint256


# @dev `account` pulled its credits.
event CreditClaimed:
    account: indexed(address)
    amount: uint256


# ------------------------------------------------------------- CONSTANTS ----

# @dev Task statuses (0 means "no such task").
STATUS_NONE: constant(uint8) = 0
STATUS_OPEN: constant(uint8) = 1
STATUS_CLAIMED: constant(uint8) = 2
STATUS_COMMITTED: constant(uint8) = 3
STATUS_FINALIZED: constant(uint8) = 4
STATUS_CANCELLED: constant(uint8) = 5
STATUS_EXPIRED: constant(uint8) = 6
STATUS_REJECTED: constant(uint8) = 7

# @dev Basis-point denominator.
BPS: constant(uint256) = 10_000
# @dev Longest artifact URI.
MAX_URI: constant(uint256) = 256
# @dev Parts-per-million denominator (forced-error rate).
PPM: constant(uint256) = 1_000_000
# @dev Blocks whose hash the EVM still returns.
BLOCKHASH_WINDOW: constant(uint256) = 256
# @dev Longest Merkle proof (trees of up to 2**32 leaves).
MAX_PROOF: constant(uint256) = merkle.MAX_DEPTH
# @dev How a dispute was decided (DisputeGame's end reasons): the game
#      proved the solver wrong by a one-step execution or by a padding
#      leaf; or the solver ran out of time (nothing proved).
REASON_ONESTEP: constant(uint256) = 1
REASON_TIMEOUT: constant(uint256) = 2
REASON_PADDING: constant(uint256) = 3
REASON_START: constant(uint256) = 4
# @dev Most a challenger earns from a dispute it won by the solver's timeout
#      (bps of the solver stake, and never above slash_challenger_bps): a
#      sybil challenger can win against its own solver by timeout at will,
#      so an unproven win must not return the challenger share to it.
TIMEOUT_BOUNTY_BPS: constant(uint256) = 500


# --------------------------------------------------------------- STORAGE ----

# @dev Everything the protocol (and a dispute) needs to know about a task.
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


# @dev The incentive-layer record of a task (used only with a verifier pool).
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


# @dev Every value governance can change that a task's settlement reads,
#      fixed when the task is claimed (the fee and the challenge window are
#      fixed in the task record at creation).
struct Terms:
    treasury: address
    slash_challenger_bps: uint256
    slash_treasury_bps: uint256
    expiry_slash_bps: uint256
    verification_window: uint256
    reveal_window: uint256


# @dev The payment and stake asset.
TOKEN: public(immutable(IERC20))
# @dev The parameter store (pause flag, bounds, shares, treasury).
PARAMETERS: public(immutable(IParameters))
# @dev The stake manager (this registry is one of its operators).
STAKE_MANAGER: public(immutable(IStakeManager))
# @dev The only address that may wire the dispute game, once.
DEPLOYER: public(immutable(address))

# @dev The dispute game allowed to call the dispute hooks (may be empty).
dispute_game: public(address)
# @dev True once `wire` was called.
wired: public(bool)
# @dev The verifier pool (incentive layer); empty means no incentive layer.
verifier_pool: public(address)
# @dev Incentive-layer records by task id.
incentives: HashMap[uint256, Incentive]

# @dev Tasks by id; ids start at 1.
tasks: HashMap[uint256, Task]
# @dev Where the solver serves checkpoints, set at commit.
artifact_uri: public(HashMap[uint256, String[MAX_URI]])
# @dev Number of tasks created; the last id.
task_count: public(uint256)
# @dev Per task: the program header (leaf 0 of program_root), proved at create_task.
headers: HashMap[uint256, uint256]
# @dev Sum of the payments of tasks not yet in a terminal state.
total_escrowed: public(uint256)
# @dev Settlement terms by task id, fixed at the claim.
terms: HashMap[uint256, Terms]
# @dev When each task entered its terminal state (0 while it runs).
ended_at: public(HashMap[uint256, uint256])
# @dev Payouts waiting to be pulled with `claim_credit`, per account.
credits: public(HashMap[address, uint256])
# @dev Sum of `credits`; the token balance is total_escrowed + total_credits.
total_credits: public(uint256)


# ----------------------------------------------------------- CONSTRUCTOR ----

@deploy
def __init__(token: IERC20, parameters: IParameters, stake_manager: IStakeManager):
    """
    @param token The ERC-20 payments are made in (the stake asset).
    @param parameters The protocol parameter store.
    @param stake_manager The stake manager.
    """
    assert token.address.is_contract, "task_registry: token is not a contract"
    assert parameters.address != empty(address), "task_registry: zero parameters"
    assert stake_manager.address != empty(address), "task_registry: zero stake manager"
    TOKEN = token
    PARAMETERS = parameters
    STAKE_MANAGER = stake_manager
    DEPLOYER = msg.sender


# -------------------------------------------------------------- EXTERNAL ----

@external
def wire(dispute_game: address):
    """
    @dev Sets the dispute game once; only the deployer, and never again.
    @param dispute_game The dispute contract, or empty if this deployment has none.
    """
    assert msg.sender == DEPLOYER, "task_registry: caller is not the deployer"
    assert not self.wired, "task_registry: already wired"
    self.dispute_game = dispute_game
    self.wired = True
    log DisputeGameWired(dispute_game=dispute_game)


@external
def wire_verifier_pool(verifier_pool: address):
    """
    @dev Turns the incentive layer on: sets the verifier pool, once, only
         the deployer, and only before `wire` closes the wiring.
    @param verifier_pool The VerifierPool contract; not empty.
    """
    assert msg.sender == DEPLOYER, "task_registry: caller is not the deployer"
    assert not self.wired, "task_registry: already wired"
    assert self.verifier_pool == empty(address), "task_registry: verifier pool already wired"
    assert verifier_pool != empty(address), "task_registry: zero verifier pool"
    self.verifier_pool = verifier_pool
    log VerifierPoolWired(verifier_pool=verifier_pool)


@external
def create_task(
    spec_hash: bytes32,
    program_root: bytes32,
    data_root: bytes32,
    num_steps: uint64,
    checkpoint_interval: uint64,
    payment: uint256,
    solver_stake: uint256,
    claim_period: uint64,
    solve_period: uint64,
    header: uint256,
    header_proof: DynArray[bytes32, merkle.MAX_DEPTH],
) -> uint256:
    """
    @dev Records a task and pulls `payment` from the caller into escrow.
         The challenge window and the verification fee are the current
         parameters, fixed for this task. The program header is proved
         here, once, as leaf 0 of program_root with a proof of exactly
         the program tree's height (1 + n_state + n_step leaves), and
         fixed for the task (`task_header`); disputes read it from here.
    @param spec_hash Content address of the full task spec.
    @param program_root Merkle root of the training program.
    @param data_root Merkle root of the dataset.
    @param num_steps Training steps T (step 0 is the initialisation).
    @param checkpoint_interval Steps between the solver's checkpoints.
    @param payment Escrowed payment, verification fee included.
    @param solver_stake Stake the solver must lock; at least min_solver_stake.
    @param claim_period Seconds from now during which the task can be claimed.
    @param solve_period Seconds from the claim by which the result is due.
    @param header The program header record (docs/reproducible-ops.md section 3).
    @param header_proof Its proof as leaf 0 of program_root.
    @return The new task id.
    """
    assert not staticcall PARAMETERS.paused(), "task_registry: paused"
    assert spec_hash != empty(bytes32), "task_registry: zero spec hash"
    assert program_root != empty(bytes32), "task_registry: zero program root"
    assert data_root != empty(bytes32), "task_registry: zero data root"
    assert num_steps > 0, "task_registry: zero steps"
    assert checkpoint_interval > 0, "task_registry: zero checkpoint interval"
    assert checkpoint_interval <= num_steps, "task_registry: checkpoint interval above steps"
    # the run tree (at most T + 1 leaves) and a segment (at most T + 1)
    # must fit a proof of merkle.MAX_DEPTH
    assert convert(num_steps, uint256) < 2**32, "task_registry: too many steps"
    self._check_header(program_root, header, header_proof)
    assert payment > 0, "task_registry: zero payment"
    assert (
        solver_stake >= staticcall PARAMETERS.min_solver_stake()
    ), "task_registry: solver stake below minimum"
    period: uint256 = convert(claim_period, uint256)
    assert period >= staticcall PARAMETERS.min_claim_period(), "task_registry: claim period below bound"
    assert period <= staticcall PARAMETERS.max_claim_period(), "task_registry: claim period above bound"
    period = convert(solve_period, uint256)
    assert period >= staticcall PARAMETERS.min_solve_period(), "task_registry: solve period below bound"
    assert period <= staticcall PARAMETERS.max_solve_period(), "task_registry: solve period above bound"

    self._pull(msg.sender, payment)

    task_id: uint256 = self.task_count + 1
    self.task_count = task_id
    self.total_escrowed += payment
    claim_deadline: uint64 = convert(block.timestamp, uint64) + claim_period
    self.tasks[task_id] = Task(
        submitter=msg.sender,
        solver=empty(address),
        status=STATUS_OPEN,
        open_disputes=0,
        spec_hash=spec_hash,
        program_root=program_root,
        data_root=data_root,
        num_steps=num_steps,
        checkpoint_interval=checkpoint_interval,
        payment=payment,
        fee=payment * staticcall PARAMETERS.verification_fee_bps() // BPS,
        solver_stake=solver_stake,
        claim_deadline=claim_deadline,
        solve_period=solve_period,
        solve_deadline=0,
        challenge_window=convert(staticcall PARAMETERS.challenge_window(), uint64),
        challenge_deadline=0,
        run_root=empty(bytes32),
        final_model_hash=empty(bytes32),
    )
    self.headers[task_id] = header
    log TaskCreated(
        task_id=task_id,
        submitter=msg.sender,
        spec_hash=spec_hash,
        program_root=program_root,
        data_root=data_root,
        num_steps=num_steps,
        checkpoint_interval=checkpoint_interval,
        payment=payment,
        fee=self.tasks[task_id].fee,
        solver_stake=solver_stake,
        claim_deadline=convert(claim_deadline, uint256),
        solve_period=solve_period,
        challenge_window=self.tasks[task_id].challenge_window,
        header=header,
    )
    return task_id


@external
def cancel_task(task_id: uint256):
    """
    @dev Ends an unclaimed task and refunds the whole payment. Submitter only.
    @param task_id The task.
    """
    task: Task = self.tasks[task_id]
    assert task.status == STATUS_OPEN, "task_registry: task not open"
    assert msg.sender == task.submitter, "task_registry: caller is not the submitter"
    self._end(task_id, STATUS_CANCELLED, task.payment)
    # one party paid, the caller itself: a refused transfer blocks only it
    self._push(task.submitter, task.payment)
    log TaskCancelled(task_id=task_id, submitter=task.submitter, refund=task.payment)


@external
def claim_task(task_id: uint256, secret_hash: bytes32 = empty(bytes32)):
    """
    @dev Claims an open task before its claim deadline and locks the
         caller's stake for it; the solve deadline starts now. The task's
         settlement terms (treasury, slash shares, expiry slash, the
         verification and reveal windows) are fixed now: no later
         governance change reaches this task. With a verifier pool,
         `secret_hash` = keccak256(secret) is required: the secret and the
         hash of the next block decide whether the task is a forced-error
         task (rate fixed now).
    @param task_id The task.
    @param secret_hash keccak256 of the solver's 32-byte secret (incentive layer only).
    """
    assert not staticcall PARAMETERS.paused(), "task_registry: paused"
    task: Task = self.tasks[task_id]
    assert task.status == STATUS_OPEN, "task_registry: task not open"
    assert block.timestamp <= convert(task.claim_deadline, uint256), "task_registry: claim deadline passed"
    assert msg.sender != task.submitter, "task_registry: submitter cannot claim"
    treasury: address = staticcall PARAMETERS.treasury()
    assert not self._is_protocol(treasury), "task_registry: treasury is a protocol contract"
    terms: Terms = Terms(
        treasury=treasury,
        slash_challenger_bps=staticcall PARAMETERS.slash_challenger_bps(),
        slash_treasury_bps=staticcall PARAMETERS.slash_treasury_bps(),
        expiry_slash_bps=staticcall PARAMETERS.expiry_slash_bps(),
        verification_window=staticcall PARAMETERS.verification_window(),
        reveal_window=staticcall PARAMETERS.reveal_window(),
    )
    assert terms.slash_challenger_bps + terms.slash_treasury_bps <= BPS, "task_registry: slash shares exceed 100%"
    assert terms.expiry_slash_bps <= BPS, "task_registry: expiry slash above 100%"
    self.terms[task_id] = terms
    solve_deadline: uint64 = convert(block.timestamp, uint64) + task.solve_period
    self.tasks[task_id].solver = msg.sender
    self.tasks[task_id].status = STATUS_CLAIMED
    self.tasks[task_id].solve_deadline = solve_deadline
    if self.verifier_pool != empty(address):
        assert secret_hash != empty(bytes32), "task_registry: zero secret hash"
        self.incentives[task_id].secret_hash = secret_hash
        self.incentives[task_id].rate_ppm = staticcall PARAMETERS.forced_error_rate_ppm()
        self.incentives[task_id].claim_block = block.number
    extcall STAKE_MANAGER.lock(msg.sender, task_id, task.solver_stake)
    log TaskClaimed(task_id=task_id, solver=msg.sender, solve_deadline=convert(solve_deadline, uint256))
    log TermsFixed(
        task_id=task_id,
        treasury=treasury,
        slash_challenger_bps=terms.slash_challenger_bps,
        slash_treasury_bps=terms.slash_treasury_bps,
        expiry_slash_bps=terms.expiry_slash_bps,
        verification_window=terms.verification_window,
        reveal_window=terms.reveal_window,
    )


@external
def commit_result(
    task_id: uint256,
    run_root: bytes32,
    final_model_hash: bytes32,
    final_model_proof: DynArray[bytes32, MAX_PROOF],
    artifact_uri: String[MAX_URI],
):
    """
    @dev Commits the training run; the challenge window starts now. Solver
         only. The delivered model is the trained one: `final_model_hash`
         must be S_T, the last leaf (n_b - 1) of `run_root`, proved with
         exactly depth(n_b) siblings (`final_model_depth`). With a verifier pool, the verification
         window starts now instead, and the challenge window only when the
         secret is revealed; the claim seed must be recorded (it is
         recorded here while the EVM still has it; after 256 blocks
         without it the task can no longer be committed and expires).
    @param task_id The task.
    @param run_root Merkle root over the boundary step roots S_b(0)..S_b(n_b-1)
           (b(i) = min(i * checkpoint_interval, T); modules/runtree.vy).
    @param final_model_hash S_T, the step root of the final model.
    @param final_model_proof Siblings of leaf n_b - 1 of `run_root`, leaf upwards.
    @param artifact_uri Where checkpoints are served.
    """
    task: Task = self.tasks[task_id]
    assert task.status == STATUS_CLAIMED, "task_registry: task not claimed"
    assert msg.sender == task.solver, "task_registry: caller is not the solver"
    assert block.timestamp <= convert(task.solve_deadline, uint256), "task_registry: solve deadline passed"
    assert run_root != empty(bytes32), "task_registry: zero run root"
    assert final_model_hash != empty(bytes32), "task_registry: zero model hash"
    self._check_final_model(task.num_steps, task.checkpoint_interval, run_root, final_model_hash, final_model_proof)
    challenge_deadline: uint64 = convert(block.timestamp, uint64) + task.challenge_window
    if self.verifier_pool != empty(address):
        challenge_deadline = 0
        self._record_seed(task_id)
        terms: Terms = self.terms[task_id]
        attest: uint64 = convert(block.timestamp + terms.verification_window, uint64)
        reveal: uint64 = attest + convert(terms.reveal_window, uint64)
        self.incentives[task_id].attest_deadline = attest
        self.incentives[task_id].reveal_deadline = reveal
        self.incentives[task_id].secret_deadline = reveal + convert(terms.reveal_window, uint64)
        self.incentives[task_id].first_root = run_root
    self.tasks[task_id].status = STATUS_COMMITTED
    self.tasks[task_id].run_root = run_root
    self.tasks[task_id].final_model_hash = final_model_hash
    self.tasks[task_id].challenge_deadline = challenge_deadline
    self.artifact_uri[task_id] = artifact_uri
    log ResultCommitted(
        task_id=task_id,
        solver=msg.sender,
        run_root=run_root,
        final_model_hash=final_model_hash,
        artifact_uri=artifact_uri,
        challenge_deadline=convert(challenge_deadline, uint256),
    )


@external
def record_claim_seed(task_id: uint256):
    """
    @dev Records blockhash(claim_block + 1), the randomness that decides
         whether the task is a forced-error task, while the EVM still has
         it (256 blocks). Anyone may call it; `commit_result` does it too
         and cannot succeed without it.
    @param task_id The task.
    """
    assert self.verifier_pool != empty(address), "task_registry: no verifier pool"
    assert self.tasks[task_id].status == STATUS_CLAIMED, "task_registry: task not claimed"
    assert self.incentives[task_id].claim_seed == empty(bytes32), "task_registry: seed already recorded"
    self._record_seed(task_id)


@external
def reveal_secret(
    task_id: uint256,
    secret: bytes32,
    run_root: bytes32,
    final_model_hash: bytes32,
    final_model_proof: DynArray[bytes32, MAX_PROOF],
    artifact_uri: String[MAX_URI],
):
    """
    @dev The solver reveals its claim secret after the verifiers' reveal
         window. Forced task (keccak256(secret || seed) mod 1e6 < rate):
         the committed root was the deliberate error; `run_root` (not the
         first root) replaces it, `final_model_hash` must be its leaf T
         (S_T of the true run, exact-depth proof) and the verifier pool
         pays the jackpot to the flaggers. Otherwise `run_root` must be the
         committed root and the model fields are ignored (the commit proved
         them). Either way the challenge window starts now.
    @param task_id The task.
    @param secret The 32 bytes whose keccak256 was given at claim.
    @param run_root The true run root (forced) or the committed one.
    @param final_model_hash S_T of the true run (used when forced).
    @param final_model_proof Siblings of leaf T of `run_root` (used when forced).
    @param artifact_uri Where checkpoints are served (used when forced).
    """
    assert self.verifier_pool != empty(address), "task_registry: no verifier pool"
    task: Task = self.tasks[task_id]
    inc: Incentive = self.incentives[task_id]
    assert task.status == STATUS_COMMITTED, "task_registry: task not committed"
    assert msg.sender == task.solver, "task_registry: caller is not the solver"
    assert not inc.revealed, "task_registry: secret already revealed"
    assert block.timestamp > convert(inc.reveal_deadline, uint256), "task_registry: verifier reveals open"
    assert block.timestamp <= convert(inc.secret_deadline, uint256), "task_registry: secret deadline passed"
    assert keccak256(secret) == inc.secret_hash, "task_registry: wrong secret"
    forced: bool = self._is_forced(inc, secret)
    if forced:
        assert run_root != empty(bytes32) and run_root != inc.first_root, "task_registry: forced root not replaced"
        assert final_model_hash != empty(bytes32), "task_registry: zero model hash"
        self._check_final_model(task.num_steps, task.checkpoint_interval, run_root, final_model_hash, final_model_proof)
        self.tasks[task_id].run_root = run_root
        self.tasks[task_id].final_model_hash = final_model_hash
        self.artifact_uri[task_id] = artifact_uri
    else:
        assert run_root == task.run_root, "task_registry: root changed without forced error"
    challenge_deadline: uint64 = convert(block.timestamp, uint64) + task.challenge_window
    self.tasks[task_id].challenge_deadline = challenge_deadline
    self.incentives[task_id].revealed = True
    self.incentives[task_id].forced = forced
    log SecretRevealed(
        task_id=task_id,
        solver=msg.sender,
        forced=forced,
        wrong_root=inc.first_root if forced else empty(bytes32),
        run_root=run_root,
        challenge_deadline=convert(challenge_deadline, uint256),
    )
    if forced:
        extcall IVerifierPool(self.verifier_pool).on_forced_error(task_id)


@external
def slash_unrevealed(task_id: uint256):
    """
    @dev After the secret deadline with no secret revealed (a hidden or
         abandoned forced error), slashes the solver's whole stake
         (the task's slash_treasury_bps to the jackpot, the rest to the
         submitter), refunds the payment and ends the task REJECTED.
         Anyone may call it; the caller earns nothing (the submitter, who
         gets the stake, has the reason to call), so a solver that slashes
         itself recovers nothing.
    @param task_id The task.
    """
    assert self.verifier_pool != empty(address), "task_registry: no verifier pool"
    task: Task = self.tasks[task_id]
    assert task.status == STATUS_COMMITTED, "task_registry: task not committed"
    assert not self.incentives[task_id].revealed, "task_registry: secret already revealed"
    assert (
        block.timestamp > convert(self.incentives[task_id].secret_deadline, uint256)
    ), "task_registry: secret deadline not passed"
    self._end(task_id, STATUS_REJECTED, task.payment)
    stake: uint256 = task.solver_stake
    to_jackpot: uint256 = stake * self.terms[task_id].slash_treasury_bps // BPS
    self._slash(task_id, task.solver, stake, to_jackpot)
    self._pay(task_id, task.submitter, task.payment + stake - to_jackpot)
    log SecretWithheld(
        task_id=task_id, caller=msg.sender, solver=task.solver, slashed=stake, refund=task.payment
    )
    log TaskRejected(
        task_id=task_id, challenger=empty(address), solver=task.solver, slashed=stake, refund=task.payment
    )


@external
def finalize(task_id: uint256):
    """
    @dev After the challenge window, with no dispute open, pays the solver
         (payment minus the verification fee), sends the fee to the
         task's treasury (to the verifier pool when wired, after the secret
         was revealed; the pool's hook runs even for a zero fee, so its
         round always records the finalization) and unlocks the solver's
         stake. Anyone may call it. A payment a token refuses is credited
         (`claim_credit`) instead of reverting the whole finalization.
    @param task_id The task.
    """
    task: Task = self.tasks[task_id]
    assert task.status == STATUS_COMMITTED, "task_registry: task not committed"
    assert (
        block.timestamp > convert(task.challenge_deadline, uint256)
    ), "task_registry: challenge window open"
    assert task.open_disputes == 0, "task_registry: dispute open"
    pool: address = self.verifier_pool
    if pool != empty(address):
        assert self.incentives[task_id].revealed, "task_registry: secret not revealed"
    self._end(task_id, STATUS_FINALIZED, task.payment)
    self._release(task.solver, task_id, task.solver_stake)
    paid: uint256 = task.payment - task.fee
    self._pay(task_id, task.solver, paid)
    if pool != empty(address):
        if task.fee > 0:
            self._push(pool, task.fee)
        extcall IVerifierPool(pool).on_fee(task_id, task.fee)
    else:
        self._pay(task_id, self.terms[task_id].treasury, task.fee)
    log TaskFinalized(task_id=task_id, caller=msg.sender, solver=task.solver, paid=paid, fee=task.fee)


@external
def expire(task_id: uint256):
    """
    @dev After a missed solve deadline, slashes the task's expiry_slash_bps
         of the solver's stake (the task's treasury share to the jackpot,
         the rest to the submitter), unlocks the remainder and refunds the
         payment. Anyone may call it; the caller earns nothing.
    @param task_id The task.
    """
    task: Task = self.tasks[task_id]
    assert task.status == STATUS_CLAIMED, "task_registry: task not claimed"
    assert (
        block.timestamp > convert(task.solve_deadline, uint256)
    ), "task_registry: solve deadline not passed"
    self._end(task_id, STATUS_EXPIRED, task.payment)
    terms: Terms = self.terms[task_id]
    slashed: uint256 = task.solver_stake * terms.expiry_slash_bps // BPS
    to_jackpot: uint256 = slashed * terms.slash_treasury_bps // BPS
    self._slash(task_id, task.solver, slashed, to_jackpot)
    self._release(task.solver, task_id, task.solver_stake - slashed)
    self._pay(task_id, task.submitter, task.payment + slashed - to_jackpot)
    log TaskExpired(
        task_id=task_id, caller=msg.sender, solver=task.solver, slashed=slashed, refund=task.payment
    )


@external
def on_dispute_opened(task_id: uint256, challenger: address):
    """
    @dev Hook: a dispute was opened against the task's committed result,
         within its challenge window. Blocks `finalize` until closed.
         Dispute game only.
    @param task_id The task.
    @param challenger Who opened the dispute.
    """
    self._check_dispute_game()
    task: Task = self.tasks[task_id]
    assert task.status == STATUS_COMMITTED, "task_registry: task not committed"
    if self.verifier_pool != empty(address):
        assert self.incentives[task_id].revealed, "task_registry: secret not revealed"
    assert (
        block.timestamp <= convert(task.challenge_deadline, uint256)
    ), "task_registry: challenge window closed"
    open_disputes: uint32 = task.open_disputes + 1
    self.tasks[task_id].open_disputes = open_disputes
    log DisputeOpened(task_id=task_id, challenger=challenger, open_disputes=convert(open_disputes, uint256))


@external
def on_dispute_closed(task_id: uint256):
    """
    @dev Hook: a dispute ended without the solver losing it (or after the
         task already ended by another dispute). Dispute game only.
    @param task_id The task.
    """
    self._check_dispute_game()
    open_disputes: uint32 = self.tasks[task_id].open_disputes
    assert open_disputes > 0, "task_registry: no open dispute"
    open_disputes -= 1
    self.tasks[task_id].open_disputes = open_disputes
    log DisputeClosed(task_id=task_id, dispute_game=msg.sender, open_disputes=convert(open_disputes, uint256))


@external
def on_solver_lost(task_id: uint256, challenger: address, reason: uint256):
    """
    @dev Hook: the solver lost a dispute. Ends the task: the solver's whole
         locked stake is slashed and the payment refunded to the
         submitter. Of the stake, the task's slash_treasury_bps go to the
         jackpot; the challenger gets the task's slash_challenger_bps only
         for a win the game proved (`reason` REASON_ONESTEP, REASON_PADDING
         or REASON_START); for any other reason (a timeout: nothing proved,
         and a sybil challenger can win against its own solver that way)
         at most TIMEOUT_BOUNTY_BPS; the rest goes to the submitter.
         Dispute game only.
    @param task_id The task.
    @param challenger The winner of the dispute.
    @param reason How the game ended: 1 one-step, 2 timeout, 3 padding,
           4 start (a micro-trace whose s_0 is not +0.0).
    """
    self._check_dispute_game()
    task: Task = self.tasks[task_id]
    assert task.status == STATUS_COMMITTED, "task_registry: task not committed"
    assert task.open_disputes > 0, "task_registry: no open dispute"
    assert challenger != empty(address), "task_registry: zero challenger"
    self.tasks[task_id].open_disputes = task.open_disputes - 1
    self._end(task_id, STATUS_REJECTED, task.payment)

    terms: Terms = self.terms[task_id]
    stake: uint256 = task.solver_stake
    share_bps: uint256 = terms.slash_challenger_bps
    if reason != REASON_ONESTEP and reason != REASON_PADDING and reason != REASON_START:
        share_bps = min(share_bps, TIMEOUT_BOUNTY_BPS)
    to_challenger: uint256 = stake * share_bps // BPS
    to_jackpot: uint256 = stake * terms.slash_treasury_bps // BPS
    self._slash(task_id, task.solver, stake, to_jackpot)
    self._pay(task_id, challenger, to_challenger)
    self._pay(task_id, task.submitter, task.payment + stake - to_challenger - to_jackpot)
    log TaskRejected(
        task_id=task_id, challenger=challenger, solver=task.solver, slashed=stake, refund=task.payment
    )


@external
def claim_credit() -> uint256:
    """
    @dev Pays the caller every payout credited to it (a transfer its token
         refused when it was due).
    @return The amount paid.
    """
    amount: uint256 = self.credits[msg.sender]
    assert amount > 0, "task_registry: no credit"
    self.credits[msg.sender] = 0
    self.total_credits -= amount
    self._push(msg.sender, amount)
    log CreditClaimed(account=msg.sender, amount=amount)
    return amount


@view
@external
def task_header(task_id: uint256) -> uint256:
    """
    @dev The program header proved at create_task (0 for no task).
    @param task_id The task.
    @return The header record.
    """
    return self.headers[task_id]


@view
@external
def get_task(task_id: uint256) -> Task:
    """
    @dev Everything recorded about a task (all zero for an unknown id).
    @param task_id The task.
    @return The task record.
    """
    return self.tasks[task_id]


@view
@external
def incentive(task_id: uint256) -> Incentive:
    """
    @dev The incentive-layer record of a task (all zero without a verifier pool).
    @param task_id The task.
    @return secret_hash, rate_ppm, claim_block, claim_seed, attest_deadline,
            reveal_deadline, secret_deadline, revealed, forced, first_root.
    """
    return self.incentives[task_id]


@view
@external
def task_terms(task_id: uint256) -> Terms:
    """
    @dev The settlement terms fixed at the task's claim (all zero before).
    @param task_id The task.
    @return treasury, slash_challenger_bps, slash_treasury_bps,
            expiry_slash_bps, verification_window, reveal_window.
    """
    return self.terms[task_id]


@view
@external
def final_model_depth(task_id: uint256) -> uint256:
    """
    @dev The exact number of siblings `commit_result` and `reveal_secret`
         require in `final_model_proof`: depth(n_b), n_b = ceil(T / c) + 1
         boundary leaves (modules/runtree.vy).
    @param task_id The task.
    @return Levels above the leaves of the task's run tree.
    """
    task: Task = self.tasks[task_id]
    return merkle._height(
        runtree._leaves(convert(task.num_steps, uint256), max(convert(task.checkpoint_interval, uint256), 1))
    )


@view
@external
def task_status(task_id: uint256) -> uint8:
    """
    @dev The task's status: 0 none, 1 open, 2 claimed, 3 committed,
         4 finalized, 5 cancelled, 6 expired, 7 rejected.
    @param task_id The task.
    @return The status code.
    """
    return self.tasks[task_id].status


# -------------------------------------------------------------- INTERNAL ----

@pure
@internal
def _check_header(program_root: bytes32, header: uint256, proof: DynArray[bytes32, merkle.MAX_DEPTH]):
    """
    @dev Reverts unless `header` is a version-1 header with sane sizes and
         is leaf 0 of program_root, proved with exactly the height of a
         tree of 1 + n_state + n_step leaves.
    """
    version: uint256 = (header >> opcodes.HEADER_VERSION_SHIFT) & opcodes.HEADER_VERSION_MASK
    n_state: uint256 = (header >> opcodes.HEADER_N_STATE_SHIFT) & opcodes.HEADER_N_STATE_MASK
    n_step: uint256 = (header >> opcodes.HEADER_N_STEP_SHIFT) & opcodes.HEADER_N_STEP_MASK
    rows: uint256 = (header >> opcodes.HEADER_DATA_ROWS_SHIFT) & opcodes.HEADER_DATA_ROWS_MASK
    cols: uint256 = (header >> opcodes.HEADER_DATA_COLS_SHIFT) & opcodes.HEADER_DATA_COLS_MASK
    assert version == opcodes.PROGRAM_VERSION, "task_registry: bad program version"
    # the step program's last n_state nodes produce the state slots
    assert n_state > 0 and n_step >= n_state, "task_registry: bad program size"
    # the dataset tree (ceil(rows * cols / 8) leaves) must fit a proof of merkle.MAX_DEPTH
    assert rows > 0 and cols > 0 and rows * cols <= 8 * 2**32, "task_registry: bad data size"
    assert merkle._verify_exact(
        program_root, convert(header, bytes32), 0, 1 + n_state + n_step, proof
    ), "task_registry: bad header proof"


@view
@internal
def _check_dispute_game():
    assert (
        msg.sender == self.dispute_game and msg.sender != empty(address)
    ), "task_registry: caller is not the dispute game"


@view
@internal
def _is_protocol(account: address) -> bool:
    """
    @dev True for a contract of this deployment (or the token): tokens sent
         to one of them as "treasury" would break its accounting or be
         stuck, so the treasury can never be one.
    """
    return (
        account == self
        or account == STAKE_MANAGER.address
        or account == PARAMETERS.address
        or account == TOKEN.address
        or (account == self.dispute_game and account != empty(address))
        or (account == self.verifier_pool and account != empty(address))
    )


@internal
def _end(task_id: uint256, status: uint8, payment: uint256):
    """
    @dev Moves a task to a terminal state, once, and takes its payment out
         of escrow.
    """
    self.tasks[task_id].status = status
    self.ended_at[task_id] = block.timestamp
    self.total_escrowed -= payment


@internal
def _slash(task_id: uint256, solver: address, amount: uint256, to_jackpot: uint256):
    """
    @dev Slashes `amount` of the solver's stake for the task: `to_jackpot`
         to the verifier pool when wired (a protocol contract: pushed), all
         the rest to this registry, which pays it on (see `_pay`). Without a
         pool the jackpot share is the task's treasury's, paid like any
         other payout.
    """
    if amount == 0:
        return
    pool: address = self.verifier_pool
    if pool != empty(address):
        extcall STAKE_MANAGER.slash(solver, task_id, [pool, self], [to_jackpot, amount - to_jackpot])
    else:
        extcall STAKE_MANAGER.slash(solver, task_id, [self], [amount])
        self._pay(task_id, self.terms[task_id].treasury, to_jackpot)


@internal
def _pay(task_id: uint256, to: address, amount: uint256):
    """
    @dev Pays `amount` (held by this contract) to `to`: pushed when the
         token accepts, else credited for `claim_credit`, so a blocklisted
         or failing recipient never blocks a settlement that pays others.
    """
    if amount == 0:
        return
    ok: bool = False
    res: Bytes[32] = b""
    ok, res = raw_call(
        TOKEN.address,
        abi_encode(to, amount, method_id=method_id("transfer(address,uint256)")),
        max_outsize=32,
        revert_on_failure=False,
    )
    if ok and (len(res) == 0 or convert(res, bool)):
        return
    self.credits[to] += amount
    self.total_credits += amount
    log Credited(task_id=task_id, account=to, amount=amount)


@pure
@internal
def _check_final_model(
    num_steps: uint64,
    interval: uint64,
    run_root: bytes32,
    final_model_hash: bytes32,
    proof: DynArray[bytes32, MAX_PROOF],
):
    """
    @dev Reverts unless `final_model_hash` is the last leaf (n_b - 1, the
         boundary step T) of the run tree `run_root` (n_b leaves), proved
         with exactly depth(n_b) siblings: no inner node, root or value
         below a leaf passes.
    """
    n: uint256 = runtree._leaves(convert(num_steps, uint256), convert(interval, uint256))
    assert len(proof) == merkle._height(n), "task_registry: final model proof has wrong length"
    assert merkle._verify_exact(run_root, final_model_hash, n - 1, n, proof), "task_registry: final model is not S_T"


@internal
def _record_seed(task_id: uint256):
    """
    @dev Makes sure blockhash(claim_block + 1) is recorded: stores it while
         the EVM has it, reverts when the block is not mined yet or the
         256-block window passed without anyone recording it (then the
         task cannot be committed: it expires, which never pays the solver
         more than committing would, so letting the seed lapse is no
         choice worth having).
    """
    if self.incentives[task_id].claim_seed != empty(bytes32):
        return
    seed_block: uint256 = self.incentives[task_id].claim_block + 1
    assert block.number > seed_block, "task_registry: seed block not mined"
    assert block.number - seed_block <= BLOCKHASH_WINDOW, "task_registry: claim seed lapsed"
    seed: bytes32 = blockhash(seed_block)
    self.incentives[task_id].claim_seed = seed
    log ClaimSeedRecorded(task_id=task_id, caller=msg.sender, seed=seed)


@pure
@internal
def _is_forced(inc: Incentive, secret: bytes32) -> bool:
    """
    @dev keccak256(secret || seed) mod 1e6 < rate_ppm. The seed is always
         recorded by the time of a reveal (`commit_result` requires it).
    """
    assert inc.claim_seed != empty(bytes32), "task_registry: claim seed not recorded"
    return convert(keccak256(concat(secret, inc.claim_seed)), uint256) % PPM < inc.rate_ppm


@internal
def _release(solver: address, task_id: uint256, amount: uint256):
    """
    @dev Unlocks up to `amount` of the solver's lock for the task: never
         more than is still locked, so a slash by the dispute game in the
         meantime cannot leave the task stuck.
    """
    to_unlock: uint256 = min(amount, staticcall STAKE_MANAGER.locked_for_task(solver, task_id))
    if to_unlock > 0:
        extcall STAKE_MANAGER.unlock(solver, task_id, to_unlock)


@internal
def _pull(sender: address, amount: uint256):
    """
    @dev transferFrom(sender, self, amount); any failure (revert, false,
         malformed return) reverts with this contract's reason.
    """
    ok: bool = False
    res: Bytes[32] = b""
    ok, res = raw_call(
        TOKEN.address,
        abi_encode(sender, self, amount, method_id=method_id("transferFrom(address,address,uint256)")),
        max_outsize=32,
        revert_on_failure=False,
    )
    assert ok and (len(res) == 0 or convert(res, bool)), "task_registry: token transfer failed"


@internal
def _push(to: address, amount: uint256):
    """
    @dev transfer(to, amount); any failure reverts with this contract's reason.
    """
    ok: bool = False
    res: Bytes[32] = b""
    ok, res = raw_call(
        TOKEN.address,
        abi_encode(to, amount, method_id=method_id("transfer(address,uint256)")),
        max_outsize=32,
        revert_on_failure=False,
    )
    assert ok and (len(res) == 0 or convert(res, bool)), "task_registry: token transfer failed"
