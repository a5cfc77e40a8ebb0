"""Deploy the protocol with web3.py alone (no brownie): compile the Vyper
sources with the vyper compiler, deploy token, Parameters, StakeManager,
TaskRegistry and (by default) the OneStepVerifier and DisputeGame, wire them,
and write interfaces/<Name>.json and deployments/<network>.json where the
agent's settings say. Used by the demo
and the end-to-end tests on a fresh Anvil node. The record pins the chain id and
the block of the first deployment transaction (`start_block`: where the agents'
log scans begin), read back through offchain/chain/record.py."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from eth_account import Account
from web3 import HTTPProvider, Web3

ROOT = Path(__file__).resolve().parents[2]
ZERO = "0x" + "00" * 20

#: (deployment name, source path relative to the repository root)
SOURCES = {
    "TestToken": "contracts/test/TestToken.vy",
    "Parameters": "contracts/Parameters.vy",
    "StakeManager": "contracts/StakeManager.vy",
    "TaskRegistry": "contracts/TaskRegistry.vy",
    "OneStepVerifier": "contracts/OneStepVerifier.vy",
    "DisputeGame": "contracts/DisputeGame.vy",
    "VerifierPool": "contracts/VerifierPool.vy",
}


def compile_contract(name: str, cache_dir: Path | None = None) -> dict:
    """{"abi", "bytecode"} of a contract, cached under build/agent/ by source mtime."""
    src = ROOT / SOURCES[name]
    cache_dir = cache_dir or ROOT / "build" / "agent"
    cache = cache_dir / f"{name}.json"
    stamp = max(p.stat().st_mtime for p in (ROOT / "contracts").rglob("*.vy"))
    if cache.is_file():
        data = json.loads(cache.read_text())
        if data.get("stamp") == stamp:
            return data
    vyper = Path(sys.executable).with_name("vyper")
    out = subprocess.run([str(vyper), "-f", "abi,bytecode", "-p", str(ROOT), str(src)],
                         capture_output=True, text=True, cwd=ROOT)
    if out.returncode != 0:
        raise RuntimeError(f"deploy: vyper failed on {src}: {out.stderr.strip().splitlines()[-1:]}")
    abi_line, bytecode = out.stdout.strip().splitlines()[:2]
    data = {"abi": json.loads(abi_line), "bytecode": bytecode.strip(), "stamp": stamp}
    cache_dir.mkdir(parents=True, exist_ok=True)
    cache.write_text(json.dumps(data))
    return data


class Deployer:
    def __init__(self, rpc_url: str, private_key: str):
        self.w3 = Web3(HTTPProvider(rpc_url))
        self.acct = Account.from_key(private_key)
        self.gas_used: dict[str, int] = {}
        self.first_block: int | None = None  # block of the first deployment transaction

    def _send(self, tx: dict, what: str):
        tx = {**tx, "from": self.acct.address,
              "nonce": self.w3.eth.get_transaction_count(self.acct.address, "pending")}
        tx.setdefault("gas", int(self.w3.eth.estimate_gas(tx) * 1.2) + 20_000)
        tx.update({"chainId": self.w3.eth.chain_id, "gasPrice": self.w3.eth.gas_price})
        h = self.w3.eth.send_raw_transaction(self.acct.sign_transaction(tx).raw_transaction)
        r = self.w3.eth.wait_for_transaction_receipt(h, timeout=120)
        if r["status"] != 1:
            raise RuntimeError(f"deploy: {what} reverted")
        self.gas_used[what] = int(r["gasUsed"])
        if self.first_block is None:
            self.first_block = int(r["blockNumber"])
        return r

    def deploy(self, name: str, *args) -> str:
        art = compile_contract(name)
        c = self.w3.eth.contract(abi=art["abi"], bytecode=art["bytecode"])
        tx = c.constructor(*args).build_transaction({"from": self.acct.address, "gas": 0})
        tx.pop("gas")
        return self._send({k: tx[k] for k in ("data", "value") if k in tx}, f"deploy {name}")["contractAddress"]

    def call(self, name: str, addr: str, fn: str, *args) -> None:
        c = self.w3.eth.contract(address=addr, abi=compile_contract(name)["abi"])
        tx = getattr(c.functions, fn)(*args).build_transaction({"from": self.acct.address, "gas": 0})
        self._send({"to": addr, "data": tx["data"]}, f"{name}.{fn}")


def deploy_all(rpc_url: str, deployer_key: str, treasury: str, interfaces_dir: str | Path,
               deployments_dir: str | Path, network: str = "development",
               parameters: dict[str, int] | None = None, dispute: bool = True,
               incentives: bool = False) -> dict[str, str]:
    """Deploy and wire everything; write ABIs and addresses; return {name: address}.

    `parameters` are set through Parameters.set_parameter by the deployer
    (the governance owner right after deployment), e.g. shorter periods for a demo.
    With `dispute` (the default), the OneStepVerifier and the DisputeGame are deployed and
    wired too; without it, no one can challenge a result (a registry-only deployment).
    With `incentives`, the VerifierPool (attestations, fees, forced-error jackpot)
    is deployed and wired into the StakeManager and TaskRegistry before `wire`.
    """
    d = Deployer(rpc_url, deployer_key)
    token = d.deploy("TestToken", "Test Token", "TT")
    params = d.deploy("Parameters", Web3.to_checksum_address(treasury))
    stake = d.deploy("StakeManager", token, params)
    registry = d.deploy("TaskRegistry", token, params, stake)
    game = ZERO
    if dispute:
        verifier = d.deploy("OneStepVerifier")
        game = d.deploy("DisputeGame", registry, params, verifier)
    pool = ZERO
    if incentives:
        pool = d.deploy("VerifierPool", token, params, stake, registry)
        d.call("StakeManager", stake, "wire_verifier_pool", pool)
        d.call("TaskRegistry", registry, "wire_verifier_pool", pool)
    d.call("StakeManager", stake, "wire", registry, game)
    d.call("TaskRegistry", registry, "wire", game)
    for key, value in (parameters or {}).items():
        d.call("Parameters", params, "set_parameter", key, value)
    addrs = {"TestToken": token, "Parameters": params, "StakeManager": stake, "TaskRegistry": registry}
    if dispute:
        addrs.update(OneStepVerifier=verifier, DisputeGame=game)
    if incentives:
        addrs["VerifierPool"] = pool
    Path(interfaces_dir).mkdir(parents=True, exist_ok=True)
    for name in addrs:
        (Path(interfaces_dir) / f"{name}.json").write_text(json.dumps(compile_contract(name)["abi"]))
    Path(deployments_dir).mkdir(parents=True, exist_ok=True)
    (Path(deployments_dir) / f"{network}.json").write_text(json.dumps(
        {"chain_id": d.w3.eth.chain_id, "start_block": d.first_block, "contracts": addrs}, indent=2))
    return addrs
