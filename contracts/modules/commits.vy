# pragma version ^0.4.3
# pragma nonreentrancy on
"""
@title commits
@license MIT
@notice What a solver commits and how it is checked: `_commit_result`
        (the run root, with the final model proved as S_T, the last leaf
        of the run tree, by `_check_final_model` with exactly depth(n_b)
        siblings), the claim seed that decides a forced-error task
        (`_record_seed`, `_record_claim_seed`) and `_reveal_secret` (a
        forced task's true root replaces the committed wrong one;
        `_is_forced`).
@dev `initializes: tasks` (the records it writes); see modules/tasks.vy
     for the chain. The verifier pool is told of a forced error here.
@custom:security No inner node, root or value below a leaf passes as the
     final model: the proof's length is the run tree's exact height.
"""

from ethereum.ercs import IERC20

from . import merkle
from . import runtree
from . import tasks

initializes: tasks


# ------------------------------------------------------------------
#                              EVENTS
# ------------------------------------------------------------------

# @dev The solver committed its run.
event ResultCommitted:
    task_id: indexed(uint256)
    solver: indexed(address)
    run_root: bytes32
    final_model_hash: bytes32
    artifact_uri: String[256]
    challenge_deadline: uint256


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


# ------------------------------------------------------------------
#                            CONSTANTS
# ------------------------------------------------------------------

STATUS_CLAIMED: constant(uint8) = tasks.STATUS_CLAIMED
STATUS_COMMITTED: constant(uint8) = tasks.STATUS_COMMITTED
PPM: constant(uint256) = tasks.PPM
BLOCKHASH_WINDOW: constant(uint256) = tasks.BLOCKHASH_WINDOW
MAX_URI: constant(uint256) = tasks.MAX_URI
# @dev Longest Merkle proof (trees of up to 2**32 leaves).
MAX_PROOF: public(constant(uint256)) = merkle.MAX_DEPTH


# ------------------------------------------------------------------
#                           CONSTRUCTOR
# ------------------------------------------------------------------

@deploy
def __init__(token: IERC20, parameters: tasks.IParameters, stake_manager: tasks.IStakeManager, deployer: address):
    """
    @param token The ERC-20 payments are made in (see modules/tasks.vy).
    @param parameters The protocol parameter store.
    @param stake_manager The stake manager.
    @param deployer The only address that may wire the registry.
    """
    tasks.__init__(token, parameters, stake_manager, deployer)


# ------------------------------------------------------------------
#                             INTERNAL
# ------------------------------------------------------------------

@internal
def _commit_result(
    task_id: uint256,
    run_root: bytes32,
    final_model_hash: bytes32,
    final_model_proof: DynArray[bytes32, MAX_PROOF],
    artifact_uri: String[MAX_URI],
):
    """
    @dev The body of TaskRegistry.commit_result (its NatSpec says what it does).
    """
    task: tasks.Task = tasks.tasks[task_id]
    assert task.status == STATUS_CLAIMED, "task_registry: task not claimed"
    assert msg.sender == task.solver, "task_registry: caller is not the solver"
    assert block.timestamp <= convert(task.solve_deadline, uint256), "task_registry: solve deadline passed"
    assert run_root != empty(bytes32), "task_registry: zero run root"
    assert final_model_hash != empty(bytes32), "task_registry: zero model hash"
    self._check_final_model(task.num_steps, task.checkpoint_interval, run_root, final_model_hash, final_model_proof)
    challenge_deadline: uint64 = convert(block.timestamp, uint64) + task.challenge_window
    if tasks.verifier_pool != empty(address):
        challenge_deadline = 0
        self._record_seed(task_id)
        terms: tasks.Terms = tasks.terms[task_id]
        attest: uint64 = convert(block.timestamp + terms.verification_window, uint64)
        reveal: uint64 = attest + convert(terms.reveal_window, uint64)
        tasks.incentives[task_id].attest_deadline = attest
        tasks.incentives[task_id].reveal_deadline = reveal
        tasks.incentives[task_id].secret_deadline = reveal + convert(terms.reveal_window, uint64)
        tasks.incentives[task_id].first_root = run_root
    tasks.tasks[task_id].status = STATUS_COMMITTED
    tasks.tasks[task_id].run_root = run_root
    tasks.tasks[task_id].final_model_hash = final_model_hash
    tasks.tasks[task_id].challenge_deadline = challenge_deadline
    tasks.artifact_uri[task_id] = artifact_uri
    log ResultCommitted(
        task_id=task_id,
        solver=msg.sender,
        run_root=run_root,
        final_model_hash=final_model_hash,
        artifact_uri=artifact_uri,
        challenge_deadline=convert(challenge_deadline, uint256),
    )


@internal
def _record_claim_seed(task_id: uint256):
    """
    @dev The body of TaskRegistry.record_claim_seed (its NatSpec says what it does).
    """
    assert tasks.verifier_pool != empty(address), "task_registry: no verifier pool"
    assert tasks.tasks[task_id].status == STATUS_CLAIMED, "task_registry: task not claimed"
    assert tasks.incentives[task_id].claim_seed == empty(bytes32), "task_registry: seed already recorded"
    self._record_seed(task_id)


@internal
def _reveal_secret(
    task_id: uint256,
    secret: bytes32,
    run_root: bytes32,
    final_model_hash: bytes32,
    final_model_proof: DynArray[bytes32, MAX_PROOF],
    artifact_uri: String[MAX_URI],
):
    """
    @dev The body of TaskRegistry.reveal_secret (its NatSpec says what it does).
    """
    assert tasks.verifier_pool != empty(address), "task_registry: no verifier pool"
    task: tasks.Task = tasks.tasks[task_id]
    inc: tasks.Incentive = tasks.incentives[task_id]
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
        tasks.tasks[task_id].run_root = run_root
        tasks.tasks[task_id].final_model_hash = final_model_hash
        tasks.artifact_uri[task_id] = artifact_uri
    else:
        assert run_root == task.run_root, "task_registry: root changed without forced error"
    challenge_deadline: uint64 = convert(block.timestamp, uint64) + task.challenge_window
    tasks.tasks[task_id].challenge_deadline = challenge_deadline
    tasks.incentives[task_id].revealed = True
    tasks.incentives[task_id].forced = forced
    log SecretRevealed(
        task_id=task_id,
        solver=msg.sender,
        forced=forced,
        wrong_root=inc.first_root if forced else empty(bytes32),
        run_root=run_root,
        challenge_deadline=convert(challenge_deadline, uint256),
    )
    if forced:
        extcall tasks.IVerifierPool(tasks.verifier_pool).on_forced_error(task_id)


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
    if tasks.incentives[task_id].claim_seed != empty(bytes32):
        return
    seed_block: uint256 = tasks.incentives[task_id].claim_block + 1
    assert block.number > seed_block, "task_registry: seed block not mined"
    assert block.number - seed_block <= BLOCKHASH_WINDOW, "task_registry: claim seed lapsed"
    seed: bytes32 = blockhash(seed_block)
    tasks.incentives[task_id].claim_seed = seed
    log ClaimSeedRecorded(task_id=task_id, caller=msg.sender, seed=seed)


@pure
@internal
def _is_forced(inc: tasks.Incentive, secret: bytes32) -> bool:
    """
    @dev keccak256(secret || seed) mod 1e6 < rate_ppm. The seed is always
         recorded by the time of a reveal (`commit_result` requires it).
    """
    assert inc.claim_seed != empty(bytes32), "task_registry: claim seed not recorded"
    return convert(keccak256(concat(secret, inc.claim_seed)), uint256) % PPM < inc.rate_ppm
