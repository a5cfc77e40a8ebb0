"""A table of every task (phase, deadlines, payment) and the balances of the given
accounts, or the same as one JSON document (`status --json`, `status_document`).

Token amounts are shown in tokens using the deployment record's decimals (any
ERC-20, not only 18-decimal ones); the JSON gives them in the token's smallest
unit as decimal strings (exact, and safe for JavaScript readers).
"""

from __future__ import annotations

import datetime as dt

from rich.console import Console
from rich.table import Table

from ..chain import ChainClient
from ..deployment import addresses, load_record, token_decimals, token_symbol
from .registry import artifact_uri, get_task, now, task_count, token_balance


def _when(ts: int, t_now: int) -> str:
    if ts == 0:
        return "-"
    delta = ts - t_now
    stamp = dt.datetime.fromtimestamp(ts, dt.UTC).strftime("%H:%M:%S")
    return f"{stamp} ({'in ' if delta >= 0 else ''}{abs(delta)}s{'' if delta >= 0 else ' ago'})"


def _token(chain: ChainClient) -> tuple[str, int]:
    record = load_record(chain.settings.deployments_dir, chain.settings.network)
    return token_symbol(record), token_decimals(record)


def _amount(units: int, decimals: int) -> str:
    return f"{units / 10**decimals:g}"


def tasks_table(chain: ChainClient) -> Table:
    t_now = now(chain)
    symbol, decimals = _token(chain)
    table = Table(title=f"tasks (chain time {dt.datetime.fromtimestamp(t_now, dt.UTC):%Y-%m-%d %H:%M:%S})")
    for col in ("id", "phase", "solver", "steps", f"payment ({symbol})", "claim by", "solve by",
                "challenge until", "run root"):
        table.add_column(col)
    for tid in range(1, task_count(chain) + 1):
        t = get_task(chain, tid)
        table.add_row(str(tid), t.status_name, t.solver[:10] if int(t.solver, 16) else "-", str(t.num_steps),
                      _amount(t.payment, decimals), _when(t.claim_deadline, t_now), _when(t.solve_deadline, t_now),
                      _when(t.challenge_deadline, t_now),
                      "0x" + t.run_root.hex()[:12] if any(t.run_root) else "-")
    return table


def balances_table(chain: ChainClient, accounts: dict[str, str]) -> Table:
    symbol, decimals = _token(chain)
    table = Table(title=f"balances ({symbol})")
    for col in ("who", "address", "wallet", "bonded stake", "free stake", "ETH"):
        table.add_column(col)
    for who, addr in accounts.items():
        table.add_row(who, addr[:10], _amount(token_balance(chain, addr), decimals),
                      _amount(chain.call('StakeManager', 'bonded', addr), decimals),
                      _amount(chain.call('StakeManager', 'free_stake', addr), decimals),
                      f"{chain.balance(addr) / 1e18:.4f}")
    return table


def _hex(b: bytes) -> str:
    return "0x" + bytes(b).hex()


def status_document(chain: ChainClient, accounts: dict[str, str]) -> dict:
    """Everything `status` shows, as JSON-ready data (amounts: smallest-unit decimal strings)."""
    record = load_record(chain.settings.deployments_dir, chain.settings.network)
    tasks = []
    for tid in range(1, task_count(chain) + 1):
        t = get_task(chain, tid)
        tasks.append({
            "id": tid, "status": t.status_name, "submitter": t.submitter,
            "solver": t.solver if int(t.solver, 16) else None, "open_disputes": t.open_disputes,
            "spec_hash": _hex(t.spec_hash), "program_root": _hex(t.program_root), "data_root": _hex(t.data_root),
            "num_steps": t.num_steps, "checkpoint_interval": t.checkpoint_interval,
            "payment": str(t.payment), "fee": str(t.fee), "solver_stake": str(t.solver_stake),
            "claim_deadline": t.claim_deadline, "solve_period": t.solve_period,
            "solve_deadline": t.solve_deadline, "challenge_window": t.challenge_window,
            "challenge_deadline": t.challenge_deadline,
            "run_root": _hex(t.run_root) if any(t.run_root) else None,
            "final_model_hash": _hex(t.final_model_hash) if any(t.final_model_hash) else None,
            "artifact_uri": (artifact_uri(chain, tid) or None) if any(t.run_root) else None,
        })
    balances = {}
    for who, addr in accounts.items():
        balances[who] = {"address": addr, "wallet": str(token_balance(chain, addr)),
                         "bonded": str(chain.call("StakeManager", "bonded", addr)),
                         "free_stake": str(chain.call("StakeManager", "free_stake", addr)),
                         "native": str(chain.balance(addr))}
    block = chain.block("latest")
    return {"network": chain.settings.network, "chain_id": record.get("chain_id"),
            "block": int(block["number"]), "time": int(block["timestamp"]),
            "token": {"address": addresses(record).get("Token"), "symbol": token_symbol(record),
                      "decimals": token_decimals(record)},
            "tasks": tasks, "accounts": balances}


def print_status(chain: ChainClient, accounts: dict[str, str], console: Console | None = None) -> None:
    console = console or Console()
    console.print(tasks_table(chain))
    if accounts:
        console.print(balances_table(chain, accounts))
