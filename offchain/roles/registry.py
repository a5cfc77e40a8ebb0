"""The TaskRegistry, StakeManager and token seen as typed Python views and calls."""

from __future__ import annotations

from dataclasses import dataclass

from ..chain import ChainClient

OPEN, CLAIMED, COMMITTED, FINALIZED, CANCELLED, EXPIRED, REJECTED = range(1, 8)
STATUS_NAMES = {0: "none", OPEN: "open", CLAIMED: "claimed", COMMITTED: "committed",
                FINALIZED: "finalized", CANCELLED: "cancelled", EXPIRED: "expired", REJECTED: "rejected"}
ZERO_ADDR = "0x" + "00" * 20


@dataclass(frozen=True)
class TaskView:
    task_id: int
    submitter: str
    solver: str
    status: int
    open_disputes: int
    spec_hash: bytes
    program_root: bytes
    data_root: bytes
    num_steps: int
    checkpoint_interval: int
    payment: int
    fee: int
    solver_stake: int
    claim_deadline: int
    solve_period: int
    solve_deadline: int
    challenge_window: int
    challenge_deadline: int
    run_root: bytes
    final_model_hash: bytes

    @property
    def status_name(self) -> str:
        return STATUS_NAMES.get(self.status, str(self.status))


def get_task(chain: ChainClient, task_id: int) -> TaskView:
    raw = chain.call("TaskRegistry", "get_task", task_id)
    return TaskView(task_id, *raw)


def task_count(chain: ChainClient) -> int:
    return int(chain.call("TaskRegistry", "task_count"))


def artifact_uri(chain: ChainClient, task_id: int) -> str:
    return chain.call("TaskRegistry", "artifact_uri", task_id)


def now(chain: ChainClient) -> int:
    """Timestamp of the latest block (the contracts' clock)."""
    return int(chain.block("latest")["timestamp"])


def token_balance(chain: ChainClient, who: str) -> int:
    return int(chain.call("Token", "balanceOf", who))
