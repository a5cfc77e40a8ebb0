"""A table of every task (phase, deadlines, payment) and the balances of the given accounts."""

from __future__ import annotations

import datetime as dt

from rich.console import Console
from rich.table import Table

from ..chain import ChainClient
from .registry import get_task, now, task_count, token_balance


def _when(ts: int, t_now: int) -> str:
    if ts == 0:
        return "-"
    delta = ts - t_now
    stamp = dt.datetime.fromtimestamp(ts, dt.UTC).strftime("%H:%M:%S")
    return f"{stamp} ({'in ' if delta >= 0 else ''}{abs(delta)}s{'' if delta >= 0 else ' ago'})"


def tasks_table(chain: ChainClient) -> Table:
    t_now = now(chain)
    table = Table(title=f"tasks (chain time {dt.datetime.fromtimestamp(t_now, dt.UTC):%Y-%m-%d %H:%M:%S})")
    for col in ("id", "phase", "solver", "steps", "payment", "claim by", "solve by", "challenge until",
                "run root"):
        table.add_column(col)
    for tid in range(1, task_count(chain) + 1):
        t = get_task(chain, tid)
        table.add_row(str(tid), t.status_name, t.solver[:10] if int(t.solver, 16) else "-", str(t.num_steps),
                      f"{t.payment / 1e18:g}", _when(t.claim_deadline, t_now), _when(t.solve_deadline, t_now),
                      _when(t.challenge_deadline, t_now),
                      "0x" + t.run_root.hex()[:12] if any(t.run_root) else "-")
    return table


def balances_table(chain: ChainClient, accounts: dict[str, str]) -> Table:
    table = Table(title="balances (token units)")
    for col in ("who", "address", "wallet", "bonded stake", "free stake", "ETH"):
        table.add_column(col)
    for who, addr in accounts.items():
        table.add_row(who, addr[:10], f"{token_balance(chain, addr) / 1e18:g}",
                      f"{chain.call('StakeManager', 'bonded', addr) / 1e18:g}",
                      f"{chain.call('StakeManager', 'free_stake', addr) / 1e18:g}",
                      f"{chain.balance(addr) / 1e18:.4f}")
    return table


def print_status(chain: ChainClient, accounts: dict[str, str], console: Console | None = None) -> None:
    console = console or Console()
    console.print(tasks_table(chain))
    if accounts:
        console.print(balances_table(chain, accounts))
