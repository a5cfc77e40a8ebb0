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


# --------------------------------------------------------------- MODULES ----

# One concern per module (each docstring says what it owns):
#   tasks     records, wiring, escrow; create, cancel, claim; the end of a task
#   commits   commit & final-model checks, the claim seed, the secret reveal
#   payouts   finalize, expire, slash_unrevealed; slash, pay or credit, release
#   hooks     the dispute game's hooks (opened, closed, solver lost)
# Events, structs and revert strings live with the code that uses them.
from .modules import commits
from .modules import hooks
from .modules import merkle
from .modules import payouts
from .modules import runtree
from .modules import tasks

initializes: hooks[tasks := tasks]
uses: (commits, payouts, tasks)


# ------------------------------------------------------------- CONSTANTS ----

MAX_URI: constant(uint256) = tasks.MAX_URI
MAX_PROOF: constant(uint256) = merkle.MAX_DEPTH


# ----------------------------------------------------------- CONSTRUCTOR ----

@deploy
def __init__(token: IERC20, parameters: tasks.IParameters, stake_manager: tasks.IStakeManager):
    """
    @param token The ERC-20 payments are made in (the stake asset).
    @param parameters The protocol parameter store.
    @param stake_manager The stake manager.
    """
    assert token.address.is_contract, "task_registry: token is not a contract"
    assert parameters.address != empty(address), "task_registry: zero parameters"
    assert stake_manager.address != empty(address), "task_registry: zero stake manager"
    hooks.__init__(token, parameters, stake_manager, msg.sender)


# -------------------------------------------------------------- EXTERNAL ----

@external
def wire(dispute_game: address):
    """
    @dev Sets the dispute game once; only the deployer, and never again.
    @param dispute_game The dispute contract, or empty if this deployment has none.
    """
    tasks._wire(dispute_game)


@external
def wire_verifier_pool(verifier_pool: address):
    """
    @dev Turns the incentive layer on: sets the verifier pool, once, only
         the deployer, and only before `wire` closes the wiring.
    @param verifier_pool The VerifierPool contract; not empty.
    """
    tasks._wire_verifier_pool(verifier_pool)


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
    return tasks._create_task(
        spec_hash,
        program_root,
        data_root,
        num_steps,
        checkpoint_interval,
        payment,
        solver_stake,
        claim_period,
        solve_period,
        header,
        header_proof,
    )


@external
def cancel_task(task_id: uint256):
    """
    @dev Ends an unclaimed task and refunds the whole payment. Submitter only.
    @param task_id The task.
    """
    tasks._cancel_task(task_id)


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
    tasks._claim_task(task_id, secret_hash)


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
    commits._commit_result(task_id, run_root, final_model_hash, final_model_proof, artifact_uri)


@external
def record_claim_seed(task_id: uint256):
    """
    @dev Records blockhash(claim_block + 1), the randomness that decides
         whether the task is a forced-error task, while the EVM still has
         it (256 blocks). Anyone may call it; `commit_result` does it too
         and cannot succeed without it.
    @param task_id The task.
    """
    commits._record_claim_seed(task_id)


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
    commits._reveal_secret(task_id, secret, run_root, final_model_hash, final_model_proof, artifact_uri)


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
    payouts._slash_unrevealed(task_id)


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
    payouts._finalize(task_id)


@external
def expire(task_id: uint256):
    """
    @dev After a missed solve deadline, slashes the task's expiry_slash_bps
         of the solver's stake (the task's treasury share to the jackpot,
         the rest to the submitter), unlocks the remainder and refunds the
         payment. Anyone may call it; the caller earns nothing.
    @param task_id The task.
    """
    payouts._expire(task_id)


@external
def on_dispute_opened(task_id: uint256, challenger: address):
    """
    @dev Hook: a dispute was opened against the task's committed result,
         within its challenge window. Blocks `finalize` until closed.
         Dispute game only.
    @param task_id The task.
    @param challenger Who opened the dispute.
    """
    hooks._on_dispute_opened(task_id, challenger)


@external
def on_dispute_closed(task_id: uint256):
    """
    @dev Hook: a dispute ended without the solver losing it (or after the
         task already ended by another dispute). Dispute game only.
    @param task_id The task.
    """
    hooks._on_dispute_closed(task_id)


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
    hooks._on_solver_lost(task_id, challenger, reason)


@external
def claim_credit() -> uint256:
    """
    @dev Pays the caller every payout credited to it (a transfer its token
         refused when it was due).
    @return The amount paid.
    """
    return payouts._claim_credit()


@view
@external
def task_header(task_id: uint256) -> uint256:
    """
    @dev The program header proved at create_task (0 for no task).
    @param task_id The task.
    @return The header record.
    """
    return tasks.headers[task_id]


@view
@external
def get_task(task_id: uint256) -> tasks.Task:
    """
    @dev Everything recorded about a task (all zero for an unknown id).
    @param task_id The task.
    @return The task record.
    """
    return tasks.tasks[task_id]


@view
@external
def incentive(task_id: uint256) -> tasks.Incentive:
    """
    @dev The incentive-layer record of a task (all zero without a verifier pool).
    @param task_id The task.
    @return secret_hash, rate_ppm, claim_block, claim_seed, attest_deadline,
            reveal_deadline, secret_deadline, revealed, forced, first_root.
    """
    return tasks.incentives[task_id]


@view
@external
def task_terms(task_id: uint256) -> tasks.Terms:
    """
    @dev The settlement terms fixed at the task's claim (all zero before).
    @param task_id The task.
    @return treasury, slash_challenger_bps, slash_treasury_bps,
            expiry_slash_bps, verification_window, reveal_window.
    """
    return tasks.terms[task_id]


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
    task: tasks.Task = tasks.tasks[task_id]
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
    return tasks.tasks[task_id].status


# The former public getters (immutables, storage), in their ABI order; like
# those getters they carry no NatSpec.

@view
@external
def TOKEN() -> IERC20:
    return tasks.TOKEN


@view
@external
def PARAMETERS() -> tasks.IParameters:
    return tasks.PARAMETERS


@view
@external
def STAKE_MANAGER() -> tasks.IStakeManager:
    return tasks.STAKE_MANAGER


@view
@external
def DEPLOYER() -> address:
    return tasks.DEPLOYER


@view
@external
def dispute_game() -> address:
    return tasks.dispute_game


@view
@external
def wired() -> bool:
    return tasks.wired


@view
@external
def verifier_pool() -> address:
    return tasks.verifier_pool


@view
@external
def artifact_uri(arg0: uint256) -> String[MAX_URI]:
    return tasks.artifact_uri[arg0]


@view
@external
def task_count() -> uint256:
    return tasks.task_count


@view
@external
def total_escrowed() -> uint256:
    return tasks.total_escrowed


@view
@external
def ended_at(arg0: uint256) -> uint256:
    return tasks.ended_at[arg0]


@view
@external
def credits(arg0: address) -> uint256:
    return payouts.credits[arg0]


@view
@external
def total_credits() -> uint256:
    return payouts.total_credits
