# pragma version ^0.4.3
# pragma nonreentrancy on
"""
@title hooks
@license MIT
@notice The dispute game's hooks into the registry: a dispute opened
        (`_on_dispute_opened`: within the challenge window, after the
        secret; blocks `finalize`), closed without the solver losing
        (`_on_dispute_closed`), or lost by the solver (`_on_solver_lost`:
        the task ends REJECTED, the solver's stake slashed, the
        challenger paid its share, at most TIMEOUT_BOUNTY_BPS for a win
        by timeout, the submitter refunded).
@dev `initializes: payouts` and `uses: tasks` (see modules/tasks.vy for
     the chain). Only the wired dispute game may call them
     (`_check_dispute_game`).
@custom:security An unproven win (a timeout) pays the challenger at most
     TIMEOUT_BOUNTY_BPS, so a sybil challenger gains nothing by beating
     its own solver that way.
"""

from ethereum.ercs import IERC20

from . import payouts
from . import tasks

initializes: payouts[tasks := tasks]
uses: tasks


# ------------------------------------------------------------------
#                              EVENTS
# ------------------------------------------------------------------

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


# ------------------------------------------------------------------
#                            CONSTANTS
# ------------------------------------------------------------------

STATUS_COMMITTED: constant(uint8) = tasks.STATUS_COMMITTED
STATUS_REJECTED: constant(uint8) = tasks.STATUS_REJECTED
BPS: constant(uint256) = tasks.BPS
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
TIMEOUT_BOUNTY_BPS: public(constant(uint256)) = 500


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
    payouts.__init__(token, parameters, stake_manager, deployer)


# ------------------------------------------------------------------
#                             INTERNAL
# ------------------------------------------------------------------

@internal
def _on_dispute_opened(task_id: uint256, challenger: address):
    """
    @dev The body of TaskRegistry.on_dispute_opened (its NatSpec says what it does).
    """
    self._check_dispute_game()
    task: tasks.Task = tasks.tasks[task_id]
    assert task.status == STATUS_COMMITTED, "task_registry: task not committed"
    if tasks.verifier_pool != empty(address):
        assert tasks.incentives[task_id].revealed, "task_registry: secret not revealed"
    assert (
        block.timestamp <= convert(task.challenge_deadline, uint256)
    ), "task_registry: challenge window closed"
    open_disputes: uint32 = task.open_disputes + 1
    tasks.tasks[task_id].open_disputes = open_disputes
    log DisputeOpened(task_id=task_id, challenger=challenger, open_disputes=convert(open_disputes, uint256))


@internal
def _on_dispute_closed(task_id: uint256):
    """
    @dev The body of TaskRegistry.on_dispute_closed (its NatSpec says what it does).
    """
    self._check_dispute_game()
    open_disputes: uint32 = tasks.tasks[task_id].open_disputes
    assert open_disputes > 0, "task_registry: no open dispute"
    open_disputes -= 1
    tasks.tasks[task_id].open_disputes = open_disputes
    log DisputeClosed(task_id=task_id, dispute_game=msg.sender, open_disputes=convert(open_disputes, uint256))


@internal
def _on_solver_lost(task_id: uint256, challenger: address, reason: uint256):
    """
    @dev The body of TaskRegistry.on_solver_lost (its NatSpec says what it does).
    """
    self._check_dispute_game()
    task: tasks.Task = tasks.tasks[task_id]
    assert task.status == STATUS_COMMITTED, "task_registry: task not committed"
    assert task.open_disputes > 0, "task_registry: no open dispute"
    assert challenger != empty(address), "task_registry: zero challenger"
    tasks.tasks[task_id].open_disputes = task.open_disputes - 1
    tasks._end(task_id, STATUS_REJECTED, task.payment)

    terms: tasks.Terms = tasks.terms[task_id]
    stake: uint256 = task.solver_stake
    share_bps: uint256 = terms.slash_challenger_bps
    if reason != REASON_ONESTEP and reason != REASON_PADDING and reason != REASON_START:
        share_bps = min(share_bps, TIMEOUT_BOUNTY_BPS)
    to_challenger: uint256 = stake * share_bps // BPS
    to_jackpot: uint256 = stake * terms.slash_treasury_bps // BPS
    payouts._slash(task_id, task.solver, stake, to_jackpot)
    payouts._pay(task_id, challenger, to_challenger)
    payouts._pay(task_id, task.submitter, task.payment + stake - to_challenger - to_jackpot)
    log payouts.TaskRejected(
        task_id=task_id, challenger=challenger, solver=task.solver, slashed=stake, refund=task.payment
    )


@view
@internal
def _check_dispute_game():
    assert (
        msg.sender == tasks.dispute_game and msg.sender != empty(address)
    ), "task_registry: caller is not the dispute game"
