"""Stateful hypothesis test of the incentive layer: every amount conserved.

Random sequences drive tasks through the fee, attestation, jackpot,
forced-error and slashing paths (honest, lazy-copying, idle and flagging
verifiers; forced and normal tasks; solvers that reveal their secret, that
withhold it, or that lose a dispute; whistleblower reports; settlements;
sweeps; donations; time jumps) against the real contracts and a model of
the same rules. After every step:

1. the token supply is conserved: the sum over every holder is unchanged;
2. each contract holds what it owes: StakeManager = bonded + unbonding,
   TaskRegistry = escrowed payments, VerifierPool = reserved + jackpot with
   reserved = the sum of what each task still owes;
3. the jackpot equals the model's: fee cuts, slashes, forfeits, sweeps and
   donations in; a forced task's award comes from that task's own fee and
   slashes, never from the jackpot;
4. a self-dealing actor (the submitter, the solver, the whistleblower and two
   of the three verifiers, one of them lazy on forced tasks) never ends with
   more than it put in: its wallets, bonded stake and pool credit together
   never exceed their start, however the jackpot was funded by outsiders
   (the third verifier, honest or a false flagger, and a donor).
"""

import pytest
from brownie.test import strategy
from eth_hash.auto import keccak
from incentive_helpers import (
    NUM_STEPS,
    RATE_PPM,
    SALT,
    SECRET,
    STEP_ROOTS,
    TRUE_MODEL,
    TRUE_PROOF,
    TRUE_ROOT,
    WRONG_MODEL,
    WRONG_PROOF,
    WRONG_ROOT,
    WRONG_ROOTS,
    draw_claim_seed,
    proofs_for,
)
from lifecycle import ARTIFACT_URI, create_args, sleep_past

from offchain.incentives import rules

E18 = 10**18
BPS = 10_000
FINALIZED = 4
# Deadlines closer than this are treated as passed (the node picks timestamps).
MARGIN = 120


class IncentiveMachine:
    st_task = strategy("uint8", max_value=3)
    st_who = strategy("uint8", max_value=2)
    st_kind = strategy("uint8", max_value=3)
    st_choice = strategy("uint8", max_value=3)
    st_amount = strategy("uint256", min_value=1, max_value=50 * E18)

    def __init__(cls, accounts, chain, token, parameters, stake_manager, registry, pool):
        cls.chain, cls.token, cls.parameters = chain, token, parameters
        cls.sm, cls.reg, cls.pool = stake_manager, registry, pool
        cls.submitter, cls.solver, cls.dispute_game = accounts[2], accounts[3], accounts[5]
        cls.whistleblower, cls.donor = accounts[6], accounts[4]
        cls.verifiers = [accounts[7], accounts[8], accounts[9]]
        cls.outsider = accounts[9]  # never lazy: the actor may not profit from its slash
        cls.actor = [cls.submitter, cls.solver, cls.whistleblower, accounts[7], accounts[8]]
        cls.holders = [accounts[i] for i in range(10)] + [stake_manager, registry, pool]

    def setup(self):
        if self.parameters.forced_error_rate_ppm() != RATE_PPM:
            self.parameters.set_parameter("forced_error_rate_ppm", RATE_PPM, {"from": self.parameters.owner()})
        self.supply = sum(self.token.balanceOf(h) for h in self.holders)
        self.jackpot = self.pool.jackpot()
        self.actor_start = self._actor_worth()
        self.tasks = []  # [{"id", "phase", "forced", "att": {v: kind}, "values": {v: (steps, values)}}]
        self.p = {k: getattr(self.parameters, k)() for k in (
            "slash_challenger_bps", "slash_treasury_bps", "jackpot_share_bps", "reveal_window")}

    def _actor_worth(self):
        return sum(self.token.balanceOf(a) + self.sm.bonded(a) + self.sm.unbonding(a) + self.pool.credit(a)
                   for a in self.actor)

    def _in_report_window(self, t):
        rnd = self.pool.round_of(t["id"])
        return self.chain.time() <= rnd["finalized_at"] + self.p["reveal_window"] - MARGIN

    def _task(self, i):
        return self.tasks[i % len(self.tasks)] if self.tasks else None

    def rule_new_task(self, st_choice):
        if len(self.tasks) >= 4:
            return
        forced = st_choice % 2 == 1
        stake = create_args()[6]
        if self.sm.free_stake(self.solver) < stake:
            self.sm.bond(stake, {"from": self.solver})
        tid = self.reg.create_task(*create_args(num_steps=NUM_STEPS, checkpoint_interval=1),
                                   {"from": self.submitter}).return_value
        self.reg.claim_task(tid, keccak(SECRET), {"from": self.solver})
        draw_claim_seed(RATE_PPM, forced)
        if forced:
            self.reg.commit_result(tid, WRONG_ROOT, WRONG_MODEL, WRONG_PROOF, ARTIFACT_URI, {"from": self.solver})
        else:
            self.reg.commit_result(tid, TRUE_ROOT, TRUE_MODEL, TRUE_PROOF, ARTIFACT_URI, {"from": self.solver})
        self.tasks.append({"id": tid, "phase": "attest", "forced": forced, "att": {}, "values": {}})

    def rule_attest(self, st_task, st_who, st_kind):
        t = self._task(st_task)
        v = self.verifiers[st_who]
        if t is None or t["phase"] != "attest" or v in t["att"]:
            return
        if self.chain.time() > self.reg.incentive(t["id"])["attest_deadline"] - MARGIN:
            return
        stake = self.pool.verifier_stake(t["id"])
        if self.sm.free_stake(v) < stake:
            self.sm.bond(stake - self.sm.free_stake(v), {"from": v})
        self.pool.join(t["id"], {"from": v})
        kind = ("honest", "lazy", "idle", "flagger")[st_kind]
        if kind == "lazy" and v == self.outsider:
            kind = "honest"
        t["att"][v] = kind
        if kind == "idle":
            return
        self.chain.mine(2)
        steps = list(self.pool.sample_steps(t["id"], v))
        truth = STEP_ROOTS if (kind != "lazy" or not t["forced"]) else WRONG_ROOTS
        values = [truth[s] for s in steps]
        self.pool.commit_attestation(t["id"], rules.commitment(t["id"], v.address, values, SALT), {"from": v})
        if kind == "flagger" or (kind == "honest" and t["forced"]):
            self.pool.flag(t["id"], {"from": v})
            t["att"][v] = "flagged"
        t["values"][v] = (steps, values)

    def rule_reveal_phase(self, st_task):
        t = self._task(st_task)
        if t is None or t["phase"] != "attest":
            return
        inc = self.reg.incentive(t["id"])
        if self.chain.time() > inc["reveal_deadline"] - MARGIN:
            t["values"] = {}  # the reveal window passed: nobody revealed
        else:
            sleep_past(self.chain, inc["attest_deadline"])
        for v, (_, values) in t["values"].items():
            self.pool.reveal(t["id"], values, SALT, {"from": v})
        t["phase"] = "secret"

    def rule_secret(self, st_task, st_choice):
        t = self._task(st_task)
        if t is None or t["phase"] != "secret":
            return
        if st_choice == 3 or self.chain.time() > self.reg.incentive(t["id"])["secret_deadline"] - MARGIN:
            # the solver withholds its secret (or missed the deadline)
            sleep_past(self.chain, self.reg.incentive(t["id"])["secret_deadline"])
            self.reg.slash_unrevealed(t["id"], {"from": self.whistleblower})
            self.jackpot += self.reg.get_task(t["id"])["solver_stake"] * self.p["slash_treasury_bps"] // BPS
            t["phase"] = "ended"
            return
        sleep_past(self.chain, self.reg.incentive(t["id"])["reveal_deadline"])
        self.reg.reveal_secret(t["id"], SECRET, TRUE_ROOT, TRUE_MODEL, TRUE_PROOF, ARTIFACT_URI,
                               {"from": self.solver})
        t["phase"] = "challenge"

    def rule_end(self, st_task, st_choice):
        t = self._task(st_task)
        if t is None or t["phase"] != "challenge":
            return
        task = self.reg.get_task(t["id"])
        if st_choice == 3 and self.chain.time() < task["challenge_deadline"] - MARGIN:  # the solver loses a dispute
            self.reg.on_dispute_opened(t["id"], self.whistleblower, {"from": self.dispute_game})
            self.reg.on_solver_lost(t["id"], self.whistleblower, 1, {"from": self.dispute_game})
            self.jackpot += task["solver_stake"] * self.p["slash_treasury_bps"] // BPS
            t["phase"] = "ended"
            return
        sleep_past(self.chain, task["challenge_deadline"])
        self.reg.finalize(t["id"], {"from": self.submitter})
        fee = task["fee"]
        pot = rules.pot(fee, self.p["jackpot_share_bps"], RATE_PPM) if t["values"] else 0
        flagged = any(k == "flagged" for k in t["att"].values())
        award = fee - pot if t["forced"] and flagged else 0
        self.jackpot += fee - pot - award
        t["phase"] = "finalized"

    def rule_report(self, st_task):
        t = self._task(st_task)
        if t is None or t["phase"] != "finalized" or not t["forced"]:
            return
        if not self._in_report_window(t):
            return
        for v, kind in t["att"].items():
            if kind == "lazy" and v in t["values"] and not t.get(("reported", v)):
                steps, _ = t["values"][v]
                self.pool.report(t["id"], v, 0, STEP_ROOTS[steps[0]], proofs_for(STEP_ROOTS, steps[:1])[0],
                                 {"from": self.whistleblower})
                stake = self.pool.terms_of(t["id"])["stake"]
                if not any(k == "flagged" for k in t["att"].values()):
                    self.jackpot += stake - stake * rules.REPORT_BOUNTY_BPS // BPS
                t[("reported", v)] = True
                return

    def rule_prove(self, st_task):
        """Every verifier whose revealed values are right proves them; a flagger of a forced task
        proves its mismatch with the committed wrong root too."""
        t = self._task(st_task)
        if t is None or t["phase"] != "finalized" or not self._in_report_window(t):
            return
        for v, (steps, values) in t["values"].items():
            att = self.pool.attestation(t["id"], v)
            if att["proven"] or values != [STEP_ROOTS[s] for s in steps]:
                continue
            self.pool.prove(t["id"], proofs_for(STEP_ROOTS, steps), {"from": v})
            if t["forced"] and att["flagged"]:
                self.pool.prove_mismatch(t["id"], 0, WRONG_ROOTS[steps[0]], proofs_for(WRONG_ROOTS, steps[:1])[0],
                                         {"from": v})

    def rule_settle(self, st_task):
        t = self._task(st_task)
        if t is None or t["phase"] not in ("finalized", "ended"):
            return
        if t["phase"] == "finalized":
            sleep_past(self.chain, self.pool.round_of(t["id"])["finalized_at"] + self.p["reveal_window"])
        for v, kind in t["att"].items():
            if self.pool.attestation(t["id"], v)["settled"]:
                continue
            self.pool.settle(t["id"], {"from": v})
            if t["phase"] == "finalized" and kind in ("flagged",) and not t["forced"]:
                self.jackpot += self.pool.terms_of(t["id"])["stake"]
            return

    def rule_claim(self, st_who):
        who = (self.verifiers + [self.whistleblower])[st_who % 4]
        if self.pool.credit(who) > 0:
            self.pool.claim_credit({"from": who})

    def rule_sweep(self, st_task):
        t = self._task(st_task)
        if t is None or t["phase"] not in ("finalized", "ended"):
            return
        rnd = self.pool.round_of(t["id"])
        start = max(rnd["finalized_at"], self.reg.get_task(t["id"])["challenge_deadline"])
        sleep_past(self.chain, start + 2 * self.p["reveal_window"])
        self.pool.sweep(t["id"], {"from": self.whistleblower})
        self.jackpot += rnd["reserved"]
        t["phase"] = "swept"

    def rule_fund(self, st_amount):
        self.token.mint(self.donor, st_amount, {"from": self.donor})
        self.token.approve(self.pool, st_amount, {"from": self.donor})
        self.supply += st_amount
        self.pool.fund_jackpot(st_amount, {"from": self.donor})
        self.jackpot += st_amount

    def invariant_supply_conserved(self):
        assert sum(self.token.balanceOf(h) for h in self.holders) == self.supply

    def invariant_contracts_hold_what_they_owe(self):
        assert self.token.balanceOf(self.sm) == self.sm.total_bonded() + self.sm.total_unbonding()
        assert self.token.balanceOf(self.reg) == self.reg.total_escrowed()
        owed = sum(self.pool.round_of(t["id"])["reserved"] for t in self.tasks)
        assert self.pool.total_reserved() == owed
        credits = sum(self.pool.credit(a) for a in self.verifiers + [self.whistleblower])
        assert self.pool.total_credit() == credits
        assert self.token.balanceOf(self.pool) == owed + credits + self.pool.jackpot()

    def invariant_jackpot_matches_model(self):
        assert self.pool.jackpot() == self.jackpot

    def invariant_self_dealer_never_gains(self):
        assert self._actor_worth() <= self.actor_start


def _run(state_machine, accounts, chain, token, parameters, stake_manager, registry, pool, examples, steps):
    state_machine(IncentiveMachine, accounts, chain, token, parameters, stake_manager, registry, pool,
                  settings={"max_examples": examples, "stateful_step_count": steps})


def test_incentive_conservation(state_machine, accounts, chain, token, parameters, stake_manager, registry,
                                pool, staked, bonded, funded):
    _run(state_machine, accounts, chain, token, parameters, stake_manager, registry, pool, 5, 25)


@pytest.mark.slow
def test_incentive_conservation_long(state_machine, accounts, chain, token, parameters, stake_manager, registry,
                                     pool, staked, bonded, funded):
    _run(state_machine, accounts, chain, token, parameters, stake_manager, registry, pool, 50, 40)
