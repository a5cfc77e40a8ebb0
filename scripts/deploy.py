"""Deploys and wires the whole protocol on any brownie network.

    python -m scripts.run deploy [OPTIONS] [--network NAME]

Options (each also an environment variable, in brackets):
  --token ADDRESS     the stake and payment ERC-20 [STAKE_TOKEN]; its symbol and
                      decimals are read from it. Without one, a fresh TestToken,
                      on a local network (development, anvil) only.
  --treasury ADDRESS  the treasury [TREASURY] (default: the deployer).
  --account NAME      sign with brownie's encrypted keystore account NAME
                      (`brownie accounts new NAME`; password prompted, or
                      BROWNIE_ACCOUNT_PASSWORD); else DEPLOYER_PRIVATE_KEY; else,
                      locally, Anvil's first account.
  --confirmations N   blocks to wait after each transaction (default 1).
  --no-dispute        leave out the OneStepV2, OneStepVerifier and DisputeGame [NO_DISPUTE=1]
                      (nobody can then challenge a result).
  --incentives        deploy the VerifierPool too [INCENTIVES=1].
  --dry-run           print what would be deployed and the gas estimates; send nothing.
  --force             replace an existing record of a live deployment.

Writes deployments/<network>.json (format: offchain/deployment.py) after
every transaction, so a deploy that stopped half-way resumes: contracts the
record lists are kept when their code is at their address, wiring already
done on chain is skipped. A complete record of a deployment whose contracts
are on chain is never replaced without --force. Guide: docs/deploy.md.
The same wiring without brownie: offchain/chain/deploy.py (the demo's).
"""

from __future__ import annotations

import argparse
import os
import sys

from brownie import (
    DisputeGame,
    OneStepV2,
    OneStepVerifier,
    Parameters,
    StakeManager,
    TaskRegistry,
    TestToken,
    VerifierPool,
    chain,
    network,
    web3,
)

from offchain.deployment import (
    add_contract,
    git_commit,
    new_record,
    read_record,
    set_token,
)
from scripts.deployment import (
    LOCAL_NETWORKS,
    ROOT,
    ScriptError,
    deployment_path,
    erc20_at,
    save_deployment,
    signer,
)

ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"


def _flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes")


def _has_code(address: str) -> bool:
    return len(web3.eth.get_code(str(address))) > 0


def _is_build(container, address: str) -> bool:
    """True when the code at `address` is the compiled runtime of `container` (Vyper
    appends immutables after it, so the chain's code starts with the build's)."""
    code = bytes(web3.eth.get_code(str(address))).hex()
    runtime = container._build["deployedBytecode"].removeprefix("0x").lower()
    return bool(code) and code.startswith(runtime)


def _usable(record: dict) -> str | None:
    """None when every contract of `record` has its build's code on this chain, else why not."""
    if record.get("chain_id") != chain.id:
        return f"it is for chain {record.get('chain_id')}, connected to chain {chain.id}"
    containers = _containers()
    for name, entry in record.get("contracts", {}).items():
        if name in containers and not _is_build(containers[name], entry["address"]):
            return f"{name} at {entry['address']} is not the compiled {name} on chain {chain.id}"
    token = record.get("token")
    if token and not _has_code(token["address"]):
        return f"no token code at {token['address']}"
    return None


def _containers() -> dict:
    return {"Parameters": Parameters, "StakeManager": StakeManager, "TaskRegistry": TaskRegistry,
            "OneStepV2": OneStepV2, "OneStepVerifier": OneStepVerifier, "DisputeGame": DisputeGame, "VerifierPool": VerifierPool}


def _start(force: bool, path, deployer) -> dict:
    """The record to continue: a fresh one, or the partly written one of this chain."""
    fresh = new_record(network.show_active(), chain.id, str(deployer), git_commit(ROOT), chain.height + 1)
    if force or not path.exists():
        return fresh
    record = read_record(path)
    if record.get("format") is None:
        raise ScriptError(f"deploy: {path} is a record of an older format; move it away or use --force")
    why = _usable(record)
    local = network.show_active() in LOCAL_NETWORKS
    if why is None and record.get("complete"):
        raise ScriptError(f"deploy: {path} records a complete deployment on chain {chain.id}; "
                          "use --force to deploy anew and replace it")
    if why is not None:
        if local:  # a restarted local chain: its old record means nothing
            print(f"deploy: replacing {path.name}: {why}")
            return fresh
        raise ScriptError(f"deploy: {path} cannot be resumed: {why}; use --force to start over")
    print(f"deploy: resuming the partial deployment of {path.name} "
          f"({len(record['contracts'])} contracts already deployed)")
    return record


class _Plan:
    """Sends (or, in a dry run, estimates) each step and keeps the record current."""

    def __init__(self, record: dict, path, tx: dict, dry_run: bool, write: bool):
        self.record, self.path, self.tx, self.dry, self.write = record, path, tx, dry_run, write
        self.gas = 0
        self.placeholder = str(tx["from"])

    def _save(self):
        if self.write and not self.dry:
            save_deployment(self.record, path=self.path)

    def contract(self, name: str, container, *args):
        entry = self.record["contracts"].get(name)
        if entry is not None:
            print(f"{name:>16}: {entry['address']} (kept)")
            return container.at(entry["address"])
        if self.dry:
            args = [a if a is not None else self.placeholder for a in args]
            try:
                # web3, not brownie's estimate_gas: brownie answers a revert with the block gas limit
                gas = web3.eth.estimate_gas({"from": str(self.tx["from"]),
                                             "data": container.deploy.encode_input(*args)})
                self.gas += gas
                note = f"gas {gas:,}"
            except Exception:  # noqa: BLE001 - depends on a contract not deployed yet
                size = len(container._build["bytecode"]) // 2
                gas = 53_000 + 220 * size
                self.gas += gas
                note = f"gas about {gas:,} (from its code size: the constructor needs contracts not yet deployed)"
            print(f"{name:>16}: would deploy, {note}")
            return None
        deployed = container.deploy(*args, self.tx)
        add_contract(self.record, name, deployed.address, deployed.tx.txid, deployed.tx.block_number)
        self._save()
        return deployed

    def call(self, what: str, done, fn, *args):
        if not self.dry and done():
            print(f"{what:>16}: already done (kept)")
            return
        if self.dry:
            print(f"{what:>16}: would call")
            return
        receipt = fn(*args, self.tx)
        self.record.setdefault("wiring", {})[what] = {"tx": receipt.txid, "block": receipt.block_number}
        self._save()


def _token(plan: _Plan, token: str | None) -> str | None:
    """The token address (deploying a TestToken locally), its symbol and decimals recorded."""
    known = plan.record.get("token")
    if known and (token is None or known["address"].lower() == str(token).lower()):
        print(f"{'token':>16}: {known['address']} ({known['symbol']}, {known['decimals']} decimals, kept)")
        return known["address"]
    if known:
        raise ScriptError(f"deploy: the partial record uses token {known['address']}, not {token}; "
                          "use --force to start over")
    if token is None:
        if network.show_active() not in LOCAL_NETWORKS:
            raise ScriptError("deploy: give the stake and payment ERC-20 with --token ADDRESS (or STAKE_TOKEN): "
                              "a TestToken is deployed on local networks only")
        if plan.dry:
            gas = web3.eth.estimate_gas({"from": str(plan.tx["from"]),
                                         "data": TestToken.deploy.encode_input("Test stake", "TST")})
            plan.gas += gas
            print(f"{'TestToken':>16}: would deploy (local only), gas {gas:,}")
            return None
        t = TestToken.deploy("Test stake", "TST", plan.tx)
        set_token(plan.record, t.address, "TST", 18, test_token=True)
        plan.record["token"]["tx"], plan.record["token"]["block"] = t.tx.txid, t.tx.block_number
        plan._save()
        return t.address
    symbol, decimals = erc20_at(str(token))
    print(f"{'token':>16}: {token} ({symbol}, {decimals} decimals)")
    set_token(plan.record, str(token), symbol, decimals, test_token=False)
    plan._save()
    return str(token)


def deploy(deployer=None, token=None, treasury=None, dispute: bool | None = None,
           incentives: bool | None = None, write: bool = True, force: bool = False,
           dry_run: bool = False, confirmations: int = 1, account: str | None = None) -> dict:
    """Deploys the protocol and wires it once (resuming a partial record); `dispute`
    and `incentives` default to the NO_DISPUTE / INCENTIVES environment switches.

    Returns the deployment record (written to deployments/ after each step if `write`).
    """
    deployer = signer("DEPLOYER_PRIVATE_KEY", override=deployer if deployer is not None else account)
    tx = {"from": deployer, "required_confs": max(1, int(confirmations))}
    token = token or os.environ.get("STAKE_TOKEN") or None
    treasury = treasury or os.environ.get("TREASURY") or deployer
    dispute = not _flag("NO_DISPUTE") if dispute is None else dispute
    incentives = _flag("INCENTIVES") if incentives is None else incentives
    path = deployment_path()
    record = _start(force or not write, path, deployer)
    plan = _Plan(record, path, tx, dry_run, write)
    if dry_run:
        print(f"dry run on {network.show_active()} (chain {chain.id}) from {deployer}: nothing is sent")

    token = _token(plan, token)
    parameters = plan.contract("Parameters", Parameters, str(treasury))
    stake_manager = plan.contract("StakeManager", StakeManager, token, parameters)
    registry = plan.contract("TaskRegistry", TaskRegistry, token, parameters, stake_manager)
    dispute_game = ZERO_ADDRESS
    if dispute:
        onestep_v2 = plan.contract("OneStepV2", OneStepV2)
        verifier = plan.contract("OneStepVerifier", OneStepVerifier, onestep_v2)
        dispute_game = plan.contract("DisputeGame", DisputeGame, registry, parameters, verifier)
    if incentives:
        pool = plan.contract("VerifierPool", VerifierPool, token, parameters, stake_manager, registry)
        plan.call("StakeManager.wire_verifier_pool", lambda: stake_manager.verifier_pool() != ZERO_ADDRESS,
                  stake_manager and stake_manager.wire_verifier_pool, pool)
        plan.call("TaskRegistry.wire_verifier_pool", lambda: registry.verifier_pool() != ZERO_ADDRESS,
                  registry and registry.wire_verifier_pool, pool)
    plan.call("StakeManager.wire", lambda: stake_manager.wired(),
              stake_manager and stake_manager.wire, registry, dispute_game or ZERO_ADDRESS)
    plan.call("TaskRegistry.wire", lambda: registry.wired(), registry and registry.wire,
              dispute_game or ZERO_ADDRESS)

    if dry_run:
        price = web3.eth.gas_price
        print(f"total: about {plan.gas:,} gas for the deployments (plus the wiring calls), "
              f"{plan.gas * price / 1e18:.6f} native at the current gas price of {price / 1e9:g} gwei")
        return record
    record["complete"] = True
    if write:
        print(f"deployment written to {save_deployment(record, path=path)}")
    return record


def parse(args) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m scripts.run deploy",
                                description="Deploy and wire the protocol (docs/deploy.md).")
    p.add_argument("--token", default=None, help="stake and payment ERC-20 (else STAKE_TOKEN)")
    p.add_argument("--treasury", default=None, help="treasury address (else TREASURY, else the deployer)")
    p.add_argument("--account", default=None, help="brownie keystore account that signs")
    p.add_argument("--confirmations", type=int, default=1, help="blocks to wait per transaction")
    p.add_argument("--no-dispute", action="store_true", help="leave the dispute game out")
    p.add_argument("--incentives", action="store_true", help="deploy the VerifierPool too")
    p.add_argument("--dry-run", action="store_true", help="print the plan and gas; send nothing")
    p.add_argument("--force", action="store_true", help="replace an existing record")
    ns = p.parse_args([str(a) for a in args])
    if ns.confirmations < 1:
        p.error(f"--confirmations must be at least 1, got {ns.confirmations}")
    return ns


def main(*args):
    ns = parse(args)
    record = deploy(token=ns.token, treasury=ns.treasury, account=ns.account,
                    dispute=False if ns.no_dispute else None, incentives=True if ns.incentives else None,
                    force=ns.force, dry_run=ns.dry_run, confirmations=ns.confirmations)
    if not ns.dry_run:
        token = record["token"]
        print(f"{'token':>16}: {token['address']} ({token['symbol']}, {token['decimals']} decimals)")
        for name, entry in record["contracts"].items():
            print(f"{name:>16}: {entry['address']} (tx {entry['tx']}, block {entry['block']})")


if __name__ == "__main__":
    sys.exit("run this script with `python -m scripts.run deploy`")
