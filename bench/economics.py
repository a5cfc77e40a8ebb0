"""Economics of the incentive layer: who profits from honest, lazy and cheating play.

Three parts, one set of rules (docs/protocol.md "Incentives"):

1. the real contracts on Anvil for a sample: a normal and a forced-error task
   with an honest and a lazy (copying) verifier go through TaskRegistry and
   VerifierPool; each party's token and stake change is compared with the
   model of the same rules, to the token base unit;
2. the model for scale: a Monte Carlo over many tasks (forced errors drawn
   with probability p, the jackpot carried from task to task) and the closed
   form of each strategy's expected profit per task;
3. the plot `bench/economics.png`: expected profit against the forced-error
   rate p and against the sampling rate, and the smallest p at which lazy
   verification and cheating solving both lose money.

    .venv/bin/python bench/economics.py [--tasks 200000] [--no-anvil]
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

E18 = 10**18
BPS = 10_000


@dataclass(frozen=True)
class Econ:
    """One market: amounts in tokens, costs in tokens per task."""

    payment: float = 1_000.0
    fee_bps: int = 500  # verification_fee_bps
    jackpot_share_bps: int = 2_000
    verifier_stake: float = 1_000.0  # min_verifier_stake (the Anvil sample uses 100)
    solver_stake: float = 100.0
    slash_challenger_bps: int = 5_000
    verifiers: int = 3  # per task
    steps: int = 1_000  # T
    samples: int = 3  # steps each verifier replays
    train_cost: float = 500.0  # the solver's compute for the whole run
    # a verifier replays `samples` steps from the nearest checkpoint (interval 10):
    # about 5.5 steps each on average, at train_cost / steps per step
    checkpoint_interval: int = 10

    @property
    def fee(self) -> float:
        return self.payment * self.fee_bps / BPS

    @property
    def pot(self) -> float:
        return self.fee - self.fee * self.jackpot_share_bps / BPS

    @property
    def verify_cost(self) -> float:
        replayed = self.samples * (self.checkpoint_interval + 1) / 2
        return replayed * self.train_cost / self.steps


# --- closed form (unilateral deviation from an honest population) ----------------


def award_per_forced(e: Econ, p: float) -> float:
    """Steady state: the jackpot fills by the fee share every task and empties at each
    caught forced error, so one forced error pays fee * jackpot_share / p."""
    return e.fee * e.jackpot_share_bps / BPS / p if p > 0 else 0.0


def honest_verifier(e: Econ, p: float) -> float:
    k = e.verifiers
    return e.pot / k + p * award_per_forced(e, p) / k - e.verify_cost


def lazy_verifier(e: Econ, p: float) -> float:
    """Copies the solver's S_t: fee share on normal tasks, slashed on forced ones."""
    return (1 - p) * e.pot / e.verifiers - p * e.verifier_stake


def flagging_verifier(e: Econ, p: float) -> float:
    """Flags every task without checking: jackpot share on forced tasks, forfeits its stake otherwise."""
    return p * award_per_forced(e, p) / (e.verifiers + 1) - (1 - p) * e.verifier_stake


def detection(e: Econ, faked: float, honest: int) -> float:
    """Chance that `honest` verifiers of `samples` steps each hit a fraction `faked` of faked steps."""
    return 1 - (1 - faked) ** (e.samples * honest)


def honest_solver(e: Econ) -> float:
    return e.payment - e.fee - e.train_cost


def cheating_solver(e: Econ, faked: float, honest: int) -> float:
    """Fakes a fraction `faked` of the steps (saves that compute); caught: stake slashed, no pay."""
    d = detection(e, faked, honest)
    return (1 - d) * (e.payment - e.fee) - d * e.solver_stake - (1 - faked) * e.train_cost


def best_cheat(e: Econ, honest: int) -> float:
    """The cheater's best fraction of faked steps: its largest gain over honest solving."""
    grid = [i / e.steps for i in range(1, e.steps + 1)]
    return max(cheating_solver(e, f, honest) - honest_solver(e) for f in grid)


def rational_honest_verifiers(e: Econ, p: float) -> int:
    """Verifiers check when checking pays more than copying and more than nothing."""
    h = honest_verifier(e, p)
    return e.verifiers if h >= lazy_verifier(e, p) and h > 0 else 0


def smallest_p(e: Econ, grid: list[float]) -> float | None:
    """Smallest p at which lazy verification loses money (expected profit < 0 and below
    honest) and, with the verifiers that is rational for, cheating gains nothing."""
    for p in grid:
        if lazy_verifier(e, p) < 0 and lazy_verifier(e, p) < honest_verifier(e, p) and \
                flagging_verifier(e, p) < 0 and best_cheat(e, rational_honest_verifiers(e, p)) < 0:
            return p
    return None


# --- Monte Carlo of the contract rules ----------------------------------------------


def simulate(e: Econ, p: float, tasks: int, seed: int = 1) -> dict[str, float]:
    """Many tasks in a row: each has 2 honest verifiers plus one of each deviant in
    turn (honest / lazy / flagger), forced errors drawn with probability p, the
    jackpot carried over. Returns the mean profit per task of each third verifier."""
    rng = random.Random(seed)
    out = {}
    for kind in ("honest", "lazy", "flagger"):
        jackpot, total = 0.0, 0.0
        for _ in range(tasks):
            forced = rng.random() < p
            revealers = e.verifiers  # everyone reveals
            flaggers = (e.verifiers - 1) if forced else 0  # the honest two flag a forced error
            me_flags = kind == "flagger" or (kind == "honest" and forced)
            flaggers += me_flags
            award = jackpot if forced and flaggers else 0.0
            jackpot -= award
            profit = -e.verify_cost if kind == "honest" else 0.0
            fee_cut = e.fee * e.jackpot_share_bps / BPS
            jackpot += fee_cut
            share = e.pot / revealers
            if kind == "honest":
                profit += share + (award / flaggers if me_flags else 0)
            elif kind == "lazy":
                if forced:  # reported: slashed, half to the whistleblower, half to the jackpot
                    profit -= e.verifier_stake
                    jackpot += e.verifier_stake * (1 - e.slash_challenger_bps / BPS) + share
                else:
                    profit += share
            else:  # flagger: no values that prove, no fee share
                jackpot += share
                if forced:
                    profit += award / flaggers
                else:
                    profit -= e.verifier_stake
                    jackpot += e.verifier_stake
            total += profit
        out[kind] = total / tasks
    return out


# --- the real contracts on Anvil -------------------------------------------------------


def anvil_sample() -> list[tuple[str, int, int]]:
    """Two tasks through the real contracts; returns (who, measured, model) in base units."""
    from eth_account import Account
    from eth_hash.auto import keccak
    from web3 import Web3

    from offchain.chain.anvil import Anvil, dev_keys
    from offchain.chain.deploy import compile_contract, deploy_all
    from offchain.commit import merkle
    from offchain.incentives import rules

    keys = dev_keys(10)
    gov, submitter, solver, honest, lazy, whistle = (Account.from_key(k) for k in keys[:6])
    window = 600
    params = {"verification_window": window, "reveal_window": window, "challenge_window": window,
              "sample_count": 3, "min_verifier_stake": 100 * E18}
    rows = []
    with Anvil() as node, tempfile.TemporaryDirectory() as tmp:
        addrs = deploy_all(node.url, keys[0], gov.address, Path(tmp) / "i", Path(tmp) / "d",
                           parameters=params, incentives=True)
        w3 = Web3(Web3.HTTPProvider(node.url))
        c = {n: w3.eth.contract(address=a, abi=compile_contract(n)["abi"]) for n, a in addrs.items()}

        def send(acct, name, fn, *args):
            tx = getattr(c[name].functions, fn)(*args).build_transaction(
                {"from": acct.address, "nonce": w3.eth.get_transaction_count(acct.address), "gas": 3_000_000,
                 "gasPrice": w3.eth.gas_price})
            r = w3.eth.wait_for_transaction_receipt(w3.eth.send_raw_transaction(
                acct.sign_transaction(tx).raw_transaction))
            if r["status"] != 1:
                raise RuntimeError(f"economics: {name}.{fn} reverted")
            return r

        def call(name, fn, *args):
            return getattr(c[name].functions, fn)(*args).call()

        def sleep_past(t):
            now = w3.eth.get_block("latest")["timestamp"]
            node.rpc("evm_increaseTime", max(0, t - now + 2))
            node.mine()

        for a in (submitter, solver, honest, lazy, whistle):
            send(gov, "TestToken", "mint", a.address, 10_000 * E18)
            for n in ("StakeManager", "TaskRegistry", "VerifierPool"):
                send(a, "TestToken", "approve", addrs[n], 2**256 - 1)
        for a in (solver, honest, lazy):
            send(a, "StakeManager", "bond", 1_000 * E18)
        T = 7
        step_roots = [keccak(bytes([t + 1]) * 32) for t in range(T + 1)]
        payment = 1_000 * E18

        def worth(a):
            return call("TestToken", "balanceOf", a.address) + call("StakeManager", "bonded", a.address)

        from offchain.dispute.tiny import tiny_task

        program_root, header, header_proof = tiny_task()
        for forced in (False, True):
            secret = os.urandom(32)
            wrong = rules.wrong_step_roots(step_roots, secret)
            before = {a.address: worth(a) for a in (honest, lazy, whistle)}
            jackpot0 = call("VerifierPool", "jackpot")
            send(gov, "Parameters", "set_parameter", "forced_error_rate_ppm", 0)
            send(submitter, "TaskRegistry", "create_task", b"\x11" * 32, program_root, b"\x33" * 32, T, 1,
                 payment, 100 * E18, 3_600, 86_400, header, header_proof)
            tid = call("TaskRegistry", "task_count")
            send(solver, "TaskRegistry", "claim_task", tid, rules.secret_hash(secret))
            node.mine(258 if forced else 1)
            send(solver, "TaskRegistry", "commit_result", tid, merkle.root(wrong if forced else step_roots),
                 b"\x55" * 32, "uri")
            attested = {}
            for v, copies in ((honest, False), (lazy, True)):
                send(v, "VerifierPool", "join", tid)
                node.mine(2)
                steps = call("VerifierPool", "sample_steps", tid, v.address)
                truth = wrong if (copies and forced) else step_roots
                vals = [truth[t] for t in steps]
                send(v, "VerifierPool", "commit_attestation", tid, rules.commitment(tid, v.address, vals, secret))
                if not copies and forced:
                    send(v, "VerifierPool", "flag", tid)
                attested[v.address] = (steps, vals)
            inc = call("TaskRegistry", "incentive", tid)
            sleep_past(inc[4])
            for v in (honest, lazy):
                send(v, "VerifierPool", "reveal", tid, attested[v.address][1], secret)
            sleep_past(inc[5])
            send(solver, "TaskRegistry", "reveal_secret", tid, secret, merkle.root(step_roots), b"\x55" * 32, "uri")
            sleep_past(call("TaskRegistry", "get_task", tid)[16])
            send(submitter, "TaskRegistry", "finalize", tid)
            if forced:
                steps = attested[lazy.address][0]
                send(whistle, "VerifierPool", "report", tid, lazy.address, 0, step_roots[steps[0]],
                     rules.step_proofs(step_roots, steps[:1])[0])
            sleep_past(call("VerifierPool", "round_of", tid)[7] + window)
            send(honest, "VerifierPool", "settle", tid, rules.step_proofs(step_roots, attested[honest.address][0]))
            if not forced:
                send(lazy, "VerifierPool", "settle", tid, rules.step_proofs(step_roots, attested[lazy.address][0]))
            # the model of the same rules, in base units
            fee = payment * 500 // BPS
            pot = fee - fee * 2_000 // BPS
            stake = 100 * E18
            model = {honest.address: pot // 2 + (jackpot0 if forced else 0),
                     lazy.address: -stake if forced else pot // 2,
                     whistle.address: stake * 5_000 // BPS if forced else 0}
            label = "forced" if forced else "normal"
            for who, name in ((honest, "honest verifier"), (lazy, "lazy verifier"), (whistle, "whistleblower")):
                rows.append((f"{label} task, {name}", worth(who) - before[who.address], model[who.address]))
    return rows


# --- main ---------------------------------------------------------------------------------


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tasks", type=int, default=200_000, help="tasks per Monte Carlo run")
    ap.add_argument("--no-anvil", action="store_true", help="skip the real-contract sample")
    ap.add_argument("--out", default=str(ROOT / "bench" / "economics.png"))
    args = ap.parse_args()
    e = Econ()

    if not args.no_anvil:
        print("real contracts on Anvil (token + stake change, base units):")
        ok = True
        for what, got, want in anvil_sample():
            ok &= got == want
            print(f"  {what:36s} measured {got / E18:+10.4f}  model {want / E18:+10.4f}  {'ok' if got == want else 'DIFF'}")
        print(f"  contracts match the model: {ok}")

    grid = [i / 10_000 for i in range(1, 1_001)]  # 0.01 % .. 10 % (the parameter's bound)
    print(f"\nmarket: payment {e.payment:.0f}, fee {e.fee:.0f} (pot {e.pot:.0f}, jackpot share "
          f"{e.fee - e.pot:.0f}), {e.verifiers} verifiers x {e.samples} samples of {e.steps} steps, "
          f"verifier stake {e.verifier_stake:.0f}, solver stake {e.solver_stake:.0f}, "
          f"train cost {e.train_cost:.0f}, verify cost {e.verify_cost:.2f}")
    print("\nMonte Carlo vs closed form (profit per task, tokens):")
    for p in (0.01, 0.05, 0.10):
        mc = simulate(e, p, args.tasks)
        print(f"  p={p:5.2f}  honest {mc['honest']:8.3f} ({honest_verifier(e, p):8.3f})  "
              f"lazy {mc['lazy']:8.3f} ({lazy_verifier(e, p):8.3f})  "
              f"flagger {mc['flagger']:8.3f} ({flagging_verifier(e, p):8.3f})")
    p_lazy = next((p for p in grid if lazy_verifier(e, p) < 0), None)
    p_star = smallest_p(e, grid)
    print(f"\nlazy verification loses money from p = {p_lazy:.4f}" if p_lazy else "\nlazy never loses below 10 %")
    print(f"best cheat gain over honest solving: {best_cheat(e, e.verifiers):+.2f} with honest verifiers, "
          f"{best_cheat(e, 0):+.2f} with none")
    print(f"smallest p at which lazy verification and cheating solving both lose money: "
          f"{p_star:.4f}" if p_star else "no p <= 10 % makes both lose money")
    for stake in (10.0, 50.0, 100.0, 1_000.0):
        q = smallest_p(replace(e, verifier_stake=stake), grid)
        print(f"  verifier stake {stake:7.0f}: smallest p = " + (f"{q:.4f}" if q else "none <= 0.10")
              + f" (formula pot/k / (pot/k + stake) = {e.pot / e.verifiers / (e.pot / e.verifiers + stake):.4f})")
    plot(e, grid, p_star, args.out)
    print(f"\nplot: {args.out}")


def plot(e: Econ, grid: list[float], p_star: float | None, out: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (a, b) = plt.subplots(1, 2, figsize=(12, 4.5))
    ps = grid
    a.plot(ps, [honest_verifier(e, p) for p in ps], label="honest verifier")
    a.plot(ps, [lazy_verifier(e, p) for p in ps], label="lazy verifier (copies the solver)")
    a.plot(ps, [flagging_verifier(e, p) for p in ps], label="verifier that flags everything")
    a.plot(ps, [best_cheat(e, rational_honest_verifiers(e, p)) for p in ps],
           label="cheating solver: best gain over honest (rational verifiers)")
    if p_star:
        a.axvline(p_star, color="k", ls=":", label=f"p* = {p_star:.4f}")
    a.axhline(0, color="grey", lw=0.5)
    a.set_xlabel("forced-error rate p")
    a.set_ylabel("expected profit per task (tokens)")
    a.set_ylim(-60, 60)
    a.set_title("strategies vs forced-error rate")
    a.legend(fontsize=7)
    ss = list(range(1, 17))
    for p in (0.01, 0.05, 0.10):
        b.plot(ss, [lazy_verifier(replace(e, samples=s), p) - honest_verifier(replace(e, samples=s), p)
                    for s in ss], label=f"lazy - honest verifier, p={p}")
    b.plot(ss, [best_cheat(replace(e, samples=s), e.verifiers) for s in ss], "k--",
           label="cheating solver gain (honest verifiers)")
    b.axhline(0, color="grey", lw=0.5)
    b.set_xlabel("sampling rate (steps per verifier)")
    b.set_ylabel("profit difference per task (tokens)")
    b.set_title("deviation gains vs sampling rate")
    b.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out, dpi=110)


if __name__ == "__main__":
    main()
