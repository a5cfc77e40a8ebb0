"""Stateful hypothesis test of the money contracts.

Random sequences of bond / unbond / withdraw / create / claim / commit /
finalize / cancel / expire / dispute hooks (slash, with every end reason) /
governance (every settlement parameter and the treasury, mid-task) /
blocklisted recipients / credit claims / time jumps run against the real
contracts and a small model of them. Every call that the model allows must
succeed and every call it forbids must revert; after every step these
invariants are checked:

1. each contract's token balance equals what it owes (bonded + unbonding
   for the stake manager, escrowed payments + credits for the registry);
2. nobody ever withdraws locked stake or the stake of a pending task;
3. a task pays out at most once and ends in exactly one terminal state,
   paying each party exactly what the terms fixed at its claim say;
4. governance actions never change any balance, nor anything a running
   task owes (its record and its terms);
5. a self-dealing actor that controls the submitter, solver 0 and the
   challenger (who also calls expire / finalize: self-slashing) never ends
   with more than it put in plus what the model says it is owed by the
   honest bystander (solver 1) for that solver's slashes.
"""

import brownie
import pytest
from brownie.test import strategy
from hypothesis import HealthCheck
from lifecycle import HEADER, HEADER_PROOF, MODEL_HASH, PROGRAM_ROOT, run_with_model

# Hypothesis's too_slow health check fails a run whose first ten examples spend
# more than one second of *wall* time inside strategy draws. Here the draws are
# interleaved with chain transactions on a node that shares two cores with the
# rest of the suite, so a loaded machine alone can push the (tiny) draw time
# over that budget: the check measures the machine, not the data. Only that
# check is suppressed; the examples, steps and invariants are unchanged.
SUPPRESSED = [HealthCheck.too_slow]

E18 = 10**18
HOUR = 3_600
DAY = 86_400
OPEN, CLAIMED, COMMITTED, FINALIZED, CANCELLED, EXPIRED, REJECTED = range(1, 8)
TERMINAL = {FINALIZED, CANCELLED, EXPIRED, REJECTED}
# A call within this many seconds of a deadline is not judged by the model:
# the node picks the block timestamp.
MARGIN = 120
BPS = 10_000
NUM_STEPS = 100
RUN_ROOT, MODEL_PROOF = run_with_model(NUM_STEPS, MODEL_HASH, interval=10)  # the tasks below: c = 10
ONESTEP, TIMEOUT, PADDING = 1, 2, 3
TIMEOUT_BOUNTY_BPS = 500


class MoneyMachine:
    st_actor = strategy("uint8", max_value=1)
    st_task = strategy("uint8", max_value=7)
    st_amount = strategy("uint256", min_value=1, max_value=300 * E18)
    st_stake = strategy("uint256", min_value=100 * E18, max_value=200 * E18)
    st_payment = strategy("uint256", min_value=1, max_value=1_000 * E18)
    st_hours = strategy("uint16", min_value=1, max_value=60)
    st_bps = strategy("uint16", max_value=10_000)
    st_flag = strategy("bool")
    st_reason = strategy("uint8", max_value=3)
    st_who = strategy("uint8", max_value=3)
    st_knob = strategy("uint8", max_value=6)

    def __init__(cls, accounts, token, parameters, stake_manager, registry):
        cls.accounts = accounts
        cls.token = token
        cls.parameters = parameters
        cls.stake_manager = stake_manager
        cls.registry = registry
        cls.governance = accounts[0]
        cls.treasury = accounts[1]
        cls.submitter = accounts[2]
        cls.solvers = [accounts[3], accounts[4]]
        cls.dispute_game = accounts[5]
        cls.challenger = accounts[6]
        cls.alt_treasury = accounts[7]
        cls.everyone = [accounts[i] for i in range(8)] + [stake_manager, registry]
        # one self-dealing actor; solver 1 is an honest bystander
        cls.actor = [cls.submitter, cls.solvers[0], cls.challenger]
        # who a blocklisting token may block (never a staker: its bond would fail)
        cls.blockable = [cls.submitter, cls.challenger, cls.treasury, cls.alt_treasury]

    def setup(self):
        self.bonded = {s: self.stake_manager.bonded(s) for s in self.solvers}
        self.locked = {s: 0 for s in self.solvers}
        self.unbonding = {s: 0 for s in self.solvers}
        self.release_at = {s: 0 for s in self.solvers}
        self.tasks = {}
        self.payouts = {}
        self.withdrawn = {s: 0 for s in self.solvers}
        self.blocked = set()
        self.credits = {}
        self.actor_start = self._wealth(self.actor)
        self.actor_owed = 0  # paid to the actor out of the bystander's slashes
        # every run starts with tasks in each live phase (open, claimed,
        # committed), so that short runs reach every terminal state
        for payment, stake in (
            (500 * E18, 100 * E18),
            (300 * E18, 150 * E18),
            (700 * E18, 120 * E18),
        ):
            self._create(payment, stake)
        first, second, third = sorted(self.tasks)
        self.rule_claim(5, 0)  # preferred OPEN task 5 % 3 -> the third task
        self.rule_claim(3, 1)  # 3 % 2 -> the second task
        self.rule_commit(1)  # 1 % 2 -> the third task, CLAIMED by solver 0
        assert [self.tasks[t]["status"] for t in (first, second, third)] == [
            OPEN,
            CLAIMED,
            COMMITTED,
        ]

    # ---------------------------------------------------------- helpers --

    def _now(self):
        return brownie.chain.time()

    def _near(self, deadline):
        return abs(self._now() - deadline) <= MARGIN

    def _task(self, index, *wanted):
        """Mostly a task in a `wanted` status (so sequences make progress),
        sometimes any task (so the wrong-phase reverts are exercised)."""
        ids = sorted(self.tasks)
        if not ids:
            return None
        preferred = [i for i in ids if self.tasks[i]["status"] in wanted]
        if preferred and index < 6:
            return self.tasks[preferred[index % len(preferred)]]
        return self.tasks[ids[index % len(ids)]]

    def _settle_payout(self, task, status):
        assert task["status"] not in TERMINAL
        task["status"] = status
        self.payouts[task["id"]] = self.payouts.get(task["id"], 0) + 1

    def _wealth(self, accounts):
        """Tokens held, staked (bonded or unbonding) and credited, together."""
        sm, reg = self.stake_manager, self.registry
        return sum(
            self.token.balanceOf(a) + sm.bonded(a) + sm.unbonding(a) + reg.credits(a) for a in accounts
        )

    def _parties(self, task):
        return [self.submitter, task["solver"], self.challenger, self.treasury, self.alt_treasury]

    def _settle(self, task, call, expected):
        """Runs a settlement and checks that every party's wealth moved by
        exactly `expected` (party -> delta), pushed or credited."""
        parties = self._parties(task)
        before = {a: self._wealth([a]) for a in parties}
        tx = call()
        for a in parties:
            assert self._wealth([a]) - before[a] == expected.get(a, 0), a
        for ev in tx.events["Credited"] if "Credited" in tx.events else []:
            assert ev["account"] in self.blocked
            self.credits[ev["account"]] = self.credits.get(ev["account"], 0) + ev["amount"]
        if task["solver"] == self.solvers[1]:
            self.actor_owed += sum(expected.get(a, 0) for a in self.actor if a != self.submitter)
            # the submitter's own payment comes back; only the slash is a gain
            self.actor_owed += max(0, expected.get(self.submitter, 0) - task["payment"])
        return tx

    # ----------------------------------------------------------- staking --

    def rule_bond(self, st_actor, st_amount):
        solver = self.solvers[st_actor]
        self.stake_manager.bond(st_amount, {"from": solver})
        self.bonded[solver] += st_amount

    def rule_request_unbond(self, st_actor, st_amount):
        solver = self.solvers[st_actor]
        free = self.bonded[solver] - self.locked[solver]
        if st_amount <= free:
            tx = self.stake_manager.request_unbond(st_amount, {"from": solver})
            self.bonded[solver] -= st_amount
            self.unbonding[solver] += st_amount
            self.release_at[solver] = tx.timestamp + self.parameters.unbonding_delay()
        else:
            with brownie.reverts("stake_manager: insufficient free stake"):
                self.stake_manager.request_unbond(st_amount, {"from": solver})

    def rule_withdraw(self, st_actor):
        solver = self.solvers[st_actor]
        if self.unbonding[solver] == 0:
            with brownie.reverts("stake_manager: nothing to withdraw"):
                self.stake_manager.withdraw({"from": solver})
            return
        if self._near(self.release_at[solver]):
            return
        if self._now() > self.release_at[solver]:
            tx = self.stake_manager.withdraw({"from": solver})
            # invariant 2: only unbonded stake leaves, never locked stake
            assert tx.return_value == self.unbonding[solver]
            self.withdrawn[solver] += tx.return_value
            self.unbonding[solver] = 0
        else:
            with brownie.reverts("stake_manager: unbonding delay not passed"):
                self.stake_manager.withdraw({"from": solver})

    # ------------------------------------------------------------- tasks --

    def rule_create(self, st_payment, st_stake):
        self._create(st_payment, st_stake)

    def _create(self, st_payment, st_stake):
        if self.submitter in self.blocked:
            return
        tx = self.registry.create_task(
            "0x" + "11" * 32,
            PROGRAM_ROOT,
            "0x" + "33" * 32,
            NUM_STEPS,
            10,
            st_payment,
            st_stake,
            2 * DAY,
            DAY,
            HEADER,
            HEADER_PROOF,
            {"from": self.submitter},
        )
        task_id = tx.return_value
        self.tasks[task_id] = dict(
            id=task_id,
            status=OPEN,
            payment=st_payment,
            stake=st_stake,
            solver=None,
            fee=st_payment * self.parameters.verification_fee_bps() // 10_000,
            claim_deadline=tx.timestamp + 2 * DAY,
            solve_deadline=0,
            challenge_deadline=0,
            disputes=0,
        )

    def rule_cancel(self, st_task):
        task = self._task(st_task, OPEN)
        if task is None:
            return
        if task["status"] == OPEN:
            if self.submitter in self.blocked:
                return  # one party, the caller itself: its refund is pushed
            self.registry.cancel_task(task["id"], {"from": self.submitter})
            self._settle_payout(task, CANCELLED)
        else:
            with brownie.reverts("task_registry: task not open"):
                self.registry.cancel_task(task["id"], {"from": self.submitter})

    def rule_claim(self, st_task, st_actor):
        task = self._task(st_task, OPEN)
        if task is None or self._near(task["claim_deadline"]):
            return
        solver = self.solvers[st_actor]
        free = self.bonded[solver] - self.locked[solver]
        if task["status"] != OPEN:
            reason = "task_registry: task not open"
        elif self._now() > task["claim_deadline"]:
            reason = "task_registry: claim deadline passed"
        elif free < task["stake"]:
            reason = "stake_manager: insufficient free stake"
        else:
            p = self.parameters
            treasury = p.treasury()
            tx = self.registry.claim_task(task["id"], {"from": solver})
            task.update(
                status=CLAIMED,
                solver=solver,
                solve_deadline=tx.timestamp + DAY,
                terms=dict(
                    treasury=treasury,
                    c=p.slash_challenger_bps(),
                    t=p.slash_treasury_bps(),
                    e=p.expiry_slash_bps(),
                ),
            )
            self.locked[solver] += task["stake"]
            return
        with brownie.reverts(reason):
            self.registry.claim_task(task["id"], {"from": solver})

    def rule_commit(self, st_task):
        task = self._task(st_task, CLAIMED)
        if task is None or task["status"] != CLAIMED or self._near(task["solve_deadline"]):
            return
        args = (
            task["id"],
            RUN_ROOT,
            MODEL_HASH,
            MODEL_PROOF,
            "ipfs://run",
            {"from": task["solver"]},
        )
        if self._now() > task["solve_deadline"]:
            with brownie.reverts("task_registry: solve deadline passed"):
                self.registry.commit_result(*args)
        else:
            tx = self.registry.commit_result(*args)
            task.update(
                status=COMMITTED,
                challenge_deadline=tx.timestamp
                + self.registry.get_task(task["id"]).dict()["challenge_window"],
            )

    def rule_finalize(self, st_task):
        task = self._task(st_task, COMMITTED)
        if task is None or self._near(task["challenge_deadline"]):
            return
        if task["status"] != COMMITTED:
            reason = "task_registry: task not committed"
        elif self._now() <= task["challenge_deadline"]:
            reason = "task_registry: challenge window open"
        elif task["disputes"] > 0:
            reason = "task_registry: dispute open"
        else:
            expected = {task["solver"]: task["payment"] - task["fee"]}
            tr = task["terms"]["treasury"]
            expected[tr] = expected.get(tr, 0) + task["fee"]
            self._settle(task, lambda: self.registry.finalize(task["id"], {"from": self.challenger}), expected)
            self._settle_payout(task, FINALIZED)
            self.locked[task["solver"]] -= task["stake"]
            return
        with brownie.reverts(reason):
            self.registry.finalize(task["id"], {"from": self.challenger})

    def rule_expire(self, st_task):
        task = self._task(st_task, CLAIMED)
        if task is None or self._near(task["solve_deadline"]):
            return
        if task["status"] != CLAIMED:
            reason = "task_registry: task not claimed"
        elif self._now() <= task["solve_deadline"]:
            reason = "task_registry: solve deadline not passed"
        else:
            terms = task["terms"]
            slashed = task["stake"] * terms["e"] // BPS
            to_jackpot = slashed * terms["t"] // BPS
            expected = {
                self.submitter: task["payment"] + slashed - to_jackpot,
                task["solver"]: -slashed,
                terms["treasury"]: to_jackpot,
            }
            self._settle(task, lambda: self.registry.expire(task["id"], {"from": self.challenger}), expected)
            self._settle_payout(task, EXPIRED)
            self._take_stake(task, slashed)
            return
        with brownie.reverts(reason):
            self.registry.expire(task["id"], {"from": self.challenger})

    def rule_advance(self, st_task, st_actor):
        """Moves a task one step along its happy path (claim, commit, or
        wait out the window and finalize), the common case made likely."""
        task = self._task(st_task, OPEN, CLAIMED, COMMITTED)
        if task is None:
            return
        if task["status"] == OPEN:
            self.rule_claim(st_task, st_actor)
        elif task["status"] == CLAIMED:
            self.rule_commit(st_task)
        elif task["disputes"] > 0:
            self.rule_solver_lost(st_task, ONESTEP)
        else:
            brownie.chain.sleep(max(0, task["challenge_deadline"] - self._now()) + 2 * MARGIN)
            self.rule_finalize(st_task)

    def rule_miss_deadline(self, st_task):
        """A claimed task whose solver never commits: wait, then expire."""
        task = self._task(st_task, CLAIMED)
        if task is None or task["status"] != CLAIMED:
            return
        brownie.chain.sleep(max(0, task["solve_deadline"] - self._now()) + 2 * MARGIN)
        self.rule_expire(st_task)

    def rule_lose_dispute(self, st_task, st_reason):
        """A committed task is disputed and the solver loses (proved, or by
        timeout: for the actor's own solver, a sybil challenger's win)."""
        task = self._task(st_task, COMMITTED)
        if task is None or task["status"] != COMMITTED:
            return
        if task["disputes"] == 0:
            self.rule_open_dispute(st_task)
        self.rule_solver_lost(st_task, st_reason)

    # ---------------------------------------------- dispute hooks (EOA game) --

    def rule_open_dispute(self, st_task):
        task = self._task(st_task, COMMITTED)
        if task is None or task["status"] != COMMITTED or self._near(task["challenge_deadline"]):
            return
        if self._now() <= task["challenge_deadline"]:
            self.registry.on_dispute_opened(
                task["id"], self.challenger, {"from": self.dispute_game}
            )
            task["disputes"] += 1
        else:
            with brownie.reverts("task_registry: challenge window closed"):
                self.registry.on_dispute_opened(
                    task["id"], self.challenger, {"from": self.dispute_game}
                )

    def rule_close_dispute(self, st_task):
        task = self._task(st_task, COMMITTED, REJECTED)
        if task is None:
            return
        if task["disputes"] > 0:
            self.registry.on_dispute_closed(task["id"], {"from": self.dispute_game})
            task["disputes"] -= 1
        else:
            with brownie.reverts("task_registry: no open dispute"):
                self.registry.on_dispute_closed(task["id"], {"from": self.dispute_game})

    def rule_solver_lost(self, st_task, st_reason):
        task = self._task(st_task, COMMITTED)
        if task is None:
            return
        if task["status"] == COMMITTED and task["disputes"] > 0:
            terms, stake = task["terms"], task["stake"]
            share = terms["c"] if st_reason in (ONESTEP, PADDING) else min(terms["c"], TIMEOUT_BOUNTY_BPS)
            to_challenger = stake * share // BPS
            to_jackpot = stake * terms["t"] // BPS
            expected = {
                self.challenger: to_challenger,
                terms["treasury"]: to_jackpot,
                self.submitter: task["payment"] + stake - to_challenger - to_jackpot,
                task["solver"]: -stake,
            }
            self._settle(
                task,
                lambda: self.registry.on_solver_lost(
                    task["id"], self.challenger, st_reason, {"from": self.dispute_game}
                ),
                expected,
            )
            task["disputes"] -= 1
            self._settle_payout(task, REJECTED)
            self._take_stake(task, task["stake"])
        elif task["status"] == COMMITTED:
            with brownie.reverts("task_registry: no open dispute"):
                self.registry.on_solver_lost(
                    task["id"], self.challenger, st_reason, {"from": self.dispute_game}
                )
        else:
            with brownie.reverts("task_registry: task not committed"):
                self.registry.on_solver_lost(
                    task["id"], self.challenger, st_reason, {"from": self.dispute_game}
                )

    def _take_stake(self, task, slashed):
        solver = task["solver"]
        self.locked[solver] -= task["stake"]
        self.bonded[solver] -= slashed

    # ------------------------------------------------- governance and time --

    def _owed(self):
        """Everything a running task is owed or owes: its record and its terms."""
        live = [t for t in self.tasks if self.tasks[t]["status"] not in TERMINAL]
        return [(tuple(self.registry.get_task(t)), tuple(self.registry.task_terms(t))) for t in live]

    def rule_governance(self, st_bps, st_flag, st_knob):
        before = [self.token.balanceOf(a) for a in self.everyone]
        credits = [self.registry.credits(a) for a in self.everyone]
        stakes = [
            (
                self.stake_manager.bonded(s),
                self.stake_manager.locked(s),
                self.stake_manager.unbonding(s),
            )
            for s in self.solvers
        ]
        escrow = self.registry.total_escrowed()
        owed = self._owed()
        p, gov = self.parameters, {"from": self.governance}
        if st_flag:
            if p.paused():
                p.unpause(gov)
            else:
                p.pause(gov)
        elif st_knob == 0:
            p.set_parameter("expiry_slash_bps", st_bps, gov)
        elif st_knob == 1:
            p.set_parameter("slash_challenger_bps", min(st_bps, BPS - p.slash_treasury_bps()), gov)
        elif st_knob == 2:
            p.set_parameter("slash_treasury_bps", min(st_bps, BPS - p.slash_challenger_bps()), gov)
        elif st_knob == 3:
            p.set_parameter("verification_fee_bps", st_bps % 3_001, gov)
        elif st_knob == 4:
            # the hostile owner: nothing to the challenger, everything to itself
            p.set_parameter("slash_challenger_bps", 0, gov)
            p.set_parameter("slash_treasury_bps", BPS, gov)
            p.set_parameter("expiry_slash_bps", BPS, gov)
            p.set_treasury(self.alt_treasury, gov)
        else:
            p.set_treasury(self.treasury if p.treasury() == self.alt_treasury else self.alt_treasury, gov)
        # invariant 4: governance never moves a balance, a stake, an escrow,
        # a credit or anything a running task is owed
        assert [self.token.balanceOf(a) for a in self.everyone] == before
        assert [self.registry.credits(a) for a in self.everyone] == credits
        assert stakes == [
            (
                self.stake_manager.bonded(s),
                self.stake_manager.locked(s),
                self.stake_manager.unbonding(s),
            )
            for s in self.solvers
        ]
        assert self.registry.total_escrowed() == escrow
        assert self._owed() == owed
        if p.paused():
            # keep the machine able to create tasks
            p.unpause(gov)

    # ------------------------------------------- blocklists and credits --

    def rule_block(self, st_who, st_flag):
        """A blocklisting token blocks (or clears) a recipient."""
        who = self.blockable[st_who]
        self.token.set_blocked(who, st_flag, {"from": who})
        if st_flag:
            self.blocked.add(who)
        else:
            self.blocked.discard(who)

    def rule_claim_credit(self, st_who):
        who = self.blockable[st_who]
        owed = self.credits.get(who, 0)
        if owed == 0:
            with brownie.reverts("task_registry: no credit"):
                self.registry.claim_credit({"from": who})
        elif who in self.blocked:
            with brownie.reverts("task_registry: token transfer failed"):
                self.registry.claim_credit({"from": who})
        else:
            b0 = self.token.balanceOf(who)
            self.registry.claim_credit({"from": who})
            assert self.token.balanceOf(who) - b0 == owed
            self.credits[who] = 0

    def rule_sleep(self, st_hours):
        brownie.chain.sleep(st_hours * HOUR)

    # -------------------------------------------------------- invariants --

    def invariant_balances_match_debts(self):
        sm, reg = self.stake_manager, self.registry
        owed_stake = sum(self.bonded.values()) + sum(self.unbonding.values())
        assert self.token.balanceOf(sm) == sm.total_bonded() + sm.total_unbonding() == owed_stake
        escrow = sum(t["payment"] for t in self.tasks.values() if t["status"] not in TERMINAL)
        assert reg.total_escrowed() == escrow
        assert reg.total_credits() == sum(self.credits.values())
        assert self.token.balanceOf(reg) == escrow + sum(self.credits.values())

    def invariant_actor_never_profits(self):
        """Invariant 5: submitter + solver 0 + challenger, one owner, never
        hold more than they put in, beyond what solver 1's slashes owe them."""
        assert self._wealth(self.actor) <= self.actor_start + self.actor_owed

    def invariant_locked_stake_stays(self):
        for s in self.solvers:
            pending = sum(
                t["stake"]
                for t in self.tasks.values()
                if t["solver"] == s and t["status"] in (CLAIMED, COMMITTED)
            )
            assert self.stake_manager.locked(s) == self.locked[s] == pending
            assert self.stake_manager.bonded(s) == self.bonded[s] >= pending
            assert self.stake_manager.unbonding(s) == self.unbonding[s]

    def invariant_one_terminal_state(self):
        for task_id, task in self.tasks.items():
            status = self.registry.task_status(task_id)
            assert status == task["status"]
            assert self.payouts.get(task_id, 0) == (1 if status in TERMINAL else 0)


def _run(state_machine, accounts, token, parameters, stake_manager, registry, examples, steps):
    for actor in (accounts[2], accounts[3], accounts[4]):
        token.mint(actor, 10**9 * E18, {"from": actor})
        token.approve(stake_manager, 2**256 - 1, {"from": actor})
        token.approve(registry, 2**256 - 1, {"from": actor})
    for solver in (accounts[3], accounts[4]):
        stake_manager.bond(300 * E18, {"from": solver})
    state_machine(
        MoneyMachine,
        accounts,
        token,
        parameters,
        stake_manager,
        registry,
        settings={"max_examples": examples, "stateful_step_count": steps,
                  "suppress_health_check": SUPPRESSED},
    )


def test_money_invariants(state_machine, accounts, token, parameters, stake_manager, registry):
    _run(state_machine, accounts, token, parameters, stake_manager, registry, 20, 20)


@pytest.mark.slow
def test_money_invariants_long(state_machine, accounts, token, parameters, stake_manager, registry):
    _run(state_machine, accounts, token, parameters, stake_manager, registry, 100, 30)
