# pragma version ^0.4.3
# pragma nonreentrancy on
"""
@title sampling
@license MIT
@notice Which boundaries of a task's run tree a verifier of the pool
        checks: its seed blockhash(join_block + 1), recorded while the EVM
        still has it (`_record_seed`), its samples (`_sample`: boundary
        indices 1..n_b - 1, `_sample_steps`), the run tree's leaf count
        (`_run_leaves`, modules/runtree.vy) and exact-height proofs of a
        sampled leaf (`_proves`, modules/merkle.vy).
@dev `initializes: membership` (so that it compiles on its own; see
     modules/membership.vy for the chain); the seed is a field of the
     verifier's `Attestation` record there.
@custom:security The seed comes from a block mined after the join, so a
     verifier cannot choose its samples; a proof must have exactly the run
     tree's height (no inner node passes as a leaf).
"""

from ethereum.ercs import IERC20
from . import membership
from . import merkle
from . import runtree

initializes: membership


# ------------------------------------------------------------------
#                              EVENTS
# ------------------------------------------------------------------

# @dev The verifier's sample seed blockhash(join_block + 1) was recorded.
event SeedRecorded:
    task_id: indexed(uint256)
    verifier: indexed(address)
    seed: bytes32


# ------------------------------------------------------------------
#                            CONSTANTS
# ------------------------------------------------------------------

# @dev Most steps one verifier samples (Parameters bound).
MAX_SAMPLES: public(constant(uint256)) = 16
# @dev Longest Merkle proof (trees of up to 2**32 leaves).
MAX_DEPTH: constant(uint256) = 32
# @dev Blocks whose hash the EVM still returns.
BLOCKHASH_WINDOW: constant(uint256) = 256


# ------------------------------------------------------------------
#                           CONSTRUCTOR
# ------------------------------------------------------------------

@deploy
def __init__(
    token: IERC20, parameters: membership.IParameters, stake_manager: membership.IStakeManager,
    registry: membership.ITaskRegistry
):
    """
    @param token The ERC-20 of stakes and payments (see modules/membership.vy).
    @param parameters The protocol parameter store.
    @param stake_manager The stake manager.
    @param registry The task registry.
    """
    membership.__init__(token, parameters, stake_manager, registry)


# ------------------------------------------------------------------
#                             INTERNAL
# ------------------------------------------------------------------

@internal
def _record_seed_once(task_id: uint256, verifier: address):
    """
    @dev The body of VerifierPool.record_seed (its NatSpec says what it does).
    """
    att: membership.Attestation = membership.attestations[task_id][verifier]
    assert att.join_block != 0, "verifier_pool: not joined"
    assert att.seed == empty(bytes32), "verifier_pool: seed already recorded"
    self._record_seed(task_id, verifier, att.join_block)


@view
@internal
def _sample_steps(task_id: uint256, verifier: address) -> DynArray[uint256, MAX_SAMPLES]:
    """
    @dev The body of VerifierPool.sample_steps (its NatSpec says what it does).
    """
    att: membership.Attestation = membership.attestations[task_id][verifier]
    assert att.join_block != 0, "verifier_pool: not joined"
    seed: bytes32 = att.seed
    if seed == empty(bytes32):
        assert block.number > att.join_block + 1, "verifier_pool: seed block not mined"
        assert block.number - att.join_block - 1 <= BLOCKHASH_WINDOW, "verifier_pool: seed block too old"
        seed = blockhash(att.join_block + 1)
    n: uint256 = self._run_leaves(staticcall membership.REGISTRY.get_task(task_id))
    out: DynArray[uint256, MAX_SAMPLES] = []
    for i: uint256 in range(MAX_SAMPLES):
        if i == membership.terms[task_id].samples:
            break
        out.append(self._sample(seed, verifier, task_id, i, n))
    return out


@internal
def _record_seed(task_id: uint256, verifier: address, join_block: uint256):
    """
    @dev Stores blockhash(join_block + 1), or reverts when the EVM lacks it.
    """
    assert block.number > join_block + 1, "verifier_pool: seed block not mined"
    assert block.number - join_block - 1 <= BLOCKHASH_WINDOW, "verifier_pool: seed block too old"
    seed: bytes32 = blockhash(join_block + 1)
    membership.attestations[task_id][verifier].seed = seed
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
def _run_leaves(task: membership.Task) -> uint256:
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
