"""TaskRegistry.cancel_task: the submitter, before a claim, full refund."""

import brownie
from conftest import CANCELLED, PAYMENT


def test_cancel_refunds(registry, funded, open_task, submitter):
    before = funded.balanceOf(submitter)
    tx = registry.cancel_task(open_task, {"from": submitter})
    assert funded.balanceOf(submitter) == before + PAYMENT
    assert funded.balanceOf(registry) == 0
    assert registry.total_escrowed() == 0
    assert registry.task_status(open_task) == CANCELLED
    event = tx.events["TaskCancelled"]
    assert (event["task_id"], event["submitter"], event["refund"]) == (
        open_task,
        submitter,
        PAYMENT,
    )


def test_cancel_after_claim_deadline(registry, open_task, submitter, chain):
    chain.sleep(10 * 86_400)
    registry.cancel_task(open_task, {"from": submitter})
    assert registry.task_status(open_task) == CANCELLED


def test_cancel_while_paused(registry, parameters, governance, open_task, submitter):
    parameters.pause({"from": governance})
    registry.cancel_task(open_task, {"from": submitter})
    assert registry.task_status(open_task) == CANCELLED


def test_not_submitter_reverts(registry, open_task, stranger):
    with brownie.reverts("task_registry: caller is not the submitter"):
        registry.cancel_task(open_task, {"from": stranger})


def test_claimed_reverts(registry, claimed_task, submitter):
    with brownie.reverts("task_registry: task not open"):
        registry.cancel_task(claimed_task, {"from": submitter})


def test_twice_reverts(registry, open_task, submitter):
    registry.cancel_task(open_task, {"from": submitter})
    with brownie.reverts("task_registry: task not open"):
        registry.cancel_task(open_task, {"from": submitter})


def test_unknown_task_reverts(registry, submitter):
    with brownie.reverts("task_registry: task not open"):
        registry.cancel_task(99, {"from": submitter})


def test_failing_token_reverts(registry, funded, open_task, submitter):
    funded.set_fail_mode(2, {"from": submitter})
    with brownie.reverts("task_registry: token transfer failed"):
        registry.cancel_task(open_task, {"from": submitter})
