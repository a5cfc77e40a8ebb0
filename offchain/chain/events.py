"""Event cursor persisted in SQLite: survives restarts, reads only blocks with
`confirmations` blocks on top, re-reads the reorg window (`reorg_depth`) on
every poll and de-duplicates by (tx hash, log index), so a log is handled once
even when its block is re-organised. Scans start at the deployment block and
ask for at most `log_window` blocks per request."""

from __future__ import annotations

from dataclasses import dataclass

from eth_utils import event_abi_to_log_topic

from ..state import StateDB
from .client import ChainClient


@dataclass(frozen=True)
class LogEvent:
    contract: str
    event: str
    args: dict
    block: int
    tx_hash: str
    log_index: int


class EventCursor:
    """Yields each new event of the named contracts once, in chain order."""

    def __init__(self, chain: ChainClient, db: StateDB, name: str, contracts: list[str],
                 start_block: int | None = None):
        self.chain, self.db, self.name = chain, db, name
        self.contracts = contracts
        self.start_block = chain.start_block if start_block is None else max(1, start_block)
        self._topics: dict[tuple[str, bytes], tuple[str, object]] = {}
        for cname in contracts:
            c = chain.contract(cname)
            for item in c.abi:
                if item.get("type") == "event":
                    ev = getattr(c.events, item["name"])
                    self._topics[(c.address.lower(), event_abi_to_log_topic(item))] = (cname, ev)

    def poll(self) -> list[LogEvent]:
        """New confirmed events since the last poll (re-reading the reorg window)."""
        self.chain.check_chain()
        head = self.chain.safe_block()
        last = self.db.cursor(self.name)
        depth = self.chain.reorg_window
        begin = self.start_block if last is None else max(self.start_block, last + 1 - depth)
        out: list[LogEvent] = []
        addrs = [self.chain.contract(c).address for c in self.contracts]
        for lo, hi in self.chain.windows(begin, head):
            logs = self.chain.retry(lambda lo=lo, hi=hi: self.chain.w3.eth.get_logs(
                {"fromBlock": lo, "toBlock": hi, "address": addrs}), "get_logs")
            for lg in logs:
                ev = self._decode(lg)
                if ev is None:
                    continue
                bh = "0x" + bytes(lg["blockHash"]).hex()
                if self.db.seen_log(self.name, ev.tx_hash, ev.log_index) == bh:
                    continue  # handled already, same block
                # a log seen under another block hash was re-organised into a new block:
                # it is the same event; handle it only if never handled before
                first = self.db.seen_log(self.name, ev.tx_hash, ev.log_index) is None
                self.db.mark_log(self.name, ev.tx_hash, ev.log_index, ev.block, bh)
                if first:
                    out.append(ev)
        if head >= self.start_block:
            self.db.set_cursor(self.name, head)
        self.db.prune_logs(self.name, head - 4 * depth - 1)
        return out

    def _decode(self, lg) -> LogEvent | None:
        if not lg["topics"]:
            return None
        key = (lg["address"].lower(), bytes(lg["topics"][0]))
        if key not in self._topics:
            return None
        cname, ev = self._topics[key]
        d = ev().process_log(lg)
        return LogEvent(cname, d["event"], dict(d["args"]), int(lg["blockNumber"]),
                        "0x" + bytes(lg["transactionHash"]).hex(), int(lg["logIndex"]))
