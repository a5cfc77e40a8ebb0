"""TaskRegistry.commit_result: the solver, before the solve deadline."""

import brownie
from conftest import ARTIFACT_URI, COMMITTED, MODEL_HASH, RUN_ROOT, sleep_past

ZERO32 = "0x" + "00" * 32


def test_commit_records(registry, claimed_task, solver):
    tx = registry.commit_result(claimed_task, RUN_ROOT, MODEL_HASH, ARTIFACT_URI, {"from": solver})
    task = registry.get_task(claimed_task).dict()
    assert task["status"] == COMMITTED
    assert task["run_root"] == RUN_ROOT
    assert task["final_model_hash"] == MODEL_HASH
    assert task["challenge_deadline"] == tx.timestamp + task["challenge_window"]
    assert registry.artifact_uri(claimed_task) == ARTIFACT_URI
    event = tx.events["ResultCommitted"]
    assert (event["task_id"], event["solver"], event["run_root"]) == (
        claimed_task,
        solver,
        RUN_ROOT,
    )
    assert event["artifact_uri"] == ARTIFACT_URI
    assert event["challenge_deadline"] == task["challenge_deadline"]


def test_not_solver_reverts(registry, claimed_task, stranger):
    with brownie.reverts("task_registry: caller is not the solver"):
        registry.commit_result(claimed_task, RUN_ROOT, MODEL_HASH, ARTIFACT_URI, {"from": stranger})


def test_unclaimed_reverts(registry, open_task, solver):
    with brownie.reverts("task_registry: task not claimed"):
        registry.commit_result(open_task, RUN_ROOT, MODEL_HASH, ARTIFACT_URI, {"from": solver})


def test_twice_reverts(registry, committed_task, solver):
    with brownie.reverts("task_registry: task not claimed"):
        registry.commit_result(committed_task, RUN_ROOT, MODEL_HASH, ARTIFACT_URI, {"from": solver})


def test_after_solve_deadline_reverts(registry, claimed_task, solver, chain):
    sleep_past(chain, registry.get_task(claimed_task).dict()["solve_deadline"])
    with brownie.reverts("task_registry: solve deadline passed"):
        registry.commit_result(claimed_task, RUN_ROOT, MODEL_HASH, ARTIFACT_URI, {"from": solver})


def test_zero_run_root_reverts(registry, claimed_task, solver):
    with brownie.reverts("task_registry: zero run root"):
        registry.commit_result(claimed_task, ZERO32, MODEL_HASH, ARTIFACT_URI, {"from": solver})


def test_zero_model_hash_reverts(registry, claimed_task, solver):
    with brownie.reverts("task_registry: zero model hash"):
        registry.commit_result(claimed_task, RUN_ROOT, ZERO32, ARTIFACT_URI, {"from": solver})


def test_commit_while_paused(registry, parameters, governance, claimed_task, solver):
    parameters.pause({"from": governance})
    registry.commit_result(claimed_task, RUN_ROOT, MODEL_HASH, ARTIFACT_URI, {"from": solver})
    assert registry.task_status(claimed_task) == COMMITTED
