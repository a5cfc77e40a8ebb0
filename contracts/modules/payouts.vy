# pragma version ^0.4.3
# pragma nonreentrancy on
"""
@title payouts
@license MIT
@notice Where a task's money goes when it ends: `_finalize` (the solver
        paid, the fee to the verifier pool or the treasury, the stake
        unlocked), `_expire` and `_slash_unrevealed` (the solver slashed,
        the submitter refunded), and the payout primitives every ending
        uses: `_slash` (the jackpot share to the pool), `_pay` (pushed,
        or credited when the token refuses), `_release` and the credits
        (`_claim_credit`).
@dev `initializes: commits` and `uses: tasks` (see modules/tasks.vy for
     the chain); the dispute hooks (modules/hooks.vy) settle a lost
     dispute with `_slash` and `_pay`.
@custom:security A payout the token refuses is credited and pulled with
     `claim_credit`, so no recipient can block a settlement; the token
     balance of the registry equals total_escrowed + total_credits.
"""

from ethereum.ercs import IERC20

from . import commits
from . import tasks

initializes: commits
uses: tasks


# ------------------------------------------------------------------
#                              EVENTS
# ------------------------------------------------------------------

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


# @dev The solver lost a dispute: slashed, the submitter refunded.
event TaskRejected:
    task_id: indexed(uint256)
    challenger: indexed(address)
    solver: indexed(address)
    slashed: uint256
    refund: uint256


# @dev The solver never revealed its secret: slashed, the submitter refunded.
event SecretWithheld:
    task_id: indexed(uint256)
    caller: indexed(address)
    solver: indexed(address)
    slashed: uint256
    refund: uint256


# @dev A payout to `account` could not be pushed (or is never pushed): it waits in `credits`.
event Credited:
    task_id: indexed(uint256)
    account: indexed(address)
    amount: uint256


# @dev `account` pulled its credits.
event CreditClaimed:
    account: indexed(address)
    amount: uint256


# ------------------------------------------------------------------
#                            CONSTANTS
# ------------------------------------------------------------------

STATUS_CLAIMED: constant(uint8) = tasks.STATUS_CLAIMED
STATUS_COMMITTED: constant(uint8) = tasks.STATUS_COMMITTED
STATUS_FINALIZED: constant(uint8) = tasks.STATUS_FINALIZED
STATUS_EXPIRED: constant(uint8) = tasks.STATUS_EXPIRED
STATUS_REJECTED: constant(uint8) = tasks.STATUS_REJECTED
BPS: constant(uint256) = tasks.BPS


# ------------------------------------------------------------------
#                             STORAGE
# ------------------------------------------------------------------

# @dev Payouts waiting to be pulled with `claim_credit`, per account.
credits: public(HashMap[address, uint256])
# @dev Sum of `credits`; the token balance is total_escrowed + total_credits.
total_credits: public(uint256)


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
    commits.__init__(token, parameters, stake_manager, deployer)


# ------------------------------------------------------------------
#                             INTERNAL
# ------------------------------------------------------------------

@internal
def _slash_unrevealed(task_id: uint256):
    """
    @dev The body of TaskRegistry.slash_unrevealed (its NatSpec says what it does).
    """
    assert tasks.verifier_pool != empty(address), "task_registry: no verifier pool"
    task: tasks.Task = tasks.tasks[task_id]
    assert task.status == STATUS_COMMITTED, "task_registry: task not committed"
    assert not tasks.incentives[task_id].revealed, "task_registry: secret already revealed"
    assert (
        block.timestamp > convert(tasks.incentives[task_id].secret_deadline, uint256)
    ), "task_registry: secret deadline not passed"
    tasks._end(task_id, STATUS_REJECTED, task.payment)
    stake: uint256 = task.solver_stake
    to_jackpot: uint256 = stake * tasks.terms[task_id].slash_treasury_bps // BPS
    self._slash(task_id, task.solver, stake, to_jackpot)
    self._pay(task_id, task.submitter, task.payment + stake - to_jackpot)
    log SecretWithheld(
        task_id=task_id, caller=msg.sender, solver=task.solver, slashed=stake, refund=task.payment
    )
    log TaskRejected(
        task_id=task_id, challenger=empty(address), solver=task.solver, slashed=stake, refund=task.payment
    )


@internal
def _finalize(task_id: uint256):
    """
    @dev The body of TaskRegistry.finalize (its NatSpec says what it does).
    """
    task: tasks.Task = tasks.tasks[task_id]
    assert task.status == STATUS_COMMITTED, "task_registry: task not committed"
    assert (
        block.timestamp > convert(task.challenge_deadline, uint256)
    ), "task_registry: challenge window open"
    assert task.open_disputes == 0, "task_registry: dispute open"
    pool: address = tasks.verifier_pool
    if pool != empty(address):
        assert tasks.incentives[task_id].revealed, "task_registry: secret not revealed"
    tasks._end(task_id, STATUS_FINALIZED, task.payment)
    self._release(task.solver, task_id, task.solver_stake)
    paid: uint256 = task.payment - task.fee
    self._pay(task_id, task.solver, paid)
    if pool != empty(address):
        if task.fee > 0:
            tasks._push(pool, task.fee)
        extcall tasks.IVerifierPool(pool).on_fee(task_id, task.fee)
    else:
        self._pay(task_id, tasks.terms[task_id].treasury, task.fee)
    log TaskFinalized(task_id=task_id, caller=msg.sender, solver=task.solver, paid=paid, fee=task.fee)


@internal
def _expire(task_id: uint256):
    """
    @dev The body of TaskRegistry.expire (its NatSpec says what it does).
    """
    task: tasks.Task = tasks.tasks[task_id]
    assert task.status == STATUS_CLAIMED, "task_registry: task not claimed"
    assert (
        block.timestamp > convert(task.solve_deadline, uint256)
    ), "task_registry: solve deadline not passed"
    tasks._end(task_id, STATUS_EXPIRED, task.payment)
    terms: tasks.Terms = tasks.terms[task_id]
    slashed: uint256 = task.solver_stake * terms.expiry_slash_bps // BPS
    to_jackpot: uint256 = slashed * terms.slash_treasury_bps // BPS
    self._slash(task_id, task.solver, slashed, to_jackpot)
    self._release(task.solver, task_id, task.solver_stake - slashed)
    self._pay(task_id, task.submitter, task.payment + slashed - to_jackpot)
    log TaskExpired(
        task_id=task_id, caller=msg.sender, solver=task.solver, slashed=slashed, refund=task.payment
    )


@internal
def _claim_credit() -> uint256:
    """
    @dev The body of TaskRegistry.claim_credit (its NatSpec says what it does).
    """
    amount: uint256 = self.credits[msg.sender]
    assert amount > 0, "task_registry: no credit"
    self.credits[msg.sender] = 0
    self.total_credits -= amount
    tasks._push(msg.sender, amount)
    log CreditClaimed(account=msg.sender, amount=amount)
    return amount


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
    pool: address = tasks.verifier_pool
    if pool != empty(address):
        extcall tasks.STAKE_MANAGER.slash(solver, task_id, [pool, self], [to_jackpot, amount - to_jackpot])
    else:
        extcall tasks.STAKE_MANAGER.slash(solver, task_id, [self], [amount])
        self._pay(task_id, tasks.terms[task_id].treasury, to_jackpot)


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
        tasks.TOKEN.address,
        abi_encode(to, amount, method_id=method_id("transfer(address,uint256)")),
        max_outsize=32,
        revert_on_failure=False,
    )
    if ok and (len(res) == 0 or convert(res, bool)):
        return
    self.credits[to] += amount
    self.total_credits += amount
    log Credited(task_id=task_id, account=to, amount=amount)


@internal
def _release(solver: address, task_id: uint256, amount: uint256):
    """
    @dev Unlocks up to `amount` of the solver's lock for the task: never
         more than is still locked, so a slash by the dispute game in the
         meantime cannot leave the task stuck.
    """
    to_unlock: uint256 = min(amount, staticcall tasks.STAKE_MANAGER.locked_for_task(solver, task_id))
    if to_unlock > 0:
        extcall tasks.STAKE_MANAGER.unlock(solver, task_id, to_unlock)
