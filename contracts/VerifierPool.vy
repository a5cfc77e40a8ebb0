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


# --------------------------------------------------------------- MODULES ----

# One concern per module (each docstring says what it owns):
#   membership    wiring, per-task terms and stake bound, records, join
#   sampling      seeds, samples, run-tree leaf proofs
#   attestations  commit, flag, reveal
#   rewards       fee and forced-error hooks, proofs, reports, settlement,
#                 credits, sweep and the jackpot
# Events, structs and revert strings live with the code that uses them.
from .modules import attestations
from .modules import membership
from .modules import rewards
from .modules import sampling

initializes: rewards[membership := membership]
uses: (attestations, membership, sampling)


# ------------------------------------------------------------- CONSTANTS ----

MAX_SAMPLES: constant(uint256) = sampling.MAX_SAMPLES
MAX_DEPTH: constant(uint256) = sampling.MAX_DEPTH


# ----------------------------------------------------------- CONSTRUCTOR ----

@deploy
def __init__(
    token: IERC20,
    parameters: membership.IParameters,
    stake_manager: membership.IStakeManager,
    registry: membership.ITaskRegistry,
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
    rewards.__init__(token, parameters, stake_manager, registry)


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
    membership._join(task_id)


@external
def record_seed(task_id: uint256, verifier: address):
    """
    @dev Stores blockhash(join_block + 1), the verifier's sample seed, while
         the EVM still has it (256 blocks). Anyone may call it;
         `commit_attestation` does it too.
    @param task_id The task.
    @param verifier The verifier whose seed to record.
    """
    sampling._record_seed_once(task_id, verifier)


@external
def commit_attestation(task_id: uint256, commitment: bytes32):
    """
    @dev Commits keccak256(abi_encode(task_id, verifier, values, salt)), the
         values being the verifier's S_b(i) at its sampled boundaries in order.
         During the verification window, once the seed exists.
    @param task_id The task.
    @param commitment The hash.
    """
    attestations._commit_attestation(task_id, commitment)


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
    attestations._flag(task_id)


@external
def reveal(task_id: uint256, values: DynArray[bytes32, MAX_SAMPLES], salt: bytes32):
    """
    @dev Reveals the committed values, after the verification window and
         before the reveal deadline.
    @param task_id The task.
    @param values S_b(i) at each sampled boundary i, in `sample_steps` order.
    @param salt The salt of the commitment.
    """
    attestations._reveal(task_id, values, salt)


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
    rewards._on_fee(task_id, amount)


@external
def on_forced_error(task_id: uint256):
    """
    @dev Hook: the solver revealed that the task was a forced-error task.
         Fixes the task's terms; its flaggers may prove the mismatch after
         finalization. Moves no money. Registry only.
    @param task_id The task.
    """
    rewards._on_forced_error(task_id)


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
    rewards._prove(task_id, proofs)


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
    rewards._prove_mismatch(task_id, k, wrong_leaf, wrong_proof)


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
    rewards._report(task_id, verifier, k, true_leaf, proof)


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
    rewards._settle(task_id)


@external
def claim_credit(receiver: address = msg.sender) -> uint256:
    """
    @dev Pays the caller's whole credit (fee and award shares, report
         bounties) to `receiver`.
    @param receiver Who receives the tokens (the caller by default).
    @return The amount paid.
    """
    return rewards._claim_credit(receiver)


@external
def sweep(task_id: uint256):
    """
    @dev Returns what a task still owes (unclaimed fee shares and award
         dust) to the jackpot, once, after twice the task's reveal window
         past the later of its finalization and its challenge deadline.
    @param task_id The task.
    """
    rewards._sweep(task_id)


@external
def fund_jackpot(amount: uint256):
    """
    @dev Adds `amount` of the caller's tokens to the jackpot.
    @param amount Token base units; not zero.
    """
    rewards._fund_jackpot(amount)


@view
@external
def jackpot() -> uint256:
    """
    @dev Tokens held beyond what is owed to tasks and credited.
    @return The jackpot.
    """
    return rewards._jackpot()


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
    return membership._stake_for(membership._pot(fee, jackpot_share_bps, rate_ppm), rate_ppm, min_stake)


@view
@external
def verifier_stake(task_id: uint256) -> uint256:
    """
    @dev The stake a verifier of the task locks: the task's fixed terms, or
         what they would be if fixed now.
    @param task_id The task.
    @return The stake.
    """
    return membership._verifier_stake(task_id)


@view
@external
def terms_of(task_id: uint256) -> membership.Terms:
    """
    @dev The governance values fixed for a task.
    @param task_id The task.
    @return fixed, stake, samples, reveal_window, jackpot_share_bps, rate_ppm.
    """
    return membership.terms[task_id]


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
    return sampling._sample_steps(task_id, verifier)


@view
@external
def attestation(task_id: uint256, verifier: address) -> membership.Attestation:
    """
    @dev A verifier's part in a task.
    @param task_id The task.
    @param verifier The verifier.
    @return stake, join_block, seed, commitment, flagged, revealed, proven, caught, settled.
    """
    return membership.attestations[task_id][verifier]


@view
@external
def values_of(task_id: uint256, verifier: address) -> DynArray[bytes32, MAX_SAMPLES]:
    """
    @dev The values a verifier revealed.
    @param task_id The task.
    @param verifier The verifier.
    @return S_t per sample.
    """
    return attestations.revealed_values[task_id][verifier]


@view
@external
def round_of(task_id: uint256) -> membership.Round:
    """
    @dev A task's counters and money.
    @param task_id The task.
    @return verifiers, revealed, flaggers, provers, catchers, pot, award,
            reserved, finalized_at, forced, swept.
    """
    return membership.rounds[task_id]


# The former public getters (constants, immutables, storage), in their ABI
# order; like those getters they carry no NatSpec.

@view
@external
def REPORT_BOUNTY_BPS() -> uint256:
    return membership.REPORT_BOUNTY_BPS


@view
@external
def STAKE_MARGIN() -> uint256:
    return membership.STAKE_MARGIN


@view
@external
def TOKEN() -> IERC20:
    return membership.TOKEN


@view
@external
def PARAMETERS() -> membership.IParameters:
    return membership.PARAMETERS


@view
@external
def STAKE_MANAGER() -> membership.IStakeManager:
    return membership.STAKE_MANAGER


@view
@external
def REGISTRY() -> membership.ITaskRegistry:
    return membership.REGISTRY


@view
@external
def total_reserved() -> uint256:
    return rewards.total_reserved


@view
@external
def credit(arg0: address) -> uint256:
    return rewards.credit[arg0]


@view
@external
def total_credit() -> uint256:
    return rewards.total_credit
