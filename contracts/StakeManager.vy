# pragma version ^0.4.3
# pragma nonreentrancy on
"""
@title Stake manager
@license MIT
@notice Holds the stakes of solvers and verifiers in one ERC-20. A staker
        bonds, requests an unbond (which starts the unbonding delay) and
        withdraws after the delay. The task registry, the dispute game and the verifier pool
        (the "operators", wired once after deployment) lock stake per task,
        unlock it, and slash it to recipients they name.
@custom:security Locked stake can never be unbonded or withdrawn: only free
        stake (bonded minus locked) can be moved to unbonding. Slashing takes
        from the task's lock first, then free stake, then stake waiting to
        unbond, so nobody escapes a slash by unbonding. The token balance of
        this contract always equals total_bonded + total_unbonding.
        Governance has no function here.
"""

from ethereum.ercs import IERC20


# ------------------------------------------------------------ INTERFACES ----

interface IParameters:
    def unbonding_delay() -> uint256: view


# ---------------------------------------------------------------- EVENTS ----

# @dev `staker` bonded `amount` more.
event StakeBonded:
    staker: indexed(address)
    amount: uint256


# @dev `staker` moved `amount` from free stake to unbonding until `release_at`.
event UnbondRequested:
    staker: indexed(address)
    amount: uint256
    release_at: uint256


# @dev `staker` withdrew `amount` of unbonded stake.
event StakeWithdrawn:
    staker: indexed(address)
    amount: uint256


# @dev An operator locked `amount` of `staker`'s stake for a task.
event StakeLocked:
    staker: indexed(address)
    task_id: indexed(uint256)
    operator: indexed(address)
    amount: uint256


# @dev An operator released `amount` of `staker`'s lock for a task.
event StakeUnlocked:
    staker: indexed(address)
    task_id: indexed(uint256)
    operator: indexed(address)
    amount: uint256


# @dev An operator slashed `amount` of `staker`'s stake, paid to `recipient`.
event StakeSlashed:
    staker: indexed(address)
    task_id: indexed(uint256)
    recipient: indexed(address)
    amount: uint256


# @dev The verifier pool was made an operator (once, before `wire`).
event VerifierPoolWired:
    verifier_pool: indexed(address)


# @dev The operators were wired (once).
event OperatorsWired:
    registry: indexed(address)
    dispute_game: indexed(address)


# ------------------------------------------------------------- CONSTANTS ----

# @dev Most recipients one slash may pay.
MAX_RECIPIENTS: constant(uint256) = 4


# --------------------------------------------------------------- STORAGE ----

# @dev The stake asset.
TOKEN: public(immutable(IERC20))
# @dev The parameter store (unbonding delay).
PARAMETERS: public(immutable(IParameters))
# @dev The only address that may wire the operators, once.
DEPLOYER: public(immutable(address))

# @dev The task registry, allowed to lock, unlock and slash.
registry: public(address)
# @dev The dispute game, allowed to lock, unlock and slash (may be empty).
dispute_game: public(address)
# @dev The verifier pool (incentive layer), allowed to lock, unlock and slash (may be empty).
verifier_pool: public(address)
# @dev True once the operators are set; they can never change again.
wired: public(bool)

# @dev Bonded stake per staker, locked part included.
bonded: public(HashMap[address, uint256])
# @dev Locked stake per staker, all tasks together.
locked: public(HashMap[address, uint256])
# @dev Locked stake per staker and task.
locked_for_task: public(HashMap[address, HashMap[uint256, uint256]])
# @dev Stake waiting out the unbonding delay, per staker.
unbonding: public(HashMap[address, uint256])
# @dev When the stake waiting to unbond may be withdrawn.
unbonding_release_at: public(HashMap[address, uint256])

# @dev Sum of `bonded` over all stakers.
total_bonded: public(uint256)
# @dev Sum of `unbonding` over all stakers.
total_unbonding: public(uint256)


# ----------------------------------------------------------- CONSTRUCTOR ----

@deploy
def __init__(token: IERC20, parameters: IParameters):
    """
    @param token The ERC-20 staked.
    @param parameters The protocol parameter store.
    """
    assert token.address.is_contract, "stake_manager: token is not a contract"
    assert parameters.address != empty(address), "stake_manager: zero parameters"
    TOKEN = token
    PARAMETERS = parameters
    DEPLOYER = msg.sender


# -------------------------------------------------------------- EXTERNAL ----

@external
def wire(registry: address, dispute_game: address):
    """
    @dev Sets the operators once; only the deployer, and never again.
    @param registry The task registry (required).
    @param dispute_game The dispute game, or empty if this deployment has none.
    """
    assert msg.sender == DEPLOYER, "stake_manager: caller is not the deployer"
    assert not self.wired, "stake_manager: already wired"
    assert registry != empty(address), "stake_manager: zero registry"
    self.registry = registry
    self.dispute_game = dispute_game
    self.wired = True
    log OperatorsWired(registry=registry, dispute_game=dispute_game)


@external
def wire_verifier_pool(verifier_pool: address):
    """
    @dev Adds the verifier pool (incentive layer) as a third operator. Only
         the deployer, at most once, and only before `wire`, which closes
         the operator set for good.
    @param verifier_pool The VerifierPool contract; not empty.
    """
    assert msg.sender == DEPLOYER, "stake_manager: caller is not the deployer"
    assert not self.wired, "stake_manager: already wired"
    assert self.verifier_pool == empty(address), "stake_manager: verifier pool already wired"
    assert verifier_pool != empty(address), "stake_manager: zero verifier pool"
    self.verifier_pool = verifier_pool
    log VerifierPoolWired(verifier_pool=verifier_pool)


@external
def bond(amount: uint256):
    """
    @dev Pulls `amount` of the token from the caller and bonds it.
    @param amount Token base units; not zero.
    """
    assert amount > 0, "stake_manager: zero amount"
    self._pull(msg.sender, amount)
    self.bonded[msg.sender] += amount
    self.total_bonded += amount
    log StakeBonded(staker=msg.sender, amount=amount)


@external
def request_unbond(amount: uint256):
    """
    @dev Moves `amount` of free stake to unbonding; the delay restarts for
         the whole unbonding balance.
    @param amount Token base units; not zero, at most the free stake.
    """
    assert amount > 0, "stake_manager: zero amount"
    assert amount <= self._free(msg.sender), "stake_manager: insufficient free stake"
    self.bonded[msg.sender] -= amount
    self.total_bonded -= amount
    self.unbonding[msg.sender] += amount
    self.total_unbonding += amount
    release_at: uint256 = block.timestamp + staticcall PARAMETERS.unbonding_delay()
    self.unbonding_release_at[msg.sender] = release_at
    log UnbondRequested(staker=msg.sender, amount=amount, release_at=release_at)


@external
def withdraw() -> uint256:
    """
    @dev Pays out the caller's whole unbonding balance once its delay passed.
    @return The amount withdrawn.
    """
    amount: uint256 = self.unbonding[msg.sender]
    assert amount > 0, "stake_manager: nothing to withdraw"
    assert (
        block.timestamp >= self.unbonding_release_at[msg.sender]
    ), "stake_manager: unbonding delay not passed"
    self.unbonding[msg.sender] = 0
    self.unbonding_release_at[msg.sender] = 0
    self.total_unbonding -= amount
    self._push(msg.sender, amount)
    log StakeWithdrawn(staker=msg.sender, amount=amount)
    return amount


@external
def lock(staker: address, task_id: uint256, amount: uint256):
    """
    @dev Locks `amount` of `staker`'s free stake for a task. Operators only.
    @param staker Whose stake.
    @param task_id The task the stake answers for.
    @param amount Token base units; not zero, at most the free stake.
    """
    self._check_operator()
    assert amount > 0, "stake_manager: zero amount"
    assert amount <= self._free(staker), "stake_manager: insufficient free stake"
    self.locked[staker] += amount
    self.locked_for_task[staker][task_id] += amount
    log StakeLocked(staker=staker, task_id=task_id, operator=msg.sender, amount=amount)


@external
def unlock(staker: address, task_id: uint256, amount: uint256):
    """
    @dev Releases `amount` of `staker`'s lock for a task. Operators only.
    @param staker Whose stake.
    @param task_id The task.
    @param amount Token base units; not zero, at most the task's lock.
    """
    self._check_operator()
    assert amount > 0, "stake_manager: zero amount"
    assert amount <= self.locked_for_task[staker][task_id], "stake_manager: unlock exceeds lock"
    self.locked[staker] -= amount
    self.locked_for_task[staker][task_id] -= amount
    log StakeUnlocked(staker=staker, task_id=task_id, operator=msg.sender, amount=amount)


@external
def slash(
    staker: address,
    task_id: uint256,
    recipients: DynArray[address, MAX_RECIPIENTS],
    amounts: DynArray[uint256, MAX_RECIPIENTS],
) -> uint256:
    """
    @dev Takes stake from `staker` and pays `amounts[i]` to `recipients[i]`.
         The stake comes from the task's lock first, then free stake, then
         stake waiting to unbond. Operators only. No share may go to the
         staker itself (a slash that returns stake is no slash).
    @param staker Whose stake.
    @param task_id The task the slash is for.
    @param recipients Who receives the slashed stake.
    @param amounts How much each recipient receives; their sum is not zero.
    @return The total slashed.
    """
    self._check_operator()
    assert len(recipients) == len(amounts), "stake_manager: length mismatch"
    total: uint256 = 0
    for a: uint256 in amounts:
        total += a
    assert total > 0, "stake_manager: zero amount"
    assert (
        total <= self.bonded[staker] + self.unbonding[staker]
    ), "stake_manager: slash exceeds stake"

    # 1. the task's lock
    rest: uint256 = total
    from_lock: uint256 = min(rest, self.locked_for_task[staker][task_id])
    self.locked_for_task[staker][task_id] -= from_lock
    self.locked[staker] -= from_lock
    self.bonded[staker] -= from_lock
    rest -= from_lock
    # 2. free stake (bonded and not locked for another task)
    from_free: uint256 = min(rest, self._free(staker))
    self.bonded[staker] -= from_free
    rest -= from_free
    self.total_bonded -= from_lock + from_free
    # 3. stake waiting to unbond
    assert rest <= self.unbonding[staker], "stake_manager: slash exceeds stake"
    self.unbonding[staker] -= rest
    self.total_unbonding -= rest

    for i: uint256 in range(MAX_RECIPIENTS):
        if i >= len(recipients):
            break
        if amounts[i] == 0:
            continue
        assert recipients[i] != empty(address), "stake_manager: zero recipient"
        assert recipients[i] != staker, "stake_manager: slash pays the staker"
        self._push(recipients[i], amounts[i])
        log StakeSlashed(
            staker=staker, task_id=task_id, recipient=recipients[i], amount=amounts[i]
        )
    return total


@view
@external
def free_stake(staker: address) -> uint256:
    """
    @dev Bonded stake not locked for any task.
    @param staker Whose stake.
    @return Token base units.
    """
    return self._free(staker)


@view
@external
def is_operator(caller: address) -> bool:
    """
    @dev Whether `caller` may lock, unlock and slash.
    @param caller Any address.
    @return True for the registry, the dispute game and the verifier pool.
    """
    return self._is_operator(caller)


# -------------------------------------------------------------- INTERNAL ----

@view
@internal
def _free(staker: address) -> uint256:
    return self.bonded[staker] - self.locked[staker]


@view
@internal
def _is_operator(caller: address) -> bool:
    if caller == empty(address):
        return False
    return caller == self.registry or caller == self.dispute_game or caller == self.verifier_pool


@view
@internal
def _check_operator():
    assert self._is_operator(msg.sender), "stake_manager: caller is not an operator"


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
    assert ok and (len(res) == 0 or convert(res, bool)), "stake_manager: token transfer failed"


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
    assert ok and (len(res) == 0 or convert(res, bool)), "stake_manager: token transfer failed"
