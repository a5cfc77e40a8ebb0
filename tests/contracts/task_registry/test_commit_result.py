"""TaskRegistry.commit_result: the solver, before the solve deadline, with
the final model proved as the last leaf (S_T) of the run root over the
boundary steps (exact depth)."""

import brownie
from eth_hash.auto import keccak
from lifecycle import (
    ARTIFACT_URI,
    CHECKPOINT_INTERVAL,
    COMMITTED,
    MODEL_HASH,
    MODEL_PROOF,
    NUM_STEPS,
    RUN_ROOT,
    run_with_model,
    sleep_past,
)

from offchain.commit import merkle
from offchain.commit.roots import boundaries

ZERO32 = "0x" + "00" * 32


def test_commit_records(registry, claimed_task, solver):
    tx = registry.commit_result(claimed_task, RUN_ROOT, MODEL_HASH, MODEL_PROOF, ARTIFACT_URI, {"from": solver})
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
        registry.commit_result(claimed_task, RUN_ROOT, MODEL_HASH, MODEL_PROOF, ARTIFACT_URI, {"from": stranger})


def test_unclaimed_reverts(registry, open_task, solver):
    with brownie.reverts("task_registry: task not claimed"):
        registry.commit_result(open_task, RUN_ROOT, MODEL_HASH, MODEL_PROOF, ARTIFACT_URI, {"from": solver})


def test_twice_reverts(registry, committed_task, solver):
    with brownie.reverts("task_registry: task not claimed"):
        registry.commit_result(committed_task, RUN_ROOT, MODEL_HASH, MODEL_PROOF, ARTIFACT_URI, {"from": solver})


def test_after_solve_deadline_reverts(registry, claimed_task, solver, chain):
    sleep_past(chain, registry.get_task(claimed_task).dict()["solve_deadline"])
    with brownie.reverts("task_registry: solve deadline passed"):
        registry.commit_result(claimed_task, RUN_ROOT, MODEL_HASH, MODEL_PROOF, ARTIFACT_URI, {"from": solver})


def test_zero_run_root_reverts(registry, claimed_task, solver):
    with brownie.reverts("task_registry: zero run root"):
        registry.commit_result(claimed_task, ZERO32, MODEL_HASH, MODEL_PROOF, ARTIFACT_URI, {"from": solver})


def test_zero_model_hash_reverts(registry, claimed_task, solver):
    with brownie.reverts("task_registry: zero model hash"):
        registry.commit_result(claimed_task, RUN_ROOT, ZERO32, MODEL_PROOF, ARTIFACT_URI, {"from": solver})


def test_commit_while_paused(registry, parameters, governance, claimed_task, solver):
    parameters.pause({"from": governance})
    registry.commit_result(claimed_task, RUN_ROOT, MODEL_HASH, MODEL_PROOF, ARTIFACT_URI, {"from": solver})
    assert registry.task_status(claimed_task) == COMMITTED


#: the last leaf of the default task's run tree: boundaries 0, 100, ..., 1000 (n_b = 11)
LAST = len(boundaries(NUM_STEPS, CHECKPOINT_INTERVAL)) - 1


def _run(n):
    """A run tree of n distinct boundary step roots: (leaves, levels)."""
    leaves = [keccak(b"step" + t.to_bytes(8, "big")) for t in range(n)]
    return leaves, merkle.levels(leaves)


def _hex(b):
    return "0x" + bytes(b).hex()


def test_attack_final_model_not_trained_model(registry, claimed_task, solver):
    """Attack 10: an honest run whose step-0 checkpoint is named as the final
    model. The old commit took any final_model_hash; now only S_T passes."""
    leaves, tree = _run(LAST + 1)
    root = _hex(tree[-1][0])
    with brownie.reverts("task_registry: final model is not S_T"):
        registry.commit_result(claimed_task, root, _hex(leaves[0]), [_hex(p) for p in merkle.proof(tree, 0)],
                               ARTIFACT_URI, {"from": solver})
    # S_0's proof with T's proof, or S_{T-1}: still not the trained model
    with brownie.reverts("task_registry: final model is not S_T"):
        registry.commit_result(claimed_task, root, _hex(leaves[0]), [_hex(p) for p in merkle.proof(tree, LAST)],
                               ARTIFACT_URI, {"from": solver})
    with brownie.reverts("task_registry: final model is not S_T"):
        registry.commit_result(claimed_task, root, _hex(leaves[LAST - 1]),
                               [_hex(p) for p in merkle.proof(tree, LAST)], ARTIFACT_URI, {"from": solver})
    tx = registry.commit_result(claimed_task, root, _hex(leaves[LAST]),
                                [_hex(p) for p in merkle.proof(tree, LAST)], ARTIFACT_URI, {"from": solver})
    assert tx.events["ResultCommitted"]["final_model_hash"] == _hex(leaves[LAST])


def test_final_model_inner_node_or_deeper_value_reverts(registry, claimed_task, solver):
    """A proof one level short (an inner node as "leaf T") or one level long
    (a value below the leaf) is refused by its length alone."""
    leaves, tree = _run(LAST + 1)
    root = _hex(tree[-1][0])
    proof = [_hex(p) for p in merkle.proof(tree, LAST)]
    assert registry.final_model_depth(claimed_task) == merkle.depth(LAST + 1) == len(proof)
    inner = _hex(tree[1][LAST // 2])  # the parent of leaf T
    with brownie.reverts("task_registry: final model proof has wrong length"):
        registry.commit_result(claimed_task, root, inner, proof[1:], ARTIFACT_URI, {"from": solver})
    # a made-up pair whose hash is leaf T, "proved" one level deeper
    below_l, below_r = b"\x01" * 32, b"\x02" * 32
    assert keccak(below_l + below_r) != leaves[LAST]
    with brownie.reverts("task_registry: final model proof has wrong length"):
        registry.commit_result(claimed_task, root, _hex(below_l), [_hex(below_r)] + proof, ARTIFACT_URI,
                               {"from": solver})
    with brownie.reverts("task_registry: final model proof has wrong length"):
        registry.commit_result(claimed_task, root, root, [], ARTIFACT_URI, {"from": solver})


def test_attack_old_run_tree_over_every_step(registry, claimed_task, solver):
    """Issue 12: the run tree holds the boundary steps only (n_b = 11 leaves for T = 1000,
    c = 100). A run root over all T + 1 step roots, with S_T as its leaf T, has the wrong
    shape: its proof (10 siblings) is refused by length, as is leaf T's index in an 11-leaf tree."""
    leaves, tree = _run(NUM_STEPS + 1)
    proof = [_hex(p) for p in merkle.proof(tree, NUM_STEPS)]
    assert registry.final_model_depth(claimed_task) == 4 != len(proof)
    with brownie.reverts("task_registry: final model proof has wrong length"):
        registry.commit_result(claimed_task, _hex(tree[-1][0]), _hex(leaves[NUM_STEPS]), proof, ARTIFACT_URI,
                               {"from": solver})
    small, stree = _run(LAST + 1)  # S_T not at the last leaf (here: leaf 7 of 11) is not S_T
    with brownie.reverts("task_registry: final model is not S_T"):
        registry.commit_result(claimed_task, _hex(stree[-1][0]), _hex(small[7]),
                               [_hex(p) for p in merkle.proof(stree, 7)], ARTIFACT_URI, {"from": solver})


def test_final_model_one_step_run(registry, parameters, submitter, solver, funded, bonded, chain):
    """T = 1: two leaves, one sibling."""
    from lifecycle import create_args

    tid = registry.create_task(*create_args(num_steps=1, checkpoint_interval=1), {"from": submitter}).return_value
    registry.claim_task(tid, {"from": solver})
    root, proof = run_with_model(1, MODEL_HASH, interval=1)
    assert len(proof) == 1
    registry.commit_result(tid, root, MODEL_HASH, proof, ARTIFACT_URI, {"from": solver})
    assert registry.get_task(tid)["final_model_hash"] == MODEL_HASH
