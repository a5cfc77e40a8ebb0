"""Task admission and bounded verification (issue 15, items 1, 2 and 6): each test is an
attack a submitter or a solver can mount with what the ABI and the store allow, and shows
the agent refusing it before it spends (stake, memory, time) or treating it as a fault."""

import dataclasses
import gc
import logging
import threading
import time
import tracemalloc

import numpy as np
import pytest
from fakechain import FakeChain, NoEvents, UnexpectedCall, settings, task_view

from offchain.commit import merkle, roots
from offchain.config import Settings, check_admission_settings, load_settings
from offchain.dispute.run import PartyRun
from offchain.dispute.states import DiskStates, StoreStates
from offchain.roles import admission
from offchain.roles.registry import CLAIMED, COMMITTED
from offchain.roles.sampling import sample_steps
from offchain.roles.solve import Solver
from offchain.roles.submit import build_spec
from offchain.roles.task import Checkpoint, Manifest, data_root, decode_arrays, load_task_inputs
from offchain.roles.verify import Verifier
from offchain.runtime import compiler, executor
from offchain.runtime.dataset import load as load_dataset
from offchain.store import LocalStore

TOKEN = 10**18
TERMS = dict(payment=10 * TOKEN, solver_stake=100 * TOKEN, solve_period=3600)
#: a fixed throughput (micro-ops/s) where a test must not depend on this machine's speed
FAST = 1e9


def _publish(tmp_path, steps=10, interval=5, hidden=(16,), batch=8, **fields):
    """(store, task view, FakeChain) of a digits task published to a local store."""
    store = LocalStore(tmp_path / "store")
    spec, artifacts = build_spec("digits", steps=steps, checkpoint_interval=interval, hidden=hidden, batch=batch)
    for blob in artifacts.values():
        store.put(blob)
    addr = store.put(spec.to_bytes())
    _, (train,) = decode_arrays(artifacts[spec.data])
    program = spec.compile(train)
    task = task_view(1, spec_hash=bytes.fromhex(addr[2:]), data_root=data_root(train),
                     program_root=program.root(), num_steps=steps, checkpoint_interval=interval,
                     **{**TERMS, **fields})
    return store, task, FakeChain({1: task}, headers={1: program.header.encode()})


def _solver(tmp_path, chain, **kw):
    s = Solver(settings(tmp_path, **{"throughput": FAST, **kw}), chain=chain)
    s._cursor = NoEvents()
    return s


def _lines(caplog, tid=1):
    return [r.getMessage() for r in caplog.records if f"task={tid}" in r.getMessage()]


# --- the solver's budget --------------------------------------------------------------


def test_uneconomic_task_one_wei_for_a_big_stake_is_refused_and_never_claimed(tmp_path, caplog):
    # the attack: 1 wei of payment for a 400-token stake; the attacker expires the task and
    # collects part of the stake. Refused on the terms alone: nothing fetched, nothing sent.
    store, task, chain = _publish(tmp_path, payment=1, fee=0, solver_stake=400 * TOKEN)
    solver = _solver(tmp_path, chain)
    fetched = []
    real = solver.store.get
    solver.store.get = lambda a: fetched.append(a) or real(a)
    solver.db.set_task(1, "seen")
    with caplog.at_level(logging.INFO):
        for _ in range(5):
            solver.poll_once()
    phase, data = solver.db.task(1)
    assert phase == "refused" and data["reason"].startswith("uneconomic: pays 1e-18 tokens for a stake of 400 tokens")
    assert _lines(caplog) == [f"solve: refuse task=1: {data['reason']}"]  # once, not per poll
    assert chain.calls == [] and fetched == []


def test_economic_task_passes_admission_and_goes_on_to_claim(tmp_path):
    # the control: the same harness with fair terms reaches the stake (the fake chain refuses it)
    store, task, chain = _publish(tmp_path)
    solver = _solver(tmp_path, chain)
    solver.db.set_task(1, "seen")
    solver.poll_once()
    assert solver.db.task(1)[0] == "accepted" and ("StakeManager", "free_stake") in chain.calls


def test_37_gib_model_is_priced_from_its_shapes_and_refused_before_allocation(tmp_path):
    # hidden widths (100000, 100000) compile to a valid program root (the chain does not bound
    # widths): its state alone is 37 GiB. The cost comes from the shapes; nothing is built.
    ds = load_dataset("digits")
    tracemalloc.start()
    try:
        program = compiler.compile_model(compiler.TrainSpec(hidden=(100_000, 100_000), batch=8), ds)
        cost = admission.program_cost(program, ds.train.shape, 1000, 10)
        why = admission.resources(cost, admission.Throughput(FAST, FAST, 0.0), Settings(), 64 << 30, 1 << 50,
                                  3600, "solve period", "solve")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert cost.state_bytes > 37 << 30
    assert why is not None and why.code == "memory" and not why.later and "37.3 GiB" in why.reason
    assert peak < 8 << 20  # a few MiB of Python objects, not the model


def test_model_over_the_memory_budget_is_refused_before_allocation(tmp_path, caplog):
    # within the spec's bounds (4096-wide layers) but over this solver's max_memory_mib:
    # refused from the program's shapes, before any state exists, never claimed
    store, task, chain = _publish(tmp_path, hidden=(4096, 4096))
    solver = _solver(tmp_path, chain, max_memory_mib=256)
    solver.db.set_task(1, "seen")
    tracemalloc.start()
    try:
        with caplog.at_level(logging.INFO):
            solver.poll_once()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    phase, data = solver.db.task(1)
    assert phase == "refused" and "of memory" in data["reason"] and "max_memory_mib" in data["reason"]
    assert chain.calls == [] and solver._jobs == {}
    assert peak < 32 << 20  # the 68 MiB state (and 130 MiB of step outputs) never allocated


def test_too_many_steps_for_the_solve_period_are_refused(tmp_path):
    # 10^6 steps in a one-hour solve period on a machine doing 10^6 micro-ops/s (24,068 per step)
    store, task, chain = _publish(tmp_path, steps=1_000_000, interval=1000)
    solver = _solver(tmp_path, chain, throughput=1e6)
    solver.db.set_task(1, "seen")
    solver.poll_once()
    phase, data = solver.db.task(1)
    assert phase == "refused" and "1000000 steps would take" in data["reason"] and "solve period is 1 h" in data["reason"]
    assert chain.calls == []


def test_a_step_longer_than_max_step_seconds_is_refused(tmp_path):
    # one step must end within max_step_seconds: SIGTERM is honoured between steps
    store, task, chain = _publish(tmp_path, hidden=(1024,), batch=256)
    solver = _solver(tmp_path, chain, throughput=1e6, max_step_seconds=5.0)
    solver.db.set_task(1, "seen")
    solver.poll_once()
    phase, data = solver.db.task(1)
    assert phase == "refused" and "one step would take" in data["reason"]


def test_throughput_is_measured_once_and_cached(tmp_path, monkeypatch):
    calls = []
    fake = admission.Throughput(2e6, 1e6, 0.001)
    monkeypatch.setattr(admission, "measure_throughput", lambda b: calls.append(b) or fake)
    monkeypatch.setattr(admission, "_MEASURED", {})
    store, task, chain = _publish(tmp_path, steps=1_000_000, interval=1000)
    solver = Solver(settings(tmp_path, throughput=0.0), chain=chain)  # 0: measure
    assert solver.budget.rate() is None  # being measured in its own thread: the poll loop goes on
    thread = admission._MEASURING.get(solver.backend)
    if thread is not None:
        thread.join(timeout=30)
    assert solver.budget.rate() == fake and solver.budget.rate() == fake and calls == [solver.backend] == ["fast"]
    monkeypatch.setattr(admission, "_MEASURED", {})  # a new process: read from the state DB
    again = Solver(settings(tmp_path, throughput=0.0), chain=chain)
    again._cursor = NoEvents()
    assert again.budget.rate() == fake and calls == [solver.backend] == ["fast"]
    again.db.set_task(1, "seen")
    again.poll_once()  # the measured figure decides: 10^6 steps at ~25 ms do not fit an hour
    assert again.db.task(1)[0] == "refused" and "1e+06 micro-ops/s" in again.db.task(1)[1]["reason"]


def test_measured_throughput_is_a_real_timing():
    r = admission.measure_throughput("reference", reps=1)
    assert 0 < r.step_rate < 1e13 and 0 < r.init_rate < 1e13 and 0 <= r.overhead < 10


def _held(solver, chain, stakes, phase):
    for i, stake in enumerate(stakes, start=10):
        chain.tasks[i] = task_view(i, status=COMMITTED, solver_stake=stake)
        solver.db.set_task(i, phase)


def test_concurrent_task_cap_defers_once_and_admits_when_free(tmp_path, caplog):
    # a submitter floods the solver with tasks: beyond max_concurrent_tasks it does not claim,
    # and it says so once (not on every poll)
    store, task, chain = _publish(tmp_path)
    solver = _solver(tmp_path, chain, max_concurrent_tasks=2)
    _held(solver, chain, [TOKEN, TOKEN], "claimed")
    solver.db.set_task(1, "seen")
    with caplog.at_level(logging.INFO):
        for _ in range(5):
            solver.advance(1, "seen", {})
    phase, data = solver.db.task(1)
    assert phase == "seen" and data["deferred"] == "busy" and "max_concurrent_tasks=2" in data["reason"]
    assert _lines(caplog) == [f"solve: defer task=1: {data['reason']}"] and chain.calls == []
    solver.db.set_task(10, "committed")  # one finished training
    with pytest.raises(UnexpectedCall):  # the fake chain refuses the stake it goes on to bond
        solver.advance(1, "seen", {})
    assert solver.db.task(1)[0] == "accepted" and ("StakeManager", "free_stake") in chain.calls


def test_stake_at_risk_cap(tmp_path):
    store, task, chain = _publish(tmp_path, solver_stake=500 * TOKEN)
    solver = _solver(tmp_path, chain, max_stake_at_risk=1000.0, max_concurrent_tasks=10)
    _held(solver, chain, [300 * TOKEN, 300 * TOKEN], "committed")  # 600 at risk until finalized
    solver.db.set_task(1, "seen")
    solver.advance(1, "seen", {})
    phase, data = solver.db.task(1)
    assert phase == "seen" and data["deferred"] == "stake-busy" and "1100 tokens" in data["reason"]
    assert chain.calls == []
    # a stake larger than the whole cap never fits: refused for good
    chain.tasks[1] = dataclasses.replace(task, solver_stake=1500 * TOKEN, payment=100 * TOKEN)
    solver.advance(1, "seen", {})
    phase, data = solver.db.task(1)
    assert phase == "refused" and "exceeds max_stake_at_risk=1000" in data["reason"]


def test_admission_settings_are_range_checked(tmp_path):
    check_admission_settings(Settings())
    for name, bad in (("time_margin", 0.5), ("max_concurrent_tasks", 0), ("max_memory_mib", -1),
                      ("min_pay_per_stake", float("nan"))):
        with pytest.raises(ValueError, match=f"config: {name}="):
            check_admission_settings(dataclasses.replace(Settings(), **{name: bad}))
    with pytest.raises(ValueError, match="config: time_margin="):
        Solver(settings(tmp_path, time_margin=0.0), chain=FakeChain())
    assert load_settings(env={"TT_MAX_STAKE_AT_RISK": "250"}).max_stake_at_risk == 250.0


# --- the verifier's budget and bounded verification ----------------------------------------

T, K = 12, 4


def _run(program, train, fault_step=None):
    state, step_roots, ckpts = [], [], {}
    for t in range(T + 1):
        outs = [np.array(o, np.uint32) for o in executor.run_step(program, t, state, train)]
        if t == fault_step:
            outs[-1].reshape(-1)[0] ^= 1 << 20
        nr = roots.node_roots(outs)
        state = executor.state_after(program, t, outs)
        if t % K == 0 or t == T:  # a boundary step: its root is a leaf of the run tree
            step_roots.append(merkle.root(nr))
            ckpts[t] = Checkpoint(t, state, nr)
    return step_roots, ckpts


def _verifier(tmp_path, ckpts=None, drop=(), final=None, **kw):
    """A verifier of an honest digits run whose manifest lists `ckpts` (default: the honest
    ones) less the steps in `drop`; `final` replaces the final-model checkpoint."""
    store, task, chain = _publish(tmp_path, steps=T, interval=K, status=COMMITTED, challenge_window=600,
                                  challenge_deadline=10**9)
    spec_train, program = _inputs(store, task)
    step_roots, honest = _run(program, spec_train)
    ckpts = dict(honest if ckpts is None else ckpts)
    addrs = {t: store.put(c.to_bytes()) for t, c in ckpts.items() if t not in drop}
    manifest = Manifest(1, step_roots, addrs, store.put(final.to_bytes()) if final else addrs.get(T, addrs[0]))
    if final:
        addrs[T] = manifest.final_model
        manifest = Manifest(1, step_roots, addrs, manifest.final_model)
    chain.tasks[1] = dataclasses.replace(task, run_root=roots.run_root(step_roots), final_model_hash=step_roots[-1])
    chain.uris[1] = store.put(manifest.to_bytes())
    v = Verifier(settings(tmp_path, **{"samples": 3, "throughput": FAST, **kw}), chain=chain)
    v._cursor = NoEvents()
    v.db.set_task(1, "committed", commit_block=0, run_root=chain.tasks[1].run_root.hex())
    return v, chain, program, spec_train, step_roots, honest


def _inputs(store, task):
    """(training matrix, program) of a published task."""
    _, train, program = load_task_inputs(store, task)
    return train, program


def test_verifier_refuses_a_task_beyond_its_budget_before_spending(tmp_path, caplog):
    # 12 steps at 10^3 micro-ops/s take minutes: more than the 5 s left in the challenge window
    v, chain, *_ = _verifier(tmp_path, throughput=1e3)
    chain.tasks[1] = dataclasses.replace(chain.tasks[1], challenge_deadline=1_005)
    manifest_reads = []
    real = v.store.get
    v.store.get = lambda a: manifest_reads.append(a) or real(a)
    with caplog.at_level(logging.INFO):
        for _ in range(3):
            v.poll_once()
    phase, data = v.db.task(1)
    assert phase == "refused" and "but the challenge window has left 5 s" in data["reason"]
    assert _lines(caplog) == [f"verify: refuse task=1: {data['reason']}"]
    assert chain.uris[1] not in manifest_reads and chain.calls == []  # no replay, no join, no bond


def test_verifier_refuses_a_task_over_its_memory_budget(tmp_path):
    store, task, chain = _publish(tmp_path, hidden=(4096, 4096), status=COMMITTED, challenge_deadline=10**9)
    v = Verifier(settings(tmp_path, throughput=FAST, max_memory_mib=256), chain=chain)
    v._cursor = NoEvents()
    v.db.set_task(1, "committed", commit_block=0, run_root="00" * 32)
    v.poll_once()
    phase, data = v.db.task(1)
    assert phase == "refused" and "of memory" in data["reason"]


def test_honest_manifest_passes_the_checkpoint_checks(tmp_path):
    v, chain, *_ = _verifier(tmp_path)
    v.poll_once()
    assert v.db.task(1)[0] == "verified" and chain.calls == []


def test_manifest_with_a_missing_checkpoint_is_disputed(tmp_path, caplog):
    # the attack: list only some checkpoints so that whoever replays from the solver's
    # artifacts must start far away (O(T) per sample); it is an artifact fault at once
    v, *_ = _verifier(tmp_path, drop=(4,))
    with caplog.at_level(logging.INFO):
        v.poll_once()
    phase, data = v.db.task(1)
    assert phase == "challenged" and "no checkpoint at step(s) [4]" in data["unavailable"]
    assert [e["kind"] for e in v.db.evidence(1)] == ["artifacts"]
    assert "challenge: task=1 artifacts: the manifest has no checkpoint at step(s) [4]" in caplog.text


def test_manifest_with_only_step_0_and_t_is_disputed(tmp_path):
    v, *_ = _verifier(tmp_path, drop=(4, 8))
    v.poll_once()
    assert "no checkpoint at step(s) [4, 8]" in v.db.task(1)[1]["unavailable"]


def test_manifest_with_an_extra_checkpoint_is_disputed(tmp_path):
    v, chain, program, train, step_roots, honest = _verifier(tmp_path)
    v2, *_ = _verifier(tmp_path / "b", ckpts={**honest, 5: honest[4]})
    v2.poll_once()
    assert "checkpoint(s) at step(s) [5]" in v2.db.task(1)[1]["unavailable"]


def test_checkpoint_check_rejects_an_empty_or_flattened_state(tmp_path):
    store, task, chain = _publish(tmp_path, steps=T, interval=K)
    train, program = _inputs(store, task)
    step_roots, ckpts = _run(program, train)
    good = ckpts[4]
    good.check(program, step_roots[1])
    empty = Checkpoint(4, [], good.node_roots)
    with pytest.raises(ValueError, match="0 state slots, the program 4"):
        empty.check(program, step_roots[1])
    flat = Checkpoint(4, [a.reshape(1, -1) for a in good.state], good.node_roots)
    with pytest.raises(ValueError, match=r"state slot 0 has shape \(1, 1024\), not \(64, 16\)"):
        flat.check(program, step_roots[1])
    short = Checkpoint(4, good.state, good.node_roots[:-1])
    with pytest.raises(ValueError, match="node roots"):
        short.check(program, step_roots[1])


def test_final_model_with_a_flattened_state_is_a_fault(tmp_path):
    # its node roots are right and a flattened tensor has the same tensor root: only the shape
    # check catches it; the verifier treats it as an artifact fault (own replay, dispute)
    store, task, chain = _publish(tmp_path / "probe", steps=T, interval=K)
    train, program = _inputs(store, task)
    _, ckpts = _run(program, train)
    flat = Checkpoint(T, [a.reshape(1, -1) for a in ckpts[T].state], ckpts[T].node_roots)
    v, *_ = _verifier(tmp_path, final=flat)
    v.poll_once()
    phase, data = v.db.task(1)
    assert phase == "challenged" and "state slot 0 has shape" in data["unavailable"]


def test_malformed_sampled_checkpoint_is_a_fault(tmp_path):
    # every sampled step's base checkpoint is fetched and checked; an empty one is a fault
    store, task, chain = _publish(tmp_path / "probe", steps=T, interval=K)
    train, program = _inputs(store, task)
    _, ckpts = _run(program, train)
    broken = {t: Checkpoint(t, [], c.node_roots) if t < T else c for t, c in ckpts.items()}
    v, *_ = _verifier(tmp_path, ckpts=broken)
    v.poll_once()
    phase, data = v.db.task(1)
    assert phase == "challenged" and "is malformed: " in data["unavailable"] and "0 state slots" in data["unavailable"]


def test_forced_error_manifest_is_flagged_by_the_replay_not_as_an_artifact_problem(tmp_path):
    # a forced-error task publishes its true checkpoints under deliberately wrong step roots:
    # its checkpoints are complete and well formed, so the attestation keeps the manifest and
    # flags the replay's mismatch (a proof of it is what catches the forced error)
    from offchain.incentives import rules
    from offchain.roles import attest

    v, chain, program, train, step_roots, honest = _verifier(tmp_path)
    wrong = rules.wrong_step_roots(step_roots, b"\x01" * 32)
    addrs = {t: v.store.put(c.to_bytes()) for t, c in honest.items()}
    chain.uris[1] = v.store.put(Manifest(1, wrong, addrs, addrs[T]).to_bytes())
    chain.tasks[1] = dataclasses.replace(chain.tasks[1], run_root=roots.run_root(wrong))
    manifest, values, bad = attest._manifest_values(v, 1, chain.tasks[1], {"attest_deadline": 10**9}, [1, 3])
    assert manifest is not None and manifest.step_roots == wrong and bad[0] == 0
    assert v.db.evidence(1) == []


def test_attestation_flags_nothing_but_records_a_missing_checkpoint(tmp_path):
    # the incentive path: the same fault is an ArtifactProblem (own full replay decides the flag)
    from offchain.roles import attest

    v, chain, *_ = _verifier(tmp_path, drop=(8,))
    chain.views[("Parameters", "verification_window")] = 600
    got = attest._manifest_values(v, 1, chain.tasks[1], {"attest_deadline": 10**9}, [1, 3])
    assert got is not None and got[0] is None and got[2] == []  # honest root: no flag
    (ev,) = v.db.evidence(1)
    assert ev["kind"] == "artifacts" and "no checkpoint at step(s) [8]" in ev["problem"]


# --- replay keeps states on disk -------------------------------------------------------------


def test_party_run_keeps_its_states_on_disk_not_in_memory(tmp_path):
    store, task, chain = _publish(tmp_path, steps=T, interval=K)
    train, program = _inputs(store, task)
    mem = PartyRun(program, train, T, keep_every=K)
    disk = PartyRun(program, train, T, keep_every=K, spill=tmp_path / "replay")
    assert disk.step_roots == mem.step_roots and isinstance(disk._states, DiskStates)
    assert sorted(disk._states) == [0, 4, 8, 12] and not any(isinstance(v, np.ndarray) for v in vars(disk._states).values())
    for t in (0, 5, 11):
        assert all((a == b).all() for a, b in zip(disk.state(t), mem.state(t), strict=True))
    where = disk._states.dir
    assert where.parent == tmp_path / "replay" and oct(where.stat().st_mode & 0o777) == "0o700"
    del disk
    gc.collect()
    assert not where.exists()  # removed with the run


def test_state_dirs_of_a_dead_process_are_swept(tmp_path):
    stale = tmp_path / "replay" / "states-999999999-abc"
    stale.mkdir(parents=True)
    live = DiskStates(tmp_path / "replay")
    assert not stale.exists() and live.dir.exists()


def test_solver_defends_from_checkpoints_fetched_when_needed(tmp_path):
    store, task, chain = _publish(tmp_path, steps=T, interval=K)
    train, program = _inputs(store, task)
    step_roots, ckpts = _run(program, train)
    addrs = {t: store.put(c.to_bytes()) for t, c in ckpts.items()}
    fetched = []
    real = store.get
    store.get = lambda a: fetched.append(a) or real(a)
    states = StoreStates(store, {str(t): a for t, a in addrs.items()})
    run = PartyRun.from_states(program, train, step_roots, states)
    assert run._states is states and fetched == []  # nothing loaded up front
    run.outputs(6)  # recomputed from checkpoint 4 only
    assert fetched == [addrs[4]]


# --- the solver keeps serving while it trains, and stops cleanly --------------------------------


def test_stopped_solver_leaves_no_training_thread_behind(tmp_path):
    # a daemon that stops (SIGTERM, `until`, timeout) used to return with its training thread
    # still running (writing checkpoints after the stop; at interpreter exit, inside the
    # backend, it could abort the process): now the thread stops after its step and is joined
    store, task, chain = _publish(tmp_path, steps=100_000, interval=50, hidden=(4,), batch=4,
                                  status=CLAIMED, solver=FakeChain.address)
    chain.wait_connected = lambda: None
    solver = _solver(tmp_path, chain)
    solver.db.set_task(1, "claimed")

    def started() -> bool:
        return bool((solver.db.get("train:1") or {}).get("checkpoints", {}).get("50"))

    try:
        solver.run(until=started, timeout=120)
        assert started()
        assert not [t for t in threading.enumerate() if t.name == "train-1" and t.is_alive()]
        progress = solver.db.get("train:1")
        time.sleep(0.5)
        assert solver.db.get("train:1") == progress  # nothing written after the stop
    finally:
        solver._stop = True
        for job in list(solver._jobs.values()):
            job.join()


def test_stake_cap_counts_in_the_deployment_tokens_decimals(tmp_path):
    # a 6-decimal token (USDC-like): 400 whole tokens are 400 * 10**6 units. Counted in 18
    # decimals that stake would look like 4e-10 tokens and pass any cap.
    s = settings(tmp_path, max_stake_at_risk=100.0, min_pay_per_stake=0.0)
    task = task_view(payment=10 * 10**6, fee=0, solver_stake=400 * 10**6)
    verdict = admission.solver_terms(task, [], 0, s, unit=10**6)
    assert verdict is not None and verdict.code == "stake" and "400 tokens" in verdict.reason
    assert admission.solver_terms(task, [], 0, s) is None  # the 18-decimal reading lets it through
    chain = FakeChain()
    chain.views[("Token", "decimals")] = 6
    from offchain.roles.funds import token_unit

    assert token_unit(chain) == 10**6


def test_roles_default_to_the_settings_backend(tmp_path):
    """One default: a Solver or Verifier built without a backend runs (and is priced by
    admission for) the settings' backend, "fast" unless the operator sets another; the
    constructors used to default to "reference" while settings said "fast"."""
    assert Settings().backend == "fast"
    for role in (Solver, Verifier):
        d = role(settings(tmp_path / role.__name__ / "a"), chain=FakeChain())
        assert d.backend == d.budget.backend == "fast"
        d = role(settings(tmp_path / role.__name__ / "b", backend="reference"), chain=FakeChain())
        assert d.backend == d.budget.backend == "reference"
        d = role(settings(tmp_path / role.__name__ / "c", backend="reference"), chain=FakeChain(), backend="fast")
        assert d.backend == "fast"  # an explicit argument (the CLI's --backend) still wins


@pytest.mark.parametrize("samples", [1, 3])
def test_verifier_prices_its_whole_own_run_not_only_the_sampled_replay(tmp_path, caplog, samples):
    """Attack on liveness turned into one on soundness: a challenge window that fits the
    replay to the first sampled boundary (with time_margin) but not the whole run. Were the
    verifier to price only its check, it would take the task, and on a mismatch it could not
    build its own run root over every boundary (which the dispute needs) before the window
    closes: the fault would go through. It prices 0..T and refuses, whatever it samples."""
    v, chain, program, train, *_ = _verifier(tmp_path / "v", samples=samples, throughput=3e4)
    task = chain.tasks[1]
    bounds = roots.boundaries(T, K)
    # the block after the commit: one whose hash draws boundary 1 first (samples=1)
    seed = next(bytes([n]) * 32 for n in range(256) if sample_steps(bytes([n]) * 32, v.chain.address, 1,
                                                                   len(bounds) - 1, 1) == [1])
    chain.block = lambda _ident="latest": {"timestamp": 1_000, "number": 1, "hash": seed}
    steps = v._samples(1, task, {"commit_block": 0})
    assert steps == ([1] if samples == 1 else [1, 2, 3])
    cost = admission.program_cost(program, train.shape, T, K)
    rate = v.budget.rate()
    # a window between the replay to boundary 1 and the whole run (x time_margin)
    part, whole = (rate.run_seconds(cost, n) * v.settings.time_margin for n in (bounds[1], T))
    assert whole - part > 4  # room for the window between them (whole seconds)
    chain.tasks[1] = dataclasses.replace(task, challenge_deadline=1_000 + int((part + whole) / 2))
    with caplog.at_level(logging.INFO):
        v.poll_once()
    phase, data = v.db.task(1)
    assert phase == "refused" and f"{T} steps would take" in data["reason"], (phase, data)
    assert "replayed" not in data
