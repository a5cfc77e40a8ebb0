"""TaskRegistry.create_task: record, escrow, event, every bad input."""

import brownie
import pytest
from lifecycle import (
    CHECKPOINT_INTERVAL,
    CLAIM_PERIOD,
    DATA_ROOT,
    NUM_STEPS,
    OPEN,
    PAYMENT,
    PROGRAM_ROOT,
    SOLVE_PERIOD,
    SOLVER_STAKE,
    SPEC_HASH,
    create_args,
)

ZERO32 = "0x" + "00" * 32


def test_create_records_and_escrows(registry, parameters, funded, submitter):
    before = funded.balanceOf(submitter)
    tx = registry.create_task(*create_args(), {"from": submitter})
    task_id = tx.return_value
    assert task_id == 1
    assert registry.task_count() == 1
    assert funded.balanceOf(submitter) == before - PAYMENT
    assert funded.balanceOf(registry) == PAYMENT
    assert registry.total_escrowed() == PAYMENT

    task = registry.get_task(task_id).dict()
    assert task["submitter"] == submitter
    assert task["solver"] == brownie.ZERO_ADDRESS
    assert task["status"] == OPEN
    assert task["spec_hash"] == SPEC_HASH
    assert task["program_root"] == PROGRAM_ROOT
    assert task["data_root"] == DATA_ROOT
    assert task["num_steps"] == NUM_STEPS
    assert task["checkpoint_interval"] == CHECKPOINT_INTERVAL
    assert task["payment"] == PAYMENT
    assert task["fee"] == PAYMENT * parameters.verification_fee_bps() // 10_000
    assert task["solver_stake"] == SOLVER_STAKE
    assert task["claim_deadline"] == tx.timestamp + CLAIM_PERIOD
    assert task["solve_period"] == SOLVE_PERIOD
    assert task["challenge_window"] == parameters.challenge_window()
    assert registry.task_status(task_id) == OPEN

    event = tx.events["TaskCreated"]
    assert event["task_id"] == task_id
    assert event["submitter"] == submitter
    assert event["spec_hash"] == SPEC_HASH
    assert event["payment"] == PAYMENT
    assert event["claim_deadline"] == tx.timestamp + CLAIM_PERIOD
    # every term create_task fixes is in the event (an indexer needs no task() call)
    for term in ("program_root", "data_root", "num_steps", "checkpoint_interval", "fee",
                 "solver_stake", "solve_period", "challenge_window"):
        assert event[term] == task[term], term
    assert event["header"] == registry.task_header(task_id)


def test_ids_increase(registry, funded, submitter):
    ids = [registry.create_task(*create_args(), {"from": submitter}).return_value for _ in range(3)]
    assert ids == [1, 2, 3]


def test_paused_reverts(registry, parameters, funded, governance, submitter):
    parameters.pause({"from": governance})
    with brownie.reverts("task_registry: paused"):
        registry.create_task(*create_args(), {"from": submitter})


@pytest.mark.parametrize(
    "override,reason",
    [
        ({"spec_hash": ZERO32}, "task_registry: zero spec hash"),
        ({"program_root": ZERO32}, "task_registry: zero program root"),
        ({"data_root": ZERO32}, "task_registry: zero data root"),
        ({"num_steps": 0}, "task_registry: zero steps"),
        ({"checkpoint_interval": 0}, "task_registry: zero checkpoint interval"),
        ({"checkpoint_interval": NUM_STEPS + 1}, "task_registry: checkpoint interval above steps"),
        ({"payment": 0}, "task_registry: zero payment"),
        ({"solver_stake": 100 * 10**18 - 1}, "task_registry: solver stake below minimum"),
        ({"claim_period": 10 * 60 - 1}, "task_registry: claim period below bound"),
        ({"claim_period": 7 * 86_400 + 1}, "task_registry: claim period above bound"),
        ({"solve_period": 3_600 - 1}, "task_registry: solve period below bound"),
        ({"solve_period": 30 * 86_400 + 1}, "task_registry: solve period above bound"),
    ],
)
def test_bad_input_reverts(registry, funded, submitter, override, reason):
    with brownie.reverts(reason):
        registry.create_task(*create_args(**override), {"from": submitter})


def test_without_allowance_reverts(registry, token, stranger):
    token.mint(stranger, PAYMENT, {"from": stranger})
    with brownie.reverts("task_registry: token transfer failed"):
        registry.create_task(*create_args(), {"from": stranger})


def test_token_returning_false_reverts(registry, funded, submitter):
    funded.set_fail_mode(1, {"from": submitter})
    with brownie.reverts("task_registry: token transfer failed"):
        registry.create_task(*create_args(), {"from": submitter})
    assert registry.task_count() == 0
