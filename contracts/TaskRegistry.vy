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
        secret and the hash of the block after the claim) replaces its
        deliberately wrong first root there, and the pool pays the jackpot
        to the verifiers that flagged it. Disputes and `finalize` wait for
        the secret; a solver that never reveals it is slashed by
        `slash_unrevealed`. The verification fee goes to the pool.
@custom:security Every payment leaves escrow exactly once, when the task
        enters a terminal state, and only to the solver, the submitter or the
        treasury, as the parameters say. The governance owner has no function
        here; the pause flag (read from the parameter store) stops only
        `create_task` and `claim_task`. The token balance of this contract
        equals `total_escrowed`.
"""

from ethereum.ercs import IERC20

from .modules import merkle
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

# @dev A task was created and its payment escrowed.
event TaskCreated:
    task_id: indexed(uint256)
    submitter: indexed(address)
    spec_hash: bytes32
    program_root: bytes32
    data_root: bytes32
    payment: uint256
    solver_stake: uint256
    claim_deadline: uint256
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
    # the run tree (T + 1 leaves) must fit a proof of merkle.MAX_DEPTH
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
        payment=payment,
        solver_stake=solver_stake,
        claim_deadline=convert(claim_deadline, uint256),
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
    self.tasks[task_id].status = STATUS_CANCELLED
    self.total_escrowed -= task.payment
    self._push(task.submitter, task.payment)
    log TaskCancelled(task_id=task_id, submitter=task.submitter, refund=task.payment)


@external
def claim_task(task_id: uint256, secret_hash: bytes32 = empty(bytes32)):
    """
    @dev Claims an open task before its claim deadline and locks the
         caller's stake for it; the solve deadline starts now. With a
         verifier pool, `secret_hash` = keccak256(secret) is required: the
         secret and the hash of the next block decide whether the task is
         a forced-error task (rate fixed now).
    @param task_id The task.
    @param secret_hash keccak256 of the solver's 32-byte secret (incentive layer only).
    """
    assert not staticcall PARAMETERS.paused(), "task_registry: paused"
    task: Task = self.tasks[task_id]
    assert task.status == STATUS_OPEN, "task_registry: task not open"
    assert block.timestamp <= convert(task.claim_deadline, uint256), "task_registry: claim deadline passed"
    assert msg.sender != task.submitter, "task_registry: submitter cannot claim"
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


@external
def commit_result(
    task_id: uint256, run_root: bytes32, final_model_hash: bytes32, artifact_uri: String[MAX_URI]
):
    """
    @dev Commits the training run; the challenge window starts now. Solver
         only. With a verifier pool, the verification window starts now
         instead, and the challenge window only when the secret is revealed;
         the claim seed is recorded here if still available.
    @param task_id The task.
    @param run_root Merkle root over the step roots S_0..S_T.
    @param final_model_hash Hash of the final model.
    @param artifact_uri Where checkpoints are served.
    """
    task: Task = self.tasks[task_id]
    assert task.status == STATUS_CLAIMED, "task_registry: task not claimed"
    assert msg.sender == task.solver, "task_registry: caller is not the solver"
    assert block.timestamp <= convert(task.solve_deadline, uint256), "task_registry: solve deadline passed"
    assert run_root != empty(bytes32), "task_registry: zero run root"
    assert final_model_hash != empty(bytes32), "task_registry: zero model hash"
    challenge_deadline: uint64 = convert(block.timestamp, uint64) + task.challenge_window
    if self.verifier_pool != empty(address):
        challenge_deadline = 0
        self._record_seed(task_id, False)
        attest: uint64 = convert(block.timestamp + staticcall PARAMETERS.verification_window(), uint64)
        reveal: uint64 = attest + convert(staticcall PARAMETERS.reveal_window(), uint64)
        self.incentives[task_id].attest_deadline = attest
        self.incentives[task_id].reveal_deadline = reveal
        self.incentives[task_id].secret_deadline = reveal + convert(
            staticcall PARAMETERS.reveal_window(), uint64
        )
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
         it (256 blocks). Anyone may call it; `commit_result` does it too.
         A task whose seed was never recorded counts as forced.
    @param task_id The task.
    """
    assert self.verifier_pool != empty(address), "task_registry: no verifier pool"
    status: uint8 = self.tasks[task_id].status
    assert status == STATUS_CLAIMED or status == STATUS_COMMITTED, "task_registry: task not claimed"
    assert self.incentives[task_id].claim_seed == empty(bytes32), "task_registry: seed already recorded"
    self._record_seed(task_id, True)


@external
def reveal_secret(
    task_id: uint256,
    secret: bytes32,
    run_root: bytes32,
    final_model_hash: bytes32,
    artifact_uri: String[MAX_URI],
):
    """
    @dev The solver reveals its claim secret after the verifiers' reveal
         window. Forced task (keccak256(secret || seed) mod 1e6 < rate, or
         no recorded seed): the committed root was the deliberate error;
         `run_root` (not the first root) replaces it and the verifier pool
         pays the jackpot to the flaggers. Otherwise `run_root` must be the
         committed root. Either way the challenge window starts now.
    @param task_id The task.
    @param secret The 32 bytes whose keccak256 was given at claim.
    @param run_root The true run root (forced) or the committed one.
    @param final_model_hash Hash of the final model (used when forced).
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
         (slash_challenger_bps to the caller, slash_treasury_bps to the
         jackpot, the rest to the submitter), refunds the payment and ends
         the task REJECTED. Anyone may call it.
    @param task_id The task.
    """
    assert self.verifier_pool != empty(address), "task_registry: no verifier pool"
    task: Task = self.tasks[task_id]
    assert task.status == STATUS_COMMITTED, "task_registry: task not committed"
    assert not self.incentives[task_id].revealed, "task_registry: secret already revealed"
    assert (
        block.timestamp > convert(self.incentives[task_id].secret_deadline, uint256)
    ), "task_registry: secret deadline not passed"
    self.tasks[task_id].status = STATUS_REJECTED
    self.total_escrowed -= task.payment
    stake: uint256 = task.solver_stake
    to_caller: uint256 = stake * staticcall PARAMETERS.slash_challenger_bps() // BPS
    to_jackpot: uint256 = stake * staticcall PARAMETERS.slash_treasury_bps() // BPS
    extcall STAKE_MANAGER.slash(
        task.solver,
        task_id,
        [msg.sender, self.verifier_pool, task.submitter],
        [to_caller, to_jackpot, stake - to_caller - to_jackpot],
    )
    self._push(task.submitter, task.payment)
    log SecretWithheld(
        task_id=task_id, caller=msg.sender, solver=task.solver, slashed=stake, refund=task.payment
    )


@external
def finalize(task_id: uint256):
    """
    @dev After the challenge window, with no dispute open, pays the solver
         (payment minus the verification fee), sends the fee to the
         treasury (to the verifier pool when wired, after the secret was
         revealed) and unlocks the solver's stake. Anyone may call it.
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
    self.tasks[task_id].status = STATUS_FINALIZED
    self.total_escrowed -= task.payment
    self._release(task.solver, task_id, task.solver_stake)
    paid: uint256 = task.payment - task.fee
    if paid > 0:
        self._push(task.solver, paid)
    if task.fee > 0:
        if pool != empty(address):
            self._push(pool, task.fee)
            extcall IVerifierPool(pool).on_fee(task_id, task.fee)
        else:
            self._push(staticcall PARAMETERS.treasury(), task.fee)
    log TaskFinalized(task_id=task_id, caller=msg.sender, solver=task.solver, paid=paid, fee=task.fee)


@external
def expire(task_id: uint256):
    """
    @dev After a missed solve deadline, slashes expiry_slash_bps of the
         solver's stake (the treasury share to the treasury, the rest to the
         submitter), unlocks the remainder and refunds the payment. Anyone
         may call it.
    @param task_id The task.
    """
    task: Task = self.tasks[task_id]
    assert task.status == STATUS_CLAIMED, "task_registry: task not claimed"
    assert (
        block.timestamp > convert(task.solve_deadline, uint256)
    ), "task_registry: solve deadline not passed"
    self.tasks[task_id].status = STATUS_EXPIRED
    self.total_escrowed -= task.payment

    slashed: uint256 = task.solver_stake * staticcall PARAMETERS.expiry_slash_bps() // BPS
    if slashed > 0:
        to_treasury: uint256 = slashed * staticcall PARAMETERS.slash_treasury_bps() // BPS
        extcall STAKE_MANAGER.slash(
            task.solver,
            task_id,
            [self._jackpot(), task.submitter],
            [to_treasury, slashed - to_treasury],
        )
    self._release(task.solver, task_id, task.solver_stake - slashed)
    self._push(task.submitter, task.payment)
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
def on_solver_lost(task_id: uint256, challenger: address):
    """
    @dev Hook: the solver lost a dispute. Ends the task: the solver's whole
         locked stake is slashed (slash_challenger_bps to the challenger,
         slash_treasury_bps to the treasury, the rest to the submitter) and
         the payment is refunded to the submitter. Dispute game only.
    @param task_id The task.
    @param challenger The winner of the dispute.
    """
    self._check_dispute_game()
    task: Task = self.tasks[task_id]
    assert task.status == STATUS_COMMITTED, "task_registry: task not committed"
    assert task.open_disputes > 0, "task_registry: no open dispute"
    assert challenger != empty(address), "task_registry: zero challenger"
    self.tasks[task_id].status = STATUS_REJECTED
    self.tasks[task_id].open_disputes = task.open_disputes - 1
    self.total_escrowed -= task.payment

    stake: uint256 = task.solver_stake
    to_challenger: uint256 = stake * staticcall PARAMETERS.slash_challenger_bps() // BPS
    to_treasury: uint256 = stake * staticcall PARAMETERS.slash_treasury_bps() // BPS
    extcall STAKE_MANAGER.slash(
        task.solver,
        task_id,
        [challenger, self._jackpot(), task.submitter],
        [to_challenger, to_treasury, stake - to_challenger - to_treasury],
    )
    self._push(task.submitter, task.payment)
    log TaskRejected(
        task_id=task_id, challenger=challenger, solver=task.solver, slashed=stake, refund=task.payment
    )


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
def _jackpot() -> address:
    """
    @dev Receiver of the treasury share of a slash: the verifier pool (the
         jackpot) when wired, else the treasury.
    """
    if self.verifier_pool != empty(address):
        return self.verifier_pool
    return staticcall PARAMETERS.treasury()


@internal
def _record_seed(task_id: uint256, strict: bool):
    """
    @dev Stores blockhash(claim_block + 1) when the EVM has it; with
         `strict`, reverts when it does not.
    """
    seed_block: uint256 = self.incentives[task_id].claim_block + 1
    available: bool = block.number > seed_block and block.number - seed_block <= BLOCKHASH_WINDOW
    if strict:
        assert block.number > seed_block, "task_registry: seed block not mined"
        assert available, "task_registry: seed block too old"
    if available and self.incentives[task_id].claim_seed == empty(bytes32):
        seed: bytes32 = blockhash(seed_block)
        self.incentives[task_id].claim_seed = seed
        log ClaimSeedRecorded(task_id=task_id, caller=msg.sender, seed=seed)


@pure
@internal
def _is_forced(inc: Incentive, secret: bytes32) -> bool:
    """
    @dev keccak256(secret || seed) mod 1e6 < rate_ppm; a task whose seed was
         never recorded is forced (so withholding the seed gains nothing).
    """
    if inc.claim_seed == empty(bytes32):
        return True
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
