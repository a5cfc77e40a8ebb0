# pragma version ^0.4.3
# pragma nonreentrancy on
"""
@title tasks
@license MIT
@notice The task registry's records and the start of a task's life: the
        wiring (token, parameters, stake manager, deployer; the dispute
        game and verifier pool, wired once), every task's record, header,
        settlement terms and incentive record, escrow (`total_escrowed`,
        tokens in with `_pull`, out with `_push`), and the entry points
        of the lifecycle: `_create_task` (header checked, payment
        escrowed), `_cancel_task`, `_claim_task` (stake locked, terms
        fixed) and `_end` (a task enters its terminal state once).
@dev The bottom of TaskRegistry's module chain: modules/commits.vy
     initializes it, modules/payouts.vy initializes commits,
     modules/hooks.vy initializes payouts, and TaskRegistry
     `initializes: hooks` and `uses:` the others (each module then
     compiles on its own).
@custom:security A task's settlement terms are read from the parameters
     once, at its claim; `_end` takes a payment out of escrow exactly
     once, when the task enters a terminal state.
"""

from ethereum.ercs import IERC20

from . import merkle
from . import opcodes


# ------------------------------------------------------------------
#                            INTERFACES
# ------------------------------------------------------------------

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


# ------------------------------------------------------------------
#                              EVENTS
# ------------------------------------------------------------------

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


# @dev The dispute game was wired (once).
event DisputeGameWired:
    dispute_game: indexed(address)


# @dev The verifier pool was wired (once, before `wire`).
event VerifierPoolWired:
    verifier_pool: indexed(address)


# @dev The governance-dependent terms of a task were fixed at its claim.
event TermsFixed:
    task_id: indexed(uint256)
    treasury: indexed(address)
    slash_challenger_bps: uint256
    slash_treasury_bps: uint256
    expiry_slash_bps: uint256
    verification_window: uint256
    reveal_window: uint256


# ------------------------------------------------------------------
#                            CONSTANTS
# ------------------------------------------------------------------

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


# ------------------------------------------------------------------
#                             STORAGE
# ------------------------------------------------------------------

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


# ------------------------------------------------------------------
#                           CONSTRUCTOR
# ------------------------------------------------------------------

@deploy
def __init__(token: IERC20, parameters: IParameters, stake_manager: IStakeManager, deployer: address):
    """
    @param token The ERC-20 payments are made in (the stake asset).
    @param parameters The protocol parameter store.
    @param stake_manager The stake manager.
    @param deployer The only address that may wire the registry.
    """
    TOKEN = token
    PARAMETERS = parameters
    STAKE_MANAGER = stake_manager
    DEPLOYER = deployer


# ------------------------------------------------------------------
#                             INTERNAL
# ------------------------------------------------------------------

@internal
def _wire(dispute_game: address):
    """
    @dev The body of TaskRegistry.wire (its NatSpec says what it does).
    """
    assert msg.sender == DEPLOYER, "task_registry: caller is not the deployer"
    assert not self.wired, "task_registry: already wired"
    self.dispute_game = dispute_game
    self.wired = True
    log DisputeGameWired(dispute_game=dispute_game)


@internal
def _wire_verifier_pool(verifier_pool: address):
    """
    @dev The body of TaskRegistry.wire_verifier_pool (its NatSpec says what it does).
    """
    assert msg.sender == DEPLOYER, "task_registry: caller is not the deployer"
    assert not self.wired, "task_registry: already wired"
    assert self.verifier_pool == empty(address), "task_registry: verifier pool already wired"
    assert verifier_pool != empty(address), "task_registry: zero verifier pool"
    self.verifier_pool = verifier_pool
    log VerifierPoolWired(verifier_pool=verifier_pool)


@internal
def _create_task(
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
    @dev The body of TaskRegistry.create_task (its NatSpec says what it does).
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


@internal
def _cancel_task(task_id: uint256):
    """
    @dev The body of TaskRegistry.cancel_task (its NatSpec says what it does).
    """
    task: Task = self.tasks[task_id]
    assert task.status == STATUS_OPEN, "task_registry: task not open"
    assert msg.sender == task.submitter, "task_registry: caller is not the submitter"
    self._end(task_id, STATUS_CANCELLED, task.payment)
    # one party paid, the caller itself: a refused transfer blocks only it
    self._push(task.submitter, task.payment)
    log TaskCancelled(task_id=task_id, submitter=task.submitter, refund=task.payment)


@internal
def _claim_task(task_id: uint256, secret_hash: bytes32):
    """
    @dev The body of TaskRegistry.claim_task (its NatSpec says what it does).
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
