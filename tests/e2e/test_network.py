"""End to end on a real Anvil node with real training: payment of an honest task,
detection of faults and faked steps, refusal of a mismatched task, artifact
problems, and a solver killed mid-training."""

import pytest

from offchain.dispute.run import is_skipped
from offchain.dispute.tiny import tiny_program
from offchain.roles.registry import CANCELLED, COMMITTED, FINALIZED, OPEN, get_task
from offchain.roles.submit import Submitter, TaskTerms, build_spec
from offchain.store import LocalStore

pytestmark = pytest.mark.e2e

FEE_BPS = 500
TERMS = TaskTerms()


def submit(net, steps=10, interval=10, program=None, seed=1):
    sub = Submitter(net.settings("submitter"))
    spec, artifacts = build_spec("digits", steps=steps, checkpoint_interval=interval, seed=seed)
    return sub, sub.create(spec, artifacts, TERMS, program=program)


def verifier_phase(net, tid):
    return (net.db("verifier").task(tid) or ("", {}))[0]


def challenged(net, tid):
    """The verifier found a mismatch (it then opens and plays a dispute: test_daemon_dispute.py)."""
    return verifier_phase(net, tid) in ("challenged", "disputing")


def bal(chain, who):
    return chain.call("TestToken", "balanceOf", who)


def test_honest_task_is_paid_exactly(net):
    chain = net.chain()
    submitter, solver, treasury = (net.address(r) for r in ("submitter", "solver", "treasury"))
    before = {a: bal(chain, a) for a in (submitter, solver, treasury)}
    net.spawn("solver-honest", "solve", role_key="solver")
    try:
        _, tid = submit(net, steps=20)
        net.wait(lambda: get_task(chain, tid).status == COMMITTED, 300, "commit")
        net.wait(lambda: verifier_phase(net, tid) == "verified", 300, "verification")
        net.warp(get_task(chain, tid).challenge_window + 1)
        net.wait(lambda: get_task(chain, tid).status == FINALIZED, 120, "finalisation")
    finally:
        net.kill("solver-honest")
    fee = TERMS.payment * FEE_BPS // 10_000
    assert bal(chain, submitter) == before[submitter] - TERMS.payment
    assert bal(chain, solver) == before[solver] - TERMS.solver_stake + TERMS.payment - fee
    assert bal(chain, treasury) == before[treasury] + fee
    assert chain.call("StakeManager", "free_stake", solver) == TERMS.solver_stake  # unlocked
    assert chain.call("TaskRegistry", "total_escrowed") == 0
    # 20 steps at checkpoint interval 10: boundaries 0, 10, 20; the 3 samples asked for are
    # capped at the 2 boundaries after step 0 (boundary indices 1 and 2)
    assert sorted(net.db("verifier").task(tid)[1]["steps"]) == [1, 2]


def test_fault_at_sampled_step_is_challenged(net):
    # 10 steps, checkpoint interval 1: the run tree holds every step, so the flip at step 1 is
    # seen at step 1 (with interval 10 a lowest-bit flip there can die out before step 10)
    net.spawn("solver-fault", "solve", "--fault", "step=1,node=3,element=5", role_key="solver")
    try:
        _, tid = submit(net, interval=1, seed=2)
        net.wait(lambda: challenged(net, tid), 300, "the challenge")
    finally:
        net.kill("solver-fault")
    (ev,) = net.db("verifier").evidence(tid)
    assert ev["step"] == 1 and ev["mine"] != ev["theirs"]
    assert f"challenge: task={tid} step=1" in net.log("verifier")
    assert get_task(net.chain(), tid).status == COMMITTED  # not paid out while we wait


def test_skipped_steps_are_detected(net):
    # pick a skip seed that fakes step 1, so any sample catches it (the rate is measured in bench/)
    tid_next = net.chain().call("TaskRegistry", "task_count") + 1
    seed = next(s for s in range(100) if is_skipped(0.5, s, tid_next, 1))
    net.spawn("solver-skip", "solve", "--skip-steps", "0.5", "--skip-seed", str(seed), role_key="solver")
    try:
        _, tid = submit(net, interval=1, seed=3)  # every step a boundary: the evidence is at step 1
        assert tid == tid_next
        net.wait(lambda: challenged(net, tid), 300, "the challenge")
    finally:
        net.kill("solver-skip")
    assert net.db("verifier").evidence(tid)[0]["step"] == 1


def test_mismatched_program_root_is_refused_and_expires(net):
    chain = net.chain()
    submitter = net.address("submitter")
    start = bal(chain, submitter)
    net.spawn("solver-strict", "solve", role_key="solver")
    try:
        # a real program tree (create_task proves its header), not the spec's
        sub, tid = submit(net, seed=4, program=tiny_program(42))
        assert bal(chain, submitter) == start - TERMS.payment
        net.wait(lambda: f"refuse task={tid}: program root mismatch" in net.log("solver-strict"), 120,
                 "the refusal")
    finally:
        net.kill("solver-strict")
    assert get_task(chain, tid).status == OPEN
    net.warp(TERMS.claim_period + 1)
    sub.poll_once()
    assert get_task(chain, tid).status == CANCELLED
    assert bal(chain, submitter) == start
    assert net.log("solver-strict").count(f"refuse task={tid}") == 1


def test_missing_or_corrupt_artifacts_are_reported(net):
    """A verifier (in process, fresh state) meets a corrupt, then a missing manifest: it
    reports each, retries with backoff (not on the next poll), and goes on once it is back."""
    from offchain.roles import availability
    from offchain.roles.verify import Verifier

    chain = net.chain()
    tid = next(t for t in range(1, chain.call("TaskRegistry", "task_count") + 1)
               if get_task(chain, t).status == COMMITTED)
    server = LocalStore(net.workdir / "store")
    uri = chain.call("TaskRegistry", "artifact_uri", tid)
    good = server.get(uri)
    # a fixed throughput: a fresh verifier would otherwise defer its first poll while it
    # measures this machine (offchain/roles/admission.py), which this test is not about
    v = Verifier(net.settings("verifier-2", "verifier").with_(artifact_timeout=3600.0, throughput=1e9))

    def due_now():
        rec = availability.record(v.db, f"artifacts:{tid}")
        v.db.put(f"avail:artifacts:{tid}", {**rec, "next": 0})

    try:
        server.path(uri).write_bytes(good[:-1] + bytes([good[-1] ^ 1]))
        v.poll_once()
        phase, data = v.db.task(tid)
        assert phase == "artifact_error" and "is corrupt" in data["problem"]
        server.path(uri).unlink()
        due_now()  # (the backoff itself: tests/offchain/test_verifier_replay.py)
        v.poll_once()  # the daemon keeps going and retries
        phase, data = v.db.task(tid)
        assert phase == "artifact_error" and "not found" in data["problem"] and data["attempts"] == 2
    finally:
        server.put(good)
    due_now()
    v.poll_once()
    assert v.db.task(tid)[0] == "challenged"


def test_solver_killed_mid_training_finishes_without_second_claim(net):
    chain = net.chain()
    solver = net.address("solver")
    nonce0 = chain.w3.eth.get_transaction_count(solver)
    net.spawn("solver-crash", "solve", role_key="solver")
    _, tid = submit(net, steps=40, seed=5)
    db = net.db("solver-crash")
    net.wait(lambda: (db.get(f"train:{tid}") or {}).get("checkpoints", {}).get("10"), 300, "checkpoint 10")
    net.kill("solver-crash", 9)
    assert get_task(chain, tid).status < COMMITTED
    net.spawn("solver-crash", "solve", role_key="solver")
    try:
        net.wait(lambda: get_task(chain, tid).status == COMMITTED, 300, "commit after restart")
    finally:
        net.kill("solver-crash")
    assert "resuming after step" in net.log("solver-crash")
    # one claim and one commit (plus approve and bond when stake was short): nothing repeated
    sent = chain.w3.eth.get_transaction_count(solver) - nonce0
    claims = [a for a in db.actions() if a.key.startswith(("claim:", "commit:"))]
    assert len(claims) == 2
    assert sent == len([a for a in db.actions() if a.tx_hash])  # every tx is a recorded, once-only action
