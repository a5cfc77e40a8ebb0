"""web3.py connection with ABIs from interfaces/<Name>.json and addresses from
deployments/<network>.json; signs locally, sends, waits for receipts and
retries transient RPC errors with exponential backoff."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import requests
from eth_account import Account
from web3 import HTTPProvider, Web3
from web3.exceptions import ContractLogicError, TimeExhausted, TransactionNotFound

from ..config import Settings
from ..deployment import DeploymentError, abi_file, addresses, load_record

log = logging.getLogger("offchain.chain")
T = TypeVar("T")

TRANSIENT = (requests.ConnectionError, requests.Timeout, ConnectionError, TimeoutError)


class ChainError(Exception):
    """A chain operation failed for good (after retries, or with a revert)."""


class TxFailed(ChainError):
    """A transaction reverted; `reason` is the contract's revert string when known."""

    def __init__(self, what: str, reason: str, tx_hash: str | None = None):
        super().__init__(f"{what} reverted: {reason}")
        self.reason = reason
        self.tx_hash = tx_hash


def load_deployment(deployments_dir: str | Path, network: str) -> dict[str, str]:
    """{ContractName: address} of deployments/<network>.json (format: offchain/deployment.py),
    the token as `Token` (and `TestToken` for a test token)."""
    try:
        return addresses(load_record(deployments_dir, network))
    except DeploymentError as exc:
        raise ChainError(f"chain: {str(exc).removeprefix('deployment: ')}") from None


def load_abi(interfaces_dir: str | Path, name: str) -> list:
    p = abi_file(interfaces_dir, name)
    if not p.is_file():
        raise ChainError(f"chain: no ABI {p} (run `make abi`)")
    data = json.loads(p.read_text())
    return data["abi"] if isinstance(data, dict) else data


def _reason(exc: Exception) -> str:
    msg = getattr(exc, "message", None) or (exc.args[0] if exc.args else str(exc))
    msg = str(msg)
    for prefix in ("execution reverted: ", "execution reverted"):
        if msg.startswith(prefix):
            msg = msg[len(prefix):]
    return msg or "no reason"


class ChainClient:
    """One account on one chain: contracts by name, calls, transactions, blocks."""

    def __init__(self, settings: Settings, private_key: str | None = None):
        self.settings = settings
        self.w3 = Web3(HTTPProvider(settings.rpc_url, request_kwargs={"timeout": 30}))
        key = private_key if private_key is not None else settings.private_key
        self.account = Account.from_key(key) if key else None
        self._deployment: dict[str, str] | None = None
        self._contracts: dict[str, Any] = {}

    # --- plumbing -----------------------------------------------------------
    @property
    def address(self) -> str:
        if self.account is None:
            raise ChainError("chain: no private key configured (set TT_PRIVATE_KEY)")
        return self.account.address

    def retry(self, fn: Callable[[], T], what: str = "rpc") -> T:
        """Call fn, retrying transient connection errors with exponential backoff."""
        attempts = max(1, self.settings.rpc_retries)
        for i in range(attempts):
            try:
                return fn()
            except TRANSIENT as exc:
                if i == attempts - 1:
                    raise ChainError(f"chain: {what} failed after {attempts} attempts: {exc}") from exc
                delay = min(0.25 * 2**i, 5.0)
                log.warning("chain: %s: transient error (%s), retry in %.2fs", what, exc, delay)
                time.sleep(delay)
        raise AssertionError("unreachable")

    def wait_connected(self, timeout: float = 30.0) -> None:
        end = time.time() + timeout
        while time.time() < end:
            try:
                if self.w3.is_connected():
                    return
            except Exception:  # noqa: BLE001 - the node is starting
                pass
            time.sleep(0.2)
        raise ChainError(f"chain: no node at {self.settings.rpc_url}")

    @property
    def deployment(self) -> dict[str, str]:
        if self._deployment is None:
            self._deployment = load_deployment(self.settings.deployments_dir, self.settings.network)
        return self._deployment

    def contract(self, name: str):
        """The deployed contract `name` (ABI from interfaces/, address from deployments/)."""
        if name not in self._contracts:
            if name not in self.deployment:
                raise ChainError(f"chain: {name} is not in deployments/{self.settings.network}.json")
            abi = load_abi(self.settings.interfaces_dir, name)
            self._contracts[name] = self.w3.eth.contract(address=Web3.to_checksum_address(
                self.deployment[name]), abi=abi)
        return self._contracts[name]

    # --- reads ----------------------------------------------------------------
    def call(self, name: str, fn: str, *args, block: int | str = "latest"):
        c = self.contract(name)
        return self.retry(lambda: getattr(c.functions, fn)(*args).call(block_identifier=block),
                          f"{name}.{fn}")

    def block_number(self) -> int:
        return self.retry(lambda: self.w3.eth.block_number, "block_number")

    def block(self, ident: int | str = "latest"):
        return self.retry(lambda: self.w3.eth.get_block(ident), "get_block")

    def balance(self, addr: str | None = None) -> int:
        a = Web3.to_checksum_address(addr or self.address)
        return self.retry(lambda: self.w3.eth.get_balance(a), "get_balance")

    def receipt(self, tx_hash: str):
        """The receipt of tx_hash, or None while it is not mined."""
        def get():
            try:
                return self.w3.eth.get_transaction_receipt(tx_hash)
            except TransactionNotFound:
                return None
        return self.retry(get, "get_receipt")

    def pending(self, tx_hash: str) -> bool:
        """True if the node knows tx_hash (mined or in its mempool)."""
        def get():
            try:
                self.w3.eth.get_transaction(tx_hash)
                return True
            except TransactionNotFound:
                return False
        return self.retry(get, "get_transaction")

    # --- writes ---------------------------------------------------------------
    def build(self, name: str, fn: str, *args, value: int = 0) -> tuple[str, bytes]:
        """Check, build and sign a call; returns (tx hash, raw signed bytes). Nothing is sent.

        The call is first simulated (estimate_gas), so a revert raises TxFailed with
        the contract's reason and nothing is signed.
        """
        c = self.contract(name)
        what = f"{name}.{fn}"
        call = getattr(c.functions, fn)(*args)
        params = {"from": self.address, "value": value}
        try:
            gas = self.retry(lambda: call.estimate_gas(params), what)
        except ContractLogicError as exc:
            raise TxFailed(what, _reason(exc)) from None
        nonce = self.retry(lambda: self.w3.eth.get_transaction_count(self.address, "pending"), what)
        fee = self.retry(lambda: self.w3.eth.gas_price, what)
        tx = call.build_transaction({**params, "gas": int(gas * 1.2) + 10_000, "nonce": nonce,
                                     "maxFeePerGas": 2 * fee + 1, "maxPriorityFeePerGas": 1,
                                     "chainId": self.retry(lambda: self.w3.eth.chain_id, what)})
        signed = self.account.sign_transaction(tx)
        return "0x" + bytes(signed.hash).hex(), bytes(signed.raw_transaction)

    def send_raw(self, raw: bytes, what: str = "tx") -> None:
        def send():
            try:
                self.w3.eth.send_raw_transaction(raw)
            except ValueError as exc:  # already known: a retry of a send that got through
                if "already known" not in str(exc) and "AlreadyKnown" not in str(exc):
                    raise
        self.retry(send, what)

    def wait(self, tx_hash: str, what: str = "tx"):
        """Wait for the receipt (plus `confirmations` blocks); TxFailed if it reverted."""
        end = time.time() + self.settings.tx_timeout
        while True:
            r = self.receipt(tx_hash)
            if r is not None:
                break
            if time.time() > end:
                raise TimeExhausted(f"chain: {what} {tx_hash} not mined in {self.settings.tx_timeout}s")
            time.sleep(0.1)
        if r["status"] != 1:
            raise TxFailed(what, self._replay_reason(tx_hash, r), tx_hash)
        while self.settings.confirmations and self.block_number() < r["blockNumber"] + self.settings.confirmations:
            time.sleep(0.2)
        return r

    def _replay_reason(self, tx_hash: str, receipt) -> str:
        tx = self.w3.eth.get_transaction(tx_hash)
        try:
            self.w3.eth.call({"from": tx["from"], "to": tx["to"], "data": tx["input"],
                              "value": tx["value"], "gas": tx["gas"]}, receipt["blockNumber"] - 1)
        except ContractLogicError as exc:
            return _reason(exc)
        except Exception as exc:  # noqa: BLE001 - best effort
            return str(exc)
        return "out of gas or unknown"

    def transact(self, name: str, fn: str, *args, value: int = 0):
        """Send name.fn(*args) and return its receipt (TxFailed on revert)."""
        tx_hash, raw = self.build(name, fn, *args, value=value)
        self.send_raw(raw, f"{name}.{fn}")
        return self.wait(tx_hash, f"{name}.{fn}")

    def gas_cost(self, receipt) -> int:
        return int(receipt["gasUsed"]) * int(receipt.get("effectiveGasPrice", 0))
