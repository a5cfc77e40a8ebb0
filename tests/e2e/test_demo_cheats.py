"""`python -m offchain demo --cheat ...` (issue 11, item 7): a cheating solver is caught and
the demo ends with the plain line `demo: task=ID status=rejected` (`expired` for a final
model that is not S_T: the registry refuses that commit); an honest run ends
`status=finalized`. Each runs a whole fresh network (about a minute)."""

import pytest
from rich.console import Console

from offchain.demo import run_demo

pytestmark = pytest.mark.e2e


def _demo(capsys, block_time, **kw):
    summary = run_demo(steps=20, console=Console(quiet=True), block_time=block_time, **kw)
    last = capsys.readouterr().out.strip().splitlines()[-1]
    return summary, last


def test_withholding_faulty_solver_is_disputed_and_rejected(capsys, block_time):
    # the solver never publishes its manifest or checkpoints: the verifier waits a bounded
    # time with backoff, replays the task itself and wins the dispute
    summary, last = _demo(capsys, block_time, cheat="withhold")
    assert last == f"demo: task={summary['task_id']} status=rejected"
    assert summary["dispute"].startswith("dispute: winner=challenger")
    assert any(ev["kind"] == "artifacts" and "unavailable" in ev["problem"] for ev in summary["challenge"])
    # the summary says who lost and got what (issue 14 item 5): slashed, refunded, paid
    assert summary["settlement"].startswith("rejected: solver slashed 100 TT, submitter refunded")
    assert summary["money"]["solver"] < 0 < summary["money"]["verifier"]
    assert sum(summary["money"].values()) == 0  # tokens only move between the parties


@pytest.mark.slow
def test_random_root_solver_loses_and_is_rejected(capsys, block_time):
    summary, last = _demo(capsys, block_time, cheat="random-root")
    assert last == f"demo: task={summary['task_id']} status=rejected"
    assert "winner=challenger" in summary["dispute"]


@pytest.mark.slow
def test_honest_demo_ends_finalized(capsys, block_time):
    summary, last = _demo(capsys, block_time)
    assert last == f"demo: task={summary['task_id']} status=finalized"


def test_wrong_model_solver_cannot_commit_and_expires(capsys, block_time):
    # the solver names its step-0 state as the final model: the registry refuses the commit
    # (final_model_hash must be S_T, proved against the run root), so the task can only
    # expire, the solver's stake slashed by the expiry share
    summary, last = _demo(capsys, block_time, cheat="wrong-model")
    assert last == f"demo: task={summary['task_id']} status=expired"
    assert summary["status"] == "expired" and summary["dispute"] is None
    assert summary["settlement"].startswith("expired: solver slashed")
