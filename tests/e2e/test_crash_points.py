"""Every crash point is safe (issue 11, item 3): a daemon killed right after one of its
transactions is mined, before it wrote that down (settings.crash_after: the process
exits as by kill -9), is restarted and finishes the task with the incentive layer on:
the honest solver is paid (its secret revealed in time, no `phase=committed: 'manifest'`
loop), the verifier settles, and no transaction is sent twice.

The default suite runs the crash after commit_result (the case of the issue); the
other crash points of the solver and the verifier run under the slow marker."""

import time

import pytest

from offchain.demo import LocalNetwork, walk_incentives
from offchain.roles.forced import incentive
from offchain.roles.registry import FINALIZED, get_task
from offchain.roles.submit import Submitter, TaskTerms, build_spec

pytestmark = pytest.mark.e2e

TERMS = TaskTerms()
PPM = 1_000_000


@pytest.fixture(scope="module")
def net(tmp_path_factory, block_time):
    network = LocalNetwork(tmp_path_factory.mktemp("crash"), samples=3, incentives=True, block_time=block_time)
    network.start()
    yield network
    network.stop()


def _spawn(net, monkeypatch, name, role, crash=""):
    with monkeypatch.context() as m:
        m.setenv("TT_CRASH_AFTER", crash)
        net.spawn(name, "solve" if role == "solver" else "verify", role_key=role)


def _wait_exit(net, name, timeout=300):
    p = net.procs[name]
    end = time.time() + timeout
    while p.poll() is None:
        if time.time() > end:
            raise TimeoutError(f"{name} did not reach its crash point")
        time.sleep(0.2)
    assert p.returncode == 137, net.log(name)[-2000:]
    net.procs.pop(name)


def _crash_and_finish(net, monkeypatch, who: str, point: str, seed: int, forced_rate: int = 0):
    """One task; daemon `who` dies at `point`, is restarted, and the task ends finalized."""
    chain = net.chain()
    net.set_forced_rate(forced_rate)
    sname, vname = f"solver-{seed}", f"verifier-{seed}"
    _spawn(net, monkeypatch, sname, "solver", point if who == "solver" else "")
    _spawn(net, monkeypatch, vname, "verifier", point if who == "verifier" else "")
    nonce0 = {r: chain.w3.eth.get_transaction_count(net.address(r)) for r in ("solver", "verifier")}
    try:
        spec, artifacts = build_spec("digits", steps=10, checkpoint_interval=5, hidden=(4,), batch=4, seed=seed)
        tid = Submitter(net.settings("submitter")).create(spec, artifacts, TERMS)
        name = sname if who == "solver" else vname

        def restart_when_dead(_stage=None):
            p = net.procs.get(name)
            if p is not None and p.poll() is not None:
                _wait_exit(net, name)
                _spawn(net, monkeypatch, name, who)

        # the crash may come before the commit (claim, seed), or during the walk
        end = time.time() + 300
        while get_task(chain, tid).status < 3 or (net.db(vname).task(tid) is None):
            restart_when_dead()
            if time.time() > end:
                raise TimeoutError("the commit")
            time.sleep(0.3)
        walk = _walk_restarting(net, tid, vname, restart_when_dead)
        assert get_task(chain, tid).status == FINALIZED, walk
        assert incentive(chain, tid)["revealed"]
        assert f"crash point after {point}" in net.log(name)
        for role, dname in (("solver", sname), ("verifier", vname)):
            db = net.db(dname)
            sent = chain.w3.eth.get_transaction_count(net.address(role)) - nonce0[role]
            assert sent == len([a for a in db.actions() if a.tx_hash]), f"{role} sent a transaction twice"
            assert not [a for a in db.actions() if a.status == "failed"]
        assert "phase=committed" not in net.log(sname)
        assert (net.db(vname).task(tid) or ("",))[0] == "done"
    finally:
        net.kill(sname)
        net.kill(vname)


def _walk_restarting(net, tid, vname, restart):
    """walk_incentives, restarting the crashed daemon between (and during) its waits."""
    orig = net.wait

    def wait(cond, timeout, what, poll=0.3):
        end = time.time() + timeout
        while time.time() < end:
            restart()
            if cond():
                return True
            time.sleep(poll)
        raise TimeoutError(what)

    net.wait = wait
    try:
        return walk_incentives(net, tid, verifiers=(vname,))
    finally:
        net.wait = orig


def test_solver_crash_after_commit_reveals_and_is_paid(net, monkeypatch):
    _crash_and_finish(net, monkeypatch, "solver", "commit:", seed=31)


SOLVER_POINTS = ["claim:", "record-seed:", "reveal-secret:", "finalize:"]
VERIFIER_POINTS = ["attest-join:", "attest-seed:", "attest-commit:", "attest-reveal:", "attest-settle:"]


@pytest.mark.slow
@pytest.mark.parametrize("point", SOLVER_POINTS)
def test_solver_crash_points(net, monkeypatch, point):
    _crash_and_finish(net, monkeypatch, "solver", point, seed=40 + SOLVER_POINTS.index(point))


@pytest.mark.slow
def test_solver_crash_after_commit_of_a_forced_task(net, monkeypatch):
    _crash_and_finish(net, monkeypatch, "solver", "commit:", seed=49, forced_rate=PPM)


@pytest.mark.slow
@pytest.mark.parametrize("point", VERIFIER_POINTS)
def test_verifier_crash_points(net, monkeypatch, point):
    _crash_and_finish(net, monkeypatch, "verifier", point, seed=50 + VERIFIER_POINTS.index(point))


# --- the dispute path (no incentive layer): open_dispute and the moves --------------------

# at the last step: its node outputs are in S_10, the run tree's last leaf (interval 10), so the
# fault always shows (a lowest-bit flip at step 1 can die out before the boundary at step 10)
FAULT = "step=10,node=3,element=5"


@pytest.fixture(scope="module")
def plain_net(tmp_path_factory, block_time):
    network = LocalNetwork(tmp_path_factory.mktemp("crash-plain"), samples=3, block_time=block_time)
    network.start()
    yield network
    network.stop()


@pytest.mark.slow
@pytest.mark.parametrize("who,point", [("verifier", "open:"), ("verifier", "dispute:"),
                                       ("solver", "commit:"), ("solver", "dispute:")])
def test_dispute_crash_points(plain_net, monkeypatch, who, point):
    """A faulty solver, an honest verifier; `who` dies right after `point` is mined (for
    "dispute:" its first move), is restarted, and the verifier still wins: task rejected,
    nothing sent twice."""
    from offchain.roles.registry import REJECTED

    net = plain_net
    chain = net.chain()
    seed = 60 + ["open:", "dispute:", "commit:"].index(point) + (10 if who == "solver" else 0)
    sname, vname = f"solver-{seed}", f"verifier-{seed}"
    with monkeypatch.context() as m:
        m.setenv("TT_CRASH_AFTER", point if who == "solver" else "")
        net.spawn(sname, "solve", "--fault", FAULT, role_key="solver")
        m.setenv("TT_CRASH_AFTER", point if who == "verifier" else "")
        net.spawn(vname, "verify", role_key="verifier")
    nonce0 = {r: chain.w3.eth.get_transaction_count(net.address(r)) for r in ("solver", "verifier")}
    name = sname if who == "solver" else vname
    args = ("solve", "--fault", FAULT) if who == "solver" else ("verify",)
    try:
        spec, artifacts = build_spec("digits", steps=10, checkpoint_interval=10, hidden=(4,), batch=4, seed=seed)
        tid = Submitter(net.settings("submitter")).create(spec, artifacts, TERMS)
        end = time.time() + 600
        while (net.db(vname).task(tid) or ("",))[0] not in ("won", "lost", "missed"):
            p = net.procs.get(name)
            if p is not None and p.poll() is not None:
                _wait_exit(net, name)
                net.spawn(name, *args, role_key=who)
            if time.time() > end:
                raise TimeoutError("the end of the dispute")
            time.sleep(0.3)
        assert net.db(vname).task(tid)[0] == "won"
        assert get_task(chain, tid).status == REJECTED
        assert f"crash point after {point}" in net.log(name)
        for role, dname in (("solver", sname), ("verifier", vname)):
            db = net.db(dname)
            sent = chain.w3.eth.get_transaction_count(net.address(role)) - nonce0[role]
            assert sent == len([a for a in db.actions() if a.tx_hash]), f"{role} sent a transaction twice"
    finally:
        net.kill(sname)
        net.kill(vname)
