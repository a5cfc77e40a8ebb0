"""Adversarial disputes on Anvil: the honest offchain Player against the property-based adversary.

Deploys the protocol on a fresh Anvil, commits one task per configuration of
the tiny digits MLP (hidden 2, batch 1, 2 steps), then plays N disputes from
a chain snapshot each: half with the honest party as solver (the adversary
challenges with a faulty run), half as challenger (the adversary solved with
a faulty run). The adversary's plans are drawn from a seeded RNG: its
consistent move, stalls, forged micro-traces and mutated moves (children,
proofs of any length, inner nodes / roots / values below leaves, indices,
operands, headers); see tests/contracts/dispute/adversary.py. A game counts
as an honest win when it ends DONE, the honest party wins and every actor's
money moved exactly as the rules say. Each lost game is printed with its moves.

    python bench/adversary.py --games 200 [--seed 1]

Last line: `adversarial disputes: games=N honest wins=W`.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "contracts" / "dispute"))

from adversary import ACTORS, Arena, default_runs, play, random_plan  # noqa: E402
from eth_account import Account  # noqa: E402

from offchain.chain import ChainClient  # noqa: E402
from offchain.chain.anvil import Anvil, dev_keys  # noqa: E402
from offchain.chain.deploy import deploy_all  # noqa: E402
from offchain.config import Settings  # noqa: E402
from offchain.dispute.player import CHALLENGER, SOLVER  # noqa: E402


class Web3Backend:
    """Backend of adversary.py on an Anvil of our own, one ChainClient per actor."""

    def __init__(self, node: Anvil, chains: dict[str, ChainClient]):
        self.node, self.ch = node, chains
        self.any = chains["deployer"]
        self.last_error = ""

    def address(self, who):
        return self.ch[who].address

    def contract_address(self, name):
        return self.any.contract(name).address

    def has(self, contract, fn):
        return any(x.get("name") == fn for x in self.any.contract(contract).abi)

    def n_inputs(self, contract, fn):
        return next(len(x["inputs"]) for x in self.any.contract(contract).abi if x.get("name") == fn)

    def call(self, contract, fn, *args):
        return self.any.call(contract, fn, *args)

    def send(self, who, contract, fn, args):
        try:
            self.ch[who].transact(contract, fn, *args)
            return True
        except Exception as exc:  # noqa: BLE001 - a revert or an argument the ABI cannot encode
            self.last_error = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
            return False

    def now(self):
        return int(self.any.block("latest")["timestamp"])

    def advance(self, seconds):
        self.node.rpc("evm_increaseTime", hex(int(seconds)))
        self.node.mine(1)

    def snapshot(self):
        return self.node.rpc("evm_snapshot")

    def revert(self, snap):
        self.node.rpc("evm_revert", snap)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--games", type=int, default=100)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--quiet", action="store_true", help="print only lost games and the summary")
    a = ap.parse_args()
    rng = random.Random(a.seed)
    t0 = time.time()
    runs = default_runs()
    keys = dev_keys(10)
    wins = 0
    losses: dict[str, int] = {}
    with Anvil() as node, tempfile.TemporaryDirectory() as tmp:
        addr = {k: Account.from_key(k).address for k in keys[:5]}
        deploy_all(node.url, keys[0], addr[keys[1]], Path(tmp) / "interfaces", Path(tmp) / "deployments")
        settings = Settings(rpc_url=node.url, deployments_dir=str(Path(tmp) / "deployments"),
                            interfaces_dir=str(Path(tmp) / "interfaces"), state_dir=str(Path(tmp) / "state"))
        chains = {name: ChainClient(settings, k) for name, k in zip(ACTORS, keys[:5], strict=True)}
        arena = Arena(Web3Backend(node, chains), runs)
        print(f"setup: runs and deployment in {time.time() - t0:.1f}s", flush=True)
        t1 = time.time()
        for n in range(a.games):
            plan = replace(random_plan(rng), honest=SOLVER if n % 2 == 0 else CHALLENGER)
            res = play(arena, plan)
            why = res.failure()
            if why is None:
                wins += 1
            else:
                losses[why.split(":")[0]] = losses.get(why.split(":")[0], 0) + 1
                print(f"game {n}: HONEST LOST: {why}\n  {res.report()}", flush=True)
            if not a.quiet and (n + 1) % 10 == 0:
                print(f"  {n + 1} games, {wins} honest wins, {time.time() - t1:.0f}s", flush=True)
        dt = time.time() - t1
    print(f"{a.games} games in {dt:.0f}s ({dt / max(a.games, 1):.2f}s per game); lost by kind: {losses}")
    print(f"adversarial disputes: games={a.games} honest wins={wins}")


if __name__ == "__main__":
    main()
