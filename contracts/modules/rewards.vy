# pragma version ^0.4.3
# pragma nonreentrancy on
"""
@title rewards
@license MIT
@notice The pool's money: a finalized task's fee (`_on_fee`: the provers'
        pot, a forced task's award, the rest to the jackpot), the forced
        error hook (`_on_forced_error`), and in the report window the
        proofs of revealed values (`_prove`), of a caught forced error
        (`_prove_mismatch`) and of a wrong attestation (`_report`: the
        attester is slashed); then `_settle` (shares credited, stake
        unlocked or forfeited), `_claim_credit`, `_sweep` and the jackpot.
@dev `initializes: attestations` and `uses: membership` (see
     modules/membership.vy for the chain); the sampling and proof helpers
     of modules/sampling.vy are pure.
@custom:security Amounts owed (`total_reserved` for tasks, `total_credit`
     for claimable credits) never exceed the balance; the jackpot is the
     rest. No payment is pushed during settle or report.
"""

from ethereum.ercs import IERC20
from . import attestations
from . import membership
from . import sampling

initializes: attestations[membership := membership]
uses: membership


# ------------------------------------------------------------------
#                              EVENTS
# ------------------------------------------------------------------

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


# ------------------------------------------------------------------
#                            CONSTANTS
# ------------------------------------------------------------------

MAX_SAMPLES: constant(uint256) = sampling.MAX_SAMPLES
MAX_DEPTH: constant(uint256) = sampling.MAX_DEPTH
STATUS_COMMITTED: constant(uint8) = membership.STATUS_COMMITTED
STATUS_FINALIZED: constant(uint8) = membership.STATUS_FINALIZED
BPS: constant(uint256) = membership.BPS
REPORT_BOUNTY_BPS: constant(uint256) = membership.REPORT_BOUNTY_BPS


# ------------------------------------------------------------------
#                             STORAGE
# ------------------------------------------------------------------

# @dev Sum over tasks of what is still owed to their verifiers.
total_reserved: public(uint256)
# @dev What each address may withdraw with `claim_credit`.
credit: public(HashMap[address, uint256])
# @dev Sum of all credits.
total_credit: public(uint256)


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
    attestations.__init__(token, parameters, stake_manager, registry)


# ------------------------------------------------------------------
#                             INTERNAL
# ------------------------------------------------------------------

@internal
def _on_fee(task_id: uint256, amount: uint256):
    """
    @dev The body of VerifierPool.on_fee (its NatSpec says what it does).
    """
    assert msg.sender == membership.REGISTRY.address, "verifier_pool: caller is not the registry"
    terms: membership.Terms = membership._fix_terms(task_id, 0, 0)
    rnd: membership.Round = membership.rounds[task_id]
    pot: uint256 = 0
    if rnd.revealed > 0:
        pot = membership._pot(amount, terms.jackpot_share_bps, terms.rate_ppm)
    award: uint256 = 0
    if rnd.flaggers > 0 and rnd.forced:
        award = amount - pot
    membership.rounds[task_id].pot = pot
    membership.rounds[task_id].award = rnd.award + award
    membership.rounds[task_id].reserved = rnd.reserved + pot + award
    membership.rounds[task_id].finalized_at = block.timestamp
    self.total_reserved += pot + award
    log FeeReceived(task_id=task_id, amount=amount, pot=pot, award=award, to_jackpot=amount - pot - award)


@internal
def _on_forced_error(task_id: uint256):
    """
    @dev The body of VerifierPool.on_forced_error (its NatSpec says what it does).
    """
    assert msg.sender == membership.REGISTRY.address, "verifier_pool: caller is not the registry"
    membership._fix_terms(task_id, 0, 0)
    membership.rounds[task_id].forced = True
    log ForcedErrorCaught(task_id=task_id, flaggers=membership.rounds[task_id].flaggers)


@internal
def _prove(task_id: uint256, proofs: DynArray[DynArray[bytes32, MAX_DEPTH], MAX_SAMPLES]):
    """
    @dev The body of VerifierPool.prove (its NatSpec says what it does).
    """
    task: membership.Task = staticcall membership.REGISTRY.get_task(task_id)
    att: membership.Attestation = membership.attestations[task_id][msg.sender]
    self._check_report_window(task_id, task)
    assert att.revealed, "verifier_pool: not revealed"
    assert not att.proven, "verifier_pool: already proven"
    assert not att.settled, "verifier_pool: already settled"
    values: DynArray[bytes32, MAX_SAMPLES] = attestations.revealed_values[task_id][msg.sender]
    assert len(proofs) == len(values), "verifier_pool: wrong number of proofs"
    n: uint256 = sampling._run_leaves(task)
    for k: uint256 in range(MAX_SAMPLES):
        if k == len(values):
            break
        step: uint256 = sampling._sample(att.seed, msg.sender, task_id, k, n)
        assert sampling._proves(task.run_root, n, values[k], step, proofs[k]), "verifier_pool: bad proof"
    membership.attestations[task_id][msg.sender].proven = True
    membership.rounds[task_id].provers += 1
    log AttestationProved(task_id=task_id, verifier=msg.sender, caught=False)


@internal
def _prove_mismatch(task_id: uint256, k: uint256, wrong_leaf: bytes32, wrong_proof: DynArray[bytes32, MAX_DEPTH]):
    """
    @dev The body of VerifierPool.prove_mismatch (its NatSpec says what it does).
    """
    task: membership.Task = staticcall membership.REGISTRY.get_task(task_id)
    inc: membership.Incentive = staticcall membership.REGISTRY.incentive(task_id)
    att: membership.Attestation = membership.attestations[task_id][msg.sender]
    assert inc.forced, "verifier_pool: task not forced"
    self._check_report_window(task_id, task)
    assert att.flagged, "verifier_pool: not flagged"
    assert att.proven, "verifier_pool: values not proven"
    assert not att.caught, "verifier_pool: already caught"
    assert not att.settled, "verifier_pool: already settled"
    values: DynArray[bytes32, MAX_SAMPLES] = attestations.revealed_values[task_id][msg.sender]
    assert k < len(values), "verifier_pool: sample out of range"
    n: uint256 = sampling._run_leaves(task)
    step: uint256 = sampling._sample(att.seed, msg.sender, task_id, k, n)
    assert sampling._proves(inc.first_root, n, wrong_leaf, step, wrong_proof), "verifier_pool: bad proof"
    assert values[k] != wrong_leaf, "verifier_pool: no mismatch"
    membership.attestations[task_id][msg.sender].caught = True
    membership.rounds[task_id].catchers += 1
    log AttestationProved(task_id=task_id, verifier=msg.sender, caught=True)


@internal
def _report(
    task_id: uint256,
    verifier: address,
    k: uint256,
    true_leaf: bytes32,
    proof: DynArray[bytes32, MAX_DEPTH],
):
    """
    @dev The body of VerifierPool.report (its NatSpec says what it does).
    """
    task: membership.Task = staticcall membership.REGISTRY.get_task(task_id)
    inc: membership.Incentive = staticcall membership.REGISTRY.incentive(task_id)
    att: membership.Attestation = membership.attestations[task_id][verifier]
    assert inc.forced, "verifier_pool: task not forced"
    self._check_report_window(task_id, task)
    assert verifier != msg.sender, "verifier_pool: cannot report itself"
    assert att.revealed, "verifier_pool: not revealed"
    assert not att.settled, "verifier_pool: already settled"
    values: DynArray[bytes32, MAX_SAMPLES] = attestations.revealed_values[task_id][verifier]
    assert k < len(values), "verifier_pool: sample out of range"
    n: uint256 = sampling._run_leaves(task)
    step: uint256 = sampling._sample(att.seed, verifier, task_id, k, n)
    assert sampling._proves(task.run_root, n, true_leaf, step, proof), "verifier_pool: bad proof"
    assert values[k] != true_leaf, "verifier_pool: attested value is right"
    membership.attestations[task_id][verifier].settled = True
    amount: uint256 = min(att.stake, staticcall membership.STAKE_MANAGER.locked_for_task(verifier, task_id))
    bounty: uint256 = 0
    to_award: uint256 = 0
    if amount > 0:
        extcall membership.STAKE_MANAGER.slash(verifier, task_id, [self], [amount])
        bounty = amount * REPORT_BOUNTY_BPS // BPS
        self._credit(msg.sender, bounty)
        if membership.rounds[task_id].flaggers > 0:
            to_award = amount - bounty
            membership.rounds[task_id].award += to_award
            membership.rounds[task_id].reserved += to_award
            self.total_reserved += to_award
    log AttesterSlashed(
        task_id=task_id, verifier=verifier, whistleblower=msg.sender, amount=amount, bounty=bounty, to_award=to_award
    )


@internal
def _settle(task_id: uint256):
    """
    @dev The body of VerifierPool.settle (its NatSpec says what it does).
    """
    task: membership.Task = staticcall membership.REGISTRY.get_task(task_id)
    inc: membership.Incentive = staticcall membership.REGISTRY.incentive(task_id)
    att: membership.Attestation = membership.attestations[task_id][msg.sender]
    rnd: membership.Round = membership.rounds[task_id]
    assert att.join_block != 0, "verifier_pool: not joined"
    assert not att.settled, "verifier_pool: already settled"
    assert task.status > STATUS_COMMITTED, "verifier_pool: task not ended"
    finalized: bool = task.status == STATUS_FINALIZED
    if finalized:
        assert (
            block.timestamp > rnd.finalized_at + membership.terms[task_id].reveal_window
        ), "verifier_pool: report window open"
    membership.attestations[task_id][msg.sender].settled = True

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
        membership.rounds[task_id].reserved = rnd.reserved - paid
        self.total_reserved -= paid
        self._credit(msg.sender, paid)

    locked: uint256 = min(att.stake, staticcall membership.STAKE_MANAGER.locked_for_task(msg.sender, task_id))
    if locked > 0:
        if finalized and att.flagged and not inc.forced:
            forfeited = locked
            extcall membership.STAKE_MANAGER.slash(msg.sender, task_id, [self], [locked])
        else:
            extcall membership.STAKE_MANAGER.unlock(msg.sender, task_id, locked)
    log VerifierSettled(
        task_id=task_id, verifier=msg.sender, fee_share=fee_share, award_share=award_share, forfeited=forfeited
    )


@internal
def _claim_credit(receiver: address) -> uint256:
    """
    @dev The body of VerifierPool.claim_credit (its NatSpec says what it does).
    """
    amount: uint256 = self.credit[msg.sender]
    assert amount > 0, "verifier_pool: nothing to claim"
    assert receiver != empty(address), "verifier_pool: zero receiver"
    self.credit[msg.sender] = 0
    self.total_credit -= amount
    self._push(receiver, amount)
    log CreditClaimed(owner=msg.sender, receiver=receiver, amount=amount)
    return amount


@internal
def _sweep(task_id: uint256):
    """
    @dev The body of VerifierPool.sweep (its NatSpec says what it does).
    """
    task: membership.Task = staticcall membership.REGISTRY.get_task(task_id)
    rnd: membership.Round = membership.rounds[task_id]
    assert task.status > STATUS_COMMITTED, "verifier_pool: task not ended"
    assert not rnd.swept, "verifier_pool: already swept"
    start: uint256 = max(rnd.finalized_at, convert(task.challenge_deadline, uint256))
    assert (
        block.timestamp > start + 2 * membership.terms[task_id].reveal_window
    ), "verifier_pool: claim window open"
    membership.rounds[task_id].swept = True
    membership.rounds[task_id].reserved = 0
    self.total_reserved -= rnd.reserved
    log TaskSwept(task_id=task_id, caller=msg.sender, amount=rnd.reserved)


@internal
def _fund_jackpot(amount: uint256):
    """
    @dev The body of VerifierPool.fund_jackpot (its NatSpec says what it does).
    """
    assert amount > 0, "verifier_pool: zero amount"
    self._pull(msg.sender, amount)
    log JackpotFunded(funder=msg.sender, amount=amount)


@view
@internal
def _jackpot() -> uint256:
    return staticcall membership.TOKEN.balanceOf(self) - self.total_reserved - self.total_credit


@internal
def _credit(who: address, amount: uint256):
    if amount > 0:
        self.credit[who] += amount
        self.total_credit += amount


@view
@internal
def _check_report_window(task_id: uint256, task: membership.Task):
    """
    @dev The task is finalized and its report window (R of its terms after
         the finalization) is open.
    """
    assert task.status == STATUS_FINALIZED, "verifier_pool: task not finalized"
    assert (
        block.timestamp <= membership.rounds[task_id].finalized_at + membership.terms[task_id].reveal_window
    ), "verifier_pool: report window closed"


@internal
def _pull(sender: address, amount: uint256):
    ok: bool = False
    res: Bytes[32] = b""
    ok, res = raw_call(
        membership.TOKEN.address,
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
        membership.TOKEN.address,
        abi_encode(to, amount, method_id=method_id("transfer(address,uint256)")),
        max_outsize=32,
        revert_on_failure=False,
    )
    assert ok and (len(res) == 0 or convert(res, bool)), "verifier_pool: token transfer failed"
