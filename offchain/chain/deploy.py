"""Deploy the protocol with web3.py alone (no brownie): compile the Vyper
sources with the vyper compiler, deploy token, Parameters, StakeManager,
TaskRegistry and (by default) the OneStepV2, OneStepVerifier and DisputeGame, wire them,
and write interfaces/<Name>.json and deployments/<network>.json where the
agent's settings say. Used by the demo
and the end-to-end tests on a fresh Anvil node. The record's format is
offchain/deployment.py's (the same as scripts/deploy.py's)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from eth_account import Account
from web3 import HTTPProvider, Web3

from ..deployment import (
    add_contract,
    data_root,
    git_commit,
    new_record,
    record_path,
    set_token,
    write_record,
)

#: the folder holding contracts/ (the checkout, or the copy inside an installed package)
ROOT = data_root()
ZERO = "0x" + "00" * 20

#: (deployment name, source path relative to the repository root)
SOURCES = {
    "TestToken": "contracts/test/TestToken.vy",
    "Parameters": "contracts/Parameters.vy",
    "StakeManager": "contracts/StakeManager.vy",
    "TaskRegistry": "contracts/TaskRegistry.vy",
    "OneStepV2": "contracts/OneStepV2.vy",
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
        self.receipts: dict[str, object] = {}  # deployment name -> its creation receipt

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
        return r

    def deploy(self, name: str, *args) -> str:
        art = compile_contract(name)
        c = self.w3.eth.contract(abi=art["abi"], bytecode=art["bytecode"])
        tx = c.constructor(*args).build_transaction({"from": self.acct.address, "gas": 0})
        tx.pop("gas")
        r = self._send({k: tx[k] for k in ("data", "value") if k in tx}, f"deploy {name}")
        self.receipts[name] = r
        return r["contractAddress"]

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
    With `dispute` (the default), the OneStepV2, OneStepVerifier and DisputeGame are deployed and
    wired too; without it, no one can challenge a result (a registry-only deployment).
    With `incentives`, the VerifierPool (attestations, fees, forced-error jackpot)
    is deployed and wired into the StakeManager and TaskRegistry before `wire`.
    """
    d = Deployer(rpc_url, deployer_key)
    start_block = d.w3.eth.block_number + 1
    token = d.deploy("TestToken", "Test Token", "TT")
    params = d.deploy("Parameters", Web3.to_checksum_address(treasury))
    stake = d.deploy("StakeManager", token, params)
    registry = d.deploy("TaskRegistry", token, params, stake)
    game = ZERO
    if dispute:
        onestep_v2 = d.deploy("OneStepV2")
        verifier = d.deploy("OneStepVerifier", onestep_v2)
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
        addrs.update(OneStepV2=onestep_v2, OneStepVerifier=verifier, DisputeGame=game)
    if incentives:
        addrs["VerifierPool"] = pool
    Path(interfaces_dir).mkdir(parents=True, exist_ok=True)
    for name in addrs:
        (Path(interfaces_dir) / f"{name}.json").write_text(json.dumps(compile_contract(name)["abi"]))
    (Path(interfaces_dir) / "ERC20.json").write_text(json.dumps(erc20_abi(compile_contract("TestToken")["abi"])))
    record = new_record(network, d.w3.eth.chain_id, d.acct.address, git_commit(ROOT), start_block)
    set_token(record, token, "TT", 18, test_token=True)
    for name, address in addrs.items():
        if name != "TestToken":
            r = d.receipts[name]
            add_contract(record, name, address, "0x" + bytes(r["transactionHash"]).hex(), r["blockNumber"])
    record["complete"] = True
    write_record(record_path(deployments_dir, network), record)
    return addrs


#: the ERC-20 standard's functions and events (EIP-20), what agents use of any token
ERC20_NAMES = ("name", "symbol", "decimals", "totalSupply", "balanceOf", "allowance", "transfer",
               "transferFrom", "approve", "Transfer", "Approval")


def erc20_abi(token_abi: list) -> list:
    """The EIP-20 part of a token's ABI (interfaces/ERC20.json: any ERC-20 by address)."""
    abi = [e for e in token_abi if e.get("name") in ERC20_NAMES]
    missing = set(ERC20_NAMES) - {e["name"] for e in abi}
    if missing:
        raise ValueError(f"deploy: the token ABI lacks {sorted(missing)}")
    return sorted(abi, key=lambda e: (e["type"], e["name"]))
