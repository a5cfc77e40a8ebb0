# pragma version ^0.4.3
# pragma nonreentrancy on
"""
@title attestations
@license MIT
@notice What a verifier of the pool says about a committed task during
        its verification window: the commitment to its sampled boundary
        step roots (`_commit_attestation`, keccak256(abi_encode(task_id,
        verifier, values, salt))), its flag that the result is wrong
        (`_flag`), and after the window the reveal of the values
        (`_reveal`, stored in `revealed_values`).
@dev `initializes: sampling` (a commit records the seed when nobody did)
     and `uses: membership` (the records); see modules/membership.vy for
     the chain.
@custom:security A verifier commits before anything is revealed and
     reveals only after the window: nobody can copy another's values.
"""

from ethereum.ercs import IERC20
from . import membership
from . import sampling

initializes: sampling
uses: membership


# ------------------------------------------------------------------
#                              EVENTS
# ------------------------------------------------------------------

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


# ------------------------------------------------------------------
#                            CONSTANTS
# ------------------------------------------------------------------

MAX_SAMPLES: constant(uint256) = sampling.MAX_SAMPLES


# ------------------------------------------------------------------
#                             STORAGE
# ------------------------------------------------------------------

# @dev Revealed values by task and verifier.
revealed_values: public(HashMap[uint256, HashMap[address, DynArray[bytes32, MAX_SAMPLES]]])


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
    sampling.__init__(token, parameters, stake_manager, registry)


# ------------------------------------------------------------------
#                             INTERNAL
# ------------------------------------------------------------------

@internal
def _commit_attestation(task_id: uint256, commitment: bytes32):
    """
    @dev The body of VerifierPool.commit_attestation (its NatSpec says what it does).
    """
    att: membership.Attestation = membership.attestations[task_id][msg.sender]
    assert att.join_block != 0, "verifier_pool: not joined"
    inc: membership.Incentive = staticcall membership.REGISTRY.incentive(task_id)
    assert block.timestamp <= convert(inc.attest_deadline, uint256), "verifier_pool: verification window closed"
    assert commitment != empty(bytes32), "verifier_pool: zero commitment"
    assert att.commitment == empty(bytes32), "verifier_pool: already committed"
    if att.seed == empty(bytes32):
        sampling._record_seed(task_id, msg.sender, att.join_block)
    membership.attestations[task_id][msg.sender].commitment = commitment
    log AttestationCommitted(task_id=task_id, verifier=msg.sender, commitment=commitment)


@internal
def _flag(task_id: uint256):
    """
    @dev The body of VerifierPool.flag (its NatSpec says what it does).
    """
    att: membership.Attestation = membership.attestations[task_id][msg.sender]
    assert att.join_block != 0, "verifier_pool: not joined"
    inc: membership.Incentive = staticcall membership.REGISTRY.incentive(task_id)
    assert block.timestamp <= convert(inc.attest_deadline, uint256), "verifier_pool: verification window closed"
    assert not att.flagged, "verifier_pool: already flagged"
    membership.attestations[task_id][msg.sender].flagged = True
    flaggers: uint256 = membership.rounds[task_id].flaggers + 1
    membership.rounds[task_id].flaggers = flaggers
    log ResultFlagged(task_id=task_id, verifier=msg.sender, flaggers=flaggers)


@internal
def _reveal(task_id: uint256, values: DynArray[bytes32, MAX_SAMPLES], salt: bytes32):
    """
    @dev The body of VerifierPool.reveal (its NatSpec says what it does).
    """
    att: membership.Attestation = membership.attestations[task_id][msg.sender]
    assert att.join_block != 0, "verifier_pool: not joined"
    assert att.commitment != empty(bytes32), "verifier_pool: nothing committed"
    assert not att.revealed, "verifier_pool: already revealed"
    inc: membership.Incentive = staticcall membership.REGISTRY.incentive(task_id)
    assert block.timestamp > convert(inc.attest_deadline, uint256), "verifier_pool: verification window open"
    assert block.timestamp <= convert(inc.reveal_deadline, uint256), "verifier_pool: reveal window closed"
    assert len(values) == membership.terms[task_id].samples, "verifier_pool: wrong number of values"
    assert (
        keccak256(abi_encode(task_id, msg.sender, values, salt)) == att.commitment
    ), "verifier_pool: commitment mismatch"
    membership.attestations[task_id][msg.sender].revealed = True
    self.revealed_values[task_id][msg.sender] = values
    membership.rounds[task_id].revealed += 1
    log AttestationRevealed(task_id=task_id, verifier=msg.sender, values=values)
