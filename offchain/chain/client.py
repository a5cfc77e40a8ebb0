"""web3.py connection with ABIs from interfaces/<Name>.json and addresses from
deployments/<network>.json; signs locally, sends, waits for receipts and
retries transient RPC errors with exponential backoff.

For live networks (issue 15): the chain id is pinned from the deployment
record and the RPC's is checked before anything is signed (a node on another
chain is refused); receipts and events count only after `confirmations`
blocks; one nonce manager per key (nonces.py) keeps several daemons on one
key apart; fees are EIP-1559 from the node (base fee and its priority-fee
suggestion, under a cap) and a transaction not mined in time is re-signed
with the same nonce and bumped fees, sooner when a protocol deadline is near;
log scans run in bounded windows from the deployment block; the RPC URL is
redacted from every error and log line and the node's strings are escaped.
"""

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
from ..deployment import abi_file
from .nonces import NonceManager
from .record import DeploymentRecord, RecordError, load_record
from .redact import escape, protect, redact_url, scrub

log = logging.getLogger("offchain.chain")
T = TypeVar("T")

TRANSIENT = (requests.ConnectionError, requests.Timeout, ConnectionError, TimeoutError)

#: chain ids of local development nodes (Anvil, Hardhat, Ganache, geth --dev): no reorgs
LOCAL_CHAIN_IDS = (31337, 1337)
#: confirmations on a live network when the setting is -1 (auto)
LIVE_CONFIRMATIONS = 3
#: the smallest fee bump nodes accept for a replacement (geth: 10 %)
MIN_BUMP_PCT = 10


class ChainError(Exception):
    """A chain operation failed for good (after retries, or with a revert)."""


class WrongChain(ChainError):
    """The RPC serves another chain than the deployment record pins (or none is pinned)."""


class TxFailed(ChainError):
    """A transaction reverted; `reason` is the contract's revert string when known."""

    def __init__(self, what: str, reason: str, tx_hash: str | None = None):
        super().__init__(f"{what} reverted: {reason}")
        self.reason = reason
        self.tx_hash = tx_hash


def load_deployment(deployments_dir: str | Path, network: str) -> dict[str, str]:
    """{ContractName: address} from deployments/<network>.json (record.py reads every shape)."""
    try:
        return load_record(deployments_dir, network).contracts
    except RecordError as exc:
        raise ChainError(str(exc)) from None


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
    return escape(msg) or "no reason"


class ChainClient:
    """One account on one chain: contracts by name, calls, transactions, blocks."""

    def __init__(self, settings: Settings, private_key: str | None = None):
        self.settings = settings
        protect(settings.rpc_url)
        self.rpc_name = redact_url(settings.rpc_url)  # the only form of the URL that is ever shown
        self.w3 = Web3(HTTPProvider(settings.rpc_url, request_kwargs={"timeout": 30}))
        # web3's validation middleware asks the node for its chain id before every call and gas
        # estimate; the client checks the node against the pinned id itself (check_chain)
        try:
            self.w3.middleware_onion.remove("validation")
        except ValueError:
            pass
        key = private_key if private_key is not None else settings.private_key
        self.account = Account.from_key(key) if key else None
        self._record: DeploymentRecord | None = None
        self._contracts: dict[str, Any] = {}
        self._checked_at = -1e18  # when the RPC's chain id was last found equal to the pinned one
        self._nonces: NonceManager | None = None
        self._sent: dict[str, dict] = {}  # tx hash -> {"tx", "nonce", "hashes"} of this client's sends

    # --- plumbing -----------------------------------------------------------
    @property
    def address(self) -> str:
        if self.account is None:
            raise ChainError("chain: no private key configured (set TT_PRIVATE_KEY)")
        return self.account.address

    def _clean(self, exc: BaseException) -> str:
        """An error's text without the RPC URL's secrets, escaped for one log line."""
        return escape(scrub(str(exc), self.settings.rpc_url))

    def retry(self, fn: Callable[[], T], what: str = "rpc") -> T:
        """Call fn, retrying transient connection errors with exponential backoff.

        Errors of the HTTP layer (which quote the URL) come out as ChainError with
        the URL redacted; 429 and 5xx answers count as transient.
        """
        attempts = max(1, self.settings.rpc_retries)
        for i in range(attempts):
            try:
                return fn()
            except (*TRANSIENT, requests.HTTPError) as exc:
                status = getattr(getattr(exc, "response", None), "status_code", None)
                if isinstance(exc, requests.HTTPError) and status is not None and status != 429 and status < 500:
                    raise ChainError(f"chain: {what}: {self._clean(exc)}") from None
                if i == attempts - 1:
                    raise ChainError(f"chain: {what} failed after {attempts} attempts: {self._clean(exc)}") from None
                delay = min(0.25 * 2**i, 5.0)
                log.warning("chain: %s: transient error (%s), retry in %.2fs", what, self._clean(exc), delay)
                time.sleep(delay)
            except requests.RequestException as exc:
                raise ChainError(f"chain: {what}: {self._clean(exc)}") from None
        raise AssertionError("unreachable")

    def wait_connected(self, timeout: float = 30.0) -> None:
        """Wait for the node, then check that it serves the pinned chain (WrongChain if not)."""
        end = time.time() + timeout
        while time.time() < end:
            try:
                if self.w3.is_connected():
                    if self._record_or_none() is not None:
                        self.check_chain(force=True)
                    return
            except WrongChain:
                raise
            except Exception:  # noqa: BLE001 - the node is starting
                pass
            time.sleep(0.2)
        raise ChainError(f"chain: no node at {self.rpc_name}")

    # --- the deployment record and the pinned chain ---------------------------
    @property
    def record(self) -> DeploymentRecord:
        if self._record is None:
            try:
                self._record = load_record(self.settings.deployments_dir, self.settings.network)
            except RecordError as exc:
                raise ChainError(str(exc)) from None
        return self._record

    def _record_or_none(self) -> DeploymentRecord | None:
        try:
            return self.record
        except ChainError:
            return None

    @property
    def deployment(self) -> dict[str, str]:
        return self.record.contracts

    @property
    def chain_id(self) -> int:
        """The chain id pinned by the deployment record: the only one this client signs for."""
        cid = self.record.chain_id
        if cid is None:
            raise WrongChain(f"chain: {self.record.path} records no chain_id, so the chain cannot be pinned: "
                             "refusing to sign (redeploy, or add the network's \"chain_id\")")
        return cid

    def check_chain(self, force: bool = False) -> int:
        """The RPC's chain id must be the pinned one (checked at most every `chain_check_interval` s)."""
        pinned = self.chain_id
        if not force and time.time() - self._checked_at < self.settings.chain_check_interval:
            return pinned
        got = self.retry(lambda: self.w3.eth.chain_id, "chain_id")
        if int(got) != pinned:
            raise WrongChain(f"chain: the RPC at {self.rpc_name} serves chain id {escape(got)}, but "
                             f"{self.record.path} pins chain id {pinned}: refusing it")
        self._checked_at = time.time()
        return pinned

    @property
    def local(self) -> bool:
        """A development chain (no reorgs, instant blocks)."""
        return self.chain_id in LOCAL_CHAIN_IDS

    @property
    def confirmations(self) -> int:
        """Blocks on top of a receipt or log before it is trusted (setting; -1: 0 local, 3 live)."""
        n = self.settings.confirmations
        if n >= 0:
            return n
        return 0 if self._record_or_none() is None or self.record.chain_id in LOCAL_CHAIN_IDS \
            else LIVE_CONFIRMATIONS

    @property
    def reorg_window(self) -> int:
        """Blocks below the head within which events are re-read and done actions re-checked."""
        return max(self.settings.reorg_depth, self.confirmations)

    @property
    def start_block(self) -> int:
        """The first block any log scan reads: the deployment's block (never 0: the genesis
        block holds no transactions). A live network needs it in the record."""
        start = self.record.start_block
        if start is None:
            if self.record.chain_id is not None and self.record.chain_id not in LOCAL_CHAIN_IDS:
                raise ChainError(f"chain: {self.record.path} records no start_block: refusing to scan "
                                 "a live chain's logs from its genesis")
            start = 1
        return max(1, start)

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

    def safe_block(self) -> int:
        """The newest block with `confirmations` blocks on top of it."""
        return self.block_number() - self.confirmations

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

    def get_logs(self, name: str, event: str, argument_filters: dict | None = None,
                 from_block: int | None = None, to_block: int | None = None) -> list:
        """Decoded `name.event` logs, read in windows of `log_window` blocks from
        max(from_block, the deployment block) to `to_block` (default: the newest
        confirmed block). Never asks a node for a range wider than the window."""
        ev = getattr(self.contract(name).events, event)
        lo = self.start_block if from_block is None else max(self.start_block, from_block)
        hi_all = self.safe_block() if to_block is None else to_block
        out: list = []
        for lo_w, hi_w in self.windows(lo, hi_all):
            out += self.retry(lambda a=lo_w, b=hi_w: ev.get_logs(from_block=a, to_block=b,
                                                                 argument_filters=argument_filters),
                              f"{name}.{event} logs")
        return out

    def windows(self, lo: int, hi: int) -> list[tuple[int, int]]:
        """[lo, hi] cut into ranges of at most `log_window` blocks."""
        step = max(1, self.settings.log_window)
        return [(a, min(hi, a + step - 1)) for a in range(lo, hi + 1, step)]

    # --- fees -------------------------------------------------------------------
    def _cap(self) -> int | None:
        return int(self.settings.max_fee_gwei * 10**9) if self.settings.max_fee_gwei > 0 else None

    def fees(self) -> tuple[int, int]:
        """(maxFeePerGas, maxPriorityFeePerGas): twice the latest base fee plus the node's
        priority-fee suggestion (or the `priority_fee_gwei` setting), capped by `max_fee_gwei`."""
        blk = self.block("latest")
        base = blk.get("baseFeePerGas")
        if self.settings.priority_fee_gwei >= 0:
            prio = int(self.settings.priority_fee_gwei * 10**9)
        else:
            prio = int(self.retry(lambda: self.w3.eth.max_priority_fee, "max_priority_fee"))
        if base is None:  # a chain without EIP-1559: the gas price bounds both
            max_fee = int(self.retry(lambda: self.w3.eth.gas_price, "gas_price"))
        else:
            max_fee = 2 * int(base) + prio
        cap = self._cap()
        if cap is not None and max_fee > cap:
            log.warning("chain: suggested max fee %.3g gwei above the cap max_fee_gwei=%g: capped",
                        max_fee / 1e9, self.settings.max_fee_gwei)
            max_fee = cap
        return max_fee, min(prio, max_fee)

    def bumped(self, max_fee: int, prio: int) -> tuple[int, int] | None:
        """Fees for a replacement: at least `fee_bump_pct` (>= 10) % more on both, and at least
        what the node suggests now; None when the cap leaves no room for a valid bump."""
        pct = max(MIN_BUMP_PCT, self.settings.fee_bump_pct)
        now_max, now_prio = self.fees()
        new_prio = max(prio * (100 + pct) // 100 + 1, now_prio)
        new_max = max(max_fee * (100 + pct) // 100 + 1, now_max, new_prio)
        cap = self._cap()
        if cap is not None and new_max > cap:
            new_max = cap
            if new_max < max_fee * (100 + MIN_BUMP_PCT) // 100 + 1:
                return None
        return new_max, min(new_prio, new_max)

    # --- writes ---------------------------------------------------------------
    @property
    def nonces(self) -> NonceManager:
        if self._nonces is None:
            self._nonces = NonceManager(self.settings.state_dir, self.address, ttl=min(60.0, self.settings.tx_timeout))
        return self._nonces

    def build(self, name: str, fn: str, *args, value: int = 0) -> tuple[str, bytes]:
        """Check, build and sign a call; returns (tx hash, raw signed bytes). Nothing is sent.

        The call is first simulated (estimate_gas), so a revert raises TxFailed with
        the contract's reason and nothing is signed. The RPC must serve the pinned
        chain (WrongChain otherwise); the nonce comes from this key's nonce manager,
        shared by every daemon on this machine that signs with the key.
        """
        chain_id = self.check_chain()
        c = self.contract(name)
        what = f"{name}.{fn}"
        call = getattr(c.functions, fn)(*args)
        params = {"from": self.address, "value": value}
        try:
            gas = self.retry(lambda: call.estimate_gas(params), what)
        except ContractLogicError as exc:
            raise TxFailed(what, _reason(exc)) from None
        max_fee, prio = self.fees()
        tx = call.build_transaction({**params, "gas": int(gas * 1.2) + 10_000, "nonce": 0,
                                     "maxFeePerGas": max_fee, "maxPriorityFeePerGas": prio,
                                     "chainId": chain_id})
        me = self.address
        with self.nonces.reserve(
                mined=lambda: self.retry(lambda: self.w3.eth.get_transaction_count(me, "latest"), what),
                pending=lambda: self.retry(lambda: self.w3.eth.get_transaction_count(me, "pending"), what),
                known=self.pending) as r:
            tx["nonce"] = r.nonce
            signed = self.account.sign_transaction(tx)
            tx_hash = "0x" + bytes(signed.hash).hex()
            r.record(tx_hash)
        self._sent[tx_hash] = {"tx": tx, "hashes": [tx_hash], "what": what}
        return tx_hash, bytes(signed.raw_transaction)

    def send_raw(self, raw: bytes, what: str = "tx") -> None:
        """Send signed bytes; a refusal (ChainError) frees the nonce this client reserved for them."""
        def send():
            try:
                self.w3.eth.send_raw_transaction(raw)
            except ValueError as exc:  # already known: a retry of a send that got through
                if "already known" not in str(exc) and "AlreadyKnown" not in str(exc):
                    raise ChainError(f"chain: {what}: the node refused the transaction: {self._clean(exc)}") \
                        from None
        h = "0x" + bytes(Web3.keccak(raw)).hex()
        info = self._sent.get(h)
        first = info is not None and h == info["hashes"][0]
        try:
            self.retry(send, what)
        except ChainError:
            if first:
                self.nonces.release(int(info["tx"]["nonce"]), h)
            raise
        if first:
            self.nonces.sent(int(info["tx"]["nonce"]), h)

    def _bump_interval(self, deadline_wall: float | None, last_send: float) -> float:
        every = self.settings.fee_bump_after
        if deadline_wall is None or deadline_wall <= last_send:
            return every  # no deadline, or a move after it (a timeout claim): no rush
        return max(1.0, min(every, (deadline_wall - last_send) / 4))

    def _replace(self, info: dict, what: str, on_replace: Callable[[str], None] | None) -> str | None:
        """Re-sign a stuck transaction with the same nonce and bumped fees, and send it."""
        tx = info["tx"]
        fees = self.bumped(int(tx["maxFeePerGas"]), int(tx["maxPriorityFeePerGas"]))
        if fees is None:
            log.warning("chain: %s stuck, but max_fee_gwei=%g leaves no room to bump its fees", what,
                        self.settings.max_fee_gwei)
            return None
        tx = {**tx, "maxFeePerGas": fees[0], "maxPriorityFeePerGas": fees[1]}
        signed = self.account.sign_transaction(tx)
        tx_hash = "0x" + bytes(signed.hash).hex()
        self.nonces.replace(int(tx["nonce"]), tx_hash)
        if on_replace is not None:
            on_replace(tx_hash)  # durable before the bytes leave
        try:
            self.send_raw(bytes(signed.raw_transaction), what)
        except ChainError as exc:  # the original got mined meanwhile (nonce too low), or underpriced
            log.warning("chain: %s: replacement not accepted: %s", what, exc)
            return None
        info["tx"] = tx
        log.warning("chain: %s not mined in time: re-sent with nonce %d at max fee %.3g gwei, priority %.3g gwei",
                    what, tx["nonce"], fees[0] / 1e9, fees[1] / 1e9)
        return tx_hash

    def wait(self, tx_hash: str, what: str = "tx", deadline: int | None = None,
             on_replace: Callable[[str], None] | None = None):
        """Wait for the receipt (plus `confirmations` blocks); TxFailed if it reverted.

        A transaction built by this client that is not mined within `fee_bump_after`
        seconds is re-sent with the same nonce and bumped fees (each replacement's hash
        goes to `on_replace` before it is sent); with a `deadline` (a chain timestamp,
        e.g. a dispute move's), bumps come at least four times before it. The receipt
        returned may be a replacement's. A receipt whose block is re-organised away
        while waiting for confirmations is waited for again.
        """
        info = self._sent.get(tx_hash)
        hashes = info["hashes"] if info else [tx_hash]
        end = time.time() + self.settings.tx_timeout
        last_send = time.time()
        deadline_wall = None
        if deadline is not None and info is not None:
            deadline_wall = time.time() + (int(deadline) - int(self.block("latest")["timestamp"]))
        try:
            while True:
                r = None
                for h in reversed(hashes):
                    r = self.receipt(h)
                    if r is not None:
                        break
                if r is not None and self._confirmed(r):
                    break
                now = time.time()
                if now > end:
                    raise TimeExhausted(f"chain: {what} {tx_hash} not mined in {self.settings.tx_timeout}s")
                if r is None and info is not None and now - last_send >= self._bump_interval(deadline_wall, last_send):
                    new = self._replace(info, what, on_replace)
                    if new is not None:
                        hashes.append(new)
                    last_send = now
                time.sleep(0.1)
        finally:
            for h in hashes:
                self._sent.pop(h, None)
        if r["status"] != 1:
            h = "0x" + bytes(r["transactionHash"]).hex()
            raise TxFailed(what, self._replay_reason(h, r), h)
        return r

    def _confirmed(self, r) -> bool:
        """Wait until the receipt's block has `confirmations` blocks on top; False if its block
        was re-organised away meanwhile (the caller looks for the receipt again)."""
        n = self.confirmations
        if not n:
            return True
        end = time.time() + self.settings.tx_timeout
        while self.block_number() < r["blockNumber"] + n:
            if time.time() > end:
                return False
            time.sleep(0.2)
        again = self.receipt(r["transactionHash"])
        return again is not None and again["blockHash"] == r["blockHash"]

    def _replay_reason(self, tx_hash: str, receipt) -> str:
        tx = self.w3.eth.get_transaction(tx_hash)
        try:
            self.w3.eth.call({"from": tx["from"], "to": tx["to"], "data": tx["input"],
                              "value": tx["value"], "gas": tx["gas"]}, receipt["blockNumber"] - 1)
        except ContractLogicError as exc:
            return _reason(exc)
        except Exception as exc:  # noqa: BLE001 - best effort
            return self._clean(exc)
        return "out of gas or unknown"

    def transact(self, name: str, fn: str, *args, value: int = 0, deadline: int | None = None):
        """Send name.fn(*args) and return its receipt (TxFailed on revert)."""
        tx_hash, raw = self.build(name, fn, *args, value=value)
        self.send_raw(raw, f"{name}.{fn}")
        return self.wait(tx_hash, f"{name}.{fn}", deadline=deadline)

    def gas_cost(self, receipt) -> int:
        return int(receipt["gasUsed"]) * int(receipt.get("effectiveGasPrice", 0))
