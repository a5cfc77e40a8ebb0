"""A local Anvil node as a managed subprocess on a free port (tests, demo)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import requests
from eth_account import Account

#: Anvil's default mnemonic; its accounts are funded with 10,000 ETH each
MNEMONIC = "test test test test test test test test test test test junk"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def dev_keys(n: int = 10) -> list[str]:
    """Private keys (0x hex) of Anvil's first n default accounts."""
    Account.enable_unaudited_hdwallet_features()
    return ["0x" + bytes(Account.from_mnemonic(MNEMONIC, account_path=f"m/44'/60'/0'/0/{i}").key).hex()
            for i in range(n)]


def anvil_binary() -> str:
    local = Path(__file__).resolve().parents[2] / "node_modules" / ".bin" / "anvil"
    if local.exists():
        return str(local)
    found = shutil.which("anvil")
    if not found:
        raise RuntimeError("anvil: binary not found (run `make setup`)")
    return found


class Anvil:
    """`with Anvil() as node: node.url` starts a node and always stops it."""

    def __init__(self, port: int | None = None, block_time: float | None = None,
                 accounts: int = 10, extra: list[str] | None = None):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        args = [anvil_binary(), "--port", str(self.port), "--silent", "--accounts", str(accounts),
                "--gas-limit", "30000000"]
        if block_time:
            args += ["--block-time", str(block_time)]
        self.args = args + (extra or [])
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 30.0) -> Anvil:
        self.proc = subprocess.Popen(self.args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     start_new_session=True)
        end = time.time() + timeout
        while time.time() < end:
            if self.proc.poll() is not None:
                raise RuntimeError(f"anvil: exited with code {self.proc.returncode} on port {self.port}")
            try:
                r = requests.post(self.url, json={"jsonrpc": "2.0", "id": 1, "method": "eth_chainId",
                                                  "params": []}, timeout=1)
                if r.ok:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"anvil: no RPC on port {self.port} after {timeout}s")

    def rpc(self, method: str, *params):
        r = requests.post(self.url, json={"jsonrpc": "2.0", "id": 1, "method": method,
                                          "params": list(params)}, timeout=30)
        body = r.json()
        if "error" in body:
            raise RuntimeError(f"anvil: {method}: {body['error']}")
        return body["result"]

    def mine(self, blocks: int = 1) -> None:
        self.rpc("anvil_mine", hex(blocks))

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, 15)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, 9)
                self.proc.wait()

    def __enter__(self) -> Anvil:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
