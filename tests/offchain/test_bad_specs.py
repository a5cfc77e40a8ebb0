"""Malformed or impossible task specs (issue 11, item 5): the solver and the verifier
mark such a task refused with one log line naming the reason, never retry it, never
claim it; a spec or data artifact that stays unavailable is refused after bounded
retries with backoff (not on every poll)."""

import dataclasses
import json
import logging

import pytest
from fakechain import FakeChain, NoEvents, settings, task_view

from offchain.roles import availability
from offchain.roles.solve import Solver
from offchain.roles.submit import build_spec
from offchain.roles.task import SpecError, TaskSpec, data_root, decode_arrays
from offchain.roles.verify import Verifier
from offchain.store import LocalStore, address_of


def _good():
    spec, artifacts = build_spec("digits", steps=10, checkpoint_interval=5)
    return json.loads(spec.to_bytes()), artifacts


def _mut(**changes):
    def f(d):
        d.update(changes)
        return json.dumps(d).encode()
    return f


def _drop(name):
    def f(d):
        del d[name]
        return json.dumps(d).encode()
    return f


#: (case, spec bytes from the good spec dict, words expected in the refusal reason)
CASES = [
    ("not-json", lambda d: b"{not json", "not JSON"),
    ("json-array", lambda d: b"[1, 2, 3]", "JSON object"),
    ("empty", lambda d: b"", "not JSON"),
    ("missing-steps", _drop("steps"), "missing field(s) steps"),
    ("missing-data", _drop("data"), "missing field(s) data"),
    ("unknown-field", _mut(backdoor=1), "unknown field(s) 'backdoor'"),
    ("wrong-version", _mut(version=2), "unsupported spec version 2"),
    ("unknown-model", _mut(model="transformer"), "unknown model 'transformer'"),
    ("hidden-zero", _mut(hidden=[0]), "hidden width 0"),
    ("hidden-empty", _mut(hidden=[]), "hidden must be a list"),
    ("hidden-huge", _mut(hidden=[10**6]), "hidden width 1000000"),
    ("batch-zero", _mut(batch=0), "batch=0"),
    ("batch-negative", _mut(batch=-8), "batch=-8"),
    ("batch-float", _mut(batch=8.0), "batch must be an integer"),
    ("steps-bool", _mut(steps=True), "steps must be an integer"),
    ("steps-absurd", _mut(steps=10**15), "steps=1000000000000000"),
    ("interval-zero", _mut(checkpoint_interval=0), "checkpoint_interval=0"),
    ("seed-negative", _mut(seed=-1), "seed=-1"),
    ("seed-too-big", _mut(seed=2**64), "seed="),
    ("lr-nan", _mut(lr=float("nan")), "NaN is not a JSON number"),
    ("lr-inf", _mut(lr=float("inf")), "Infinity is not a JSON number"),
    ("lr-negative", _mut(lr=-0.5), "lr must be a finite number"),
    ("lr-absurd", _mut(lr=1e30), "lr must be a finite number"),
    ("lr-float32-zero", _mut(lr=1e-60), "not a normal float32"),
    ("lr-string", _mut(lr="0.1"), "lr must be a finite number"),
    ("data-not-address", _mut(data="../../etc/passwd"), "data must be a content address"),
    ("image-zero", _mut(image=[0, 8]), "image must be [H, W]"),
    ("image-wrong-size", _mut(image=[4, 4]), "does not hold n_features=64"),
    ("cnn-without-image", _mut(model="cnn", image=None), "a cnn needs an image shape"),
    ("n-classes-zero", _mut(n_classes=0), "n_classes=0"),
    # impossible for the data (the fields alone are fine)
    ("wrong-feature-count", _mut(n_features=63, image=None), "the data has 74 columns"),
    ("wrong-class-count", _mut(n_classes=9), "the data has 74 columns"),
    ("step-too-large", _mut(hidden=[4096] * 8, batch=4096), "one step has"),
]


#: terms the solver's admission accepts (pay per stake, solve period): only the spec is wrong
ECONOMIC_TERMS = dict(payment=10 * 10**18, solver_stake=100 * 10**18, solve_period=3600)


def _publish(tmp_path, spec_bytes: bytes, artifacts: dict, good_spec: dict):
    store = LocalStore(tmp_path / "store")
    for blob in artifacts.values():
        store.put(blob)
    addr = store.put(spec_bytes)
    _, (train,) = decode_arrays(artifacts[good_spec["data"]])
    good = TaskSpec.from_bytes(json.dumps(good_spec).encode())
    return task_view(1, spec_hash=bytes.fromhex(addr[2:]), data_root=data_root(train),
                     program_root=good.compile(train).root(), num_steps=10, checkpoint_interval=5,
                     **ECONOMIC_TERMS)


def _solver(tmp_path, task, **kw):
    chain = FakeChain({task.task_id: task})
    s = Solver(settings(tmp_path, **kw), chain=chain)
    s._cursor = NoEvents()
    s.db.set_task(task.task_id, "seen")
    return s, chain


@pytest.mark.parametrize("case,make,reason", CASES, ids=[c[0] for c in CASES])
def test_solver_refuses_bad_spec_once_and_never_claims(tmp_path, caplog, case, make, reason):
    good, artifacts = _good()
    task = _publish(tmp_path, make(dict(good)), artifacts, good)
    solver, chain = _solver(tmp_path, task)
    with caplog.at_level(logging.INFO):
        for _ in range(5):
            solver.poll_once()
    phase, data = solver.db.task(1)
    assert phase == "refused"
    assert reason in data["reason"]
    lines = [r.getMessage() for r in caplog.records if "task=1" in r.getMessage()]
    assert len(lines) == 1 and lines[0].startswith("solve: refuse task=1: ") and reason in lines[0]
    assert chain.calls == []  # no stake, no approve, no claim


@pytest.mark.parametrize("case,make,reason", CASES, ids=[c[0] for c in CASES])
def test_verifier_refuses_bad_spec_once(tmp_path, caplog, case, make, reason):
    good, artifacts = _good()
    task = _publish(tmp_path, make(dict(good)), artifacts, good)
    chain = FakeChain({1: task})
    v = Verifier(settings(tmp_path), chain=chain)
    v._cursor = NoEvents()
    v.db.set_task(1, "committed", commit_block=0, run_root="00" * 32)
    with caplog.at_level(logging.INFO):
        for _ in range(5):
            v.poll_once()
    phase, data = v.db.task(1)
    assert phase == "refused" and reason in data["reason"]
    lines = [r.getMessage() for r in caplog.records if "task=1" in r.getMessage()]
    assert len(lines) == 1 and lines[0].startswith("verify: refuse task=1: ")
    assert chain.calls == []


def test_good_spec_is_not_refused_and_goes_on_to_claim(tmp_path):
    # the control: the same harness with the untouched spec passes every check and tries to stake
    good, artifacts = _good()
    task = _publish(tmp_path, json.dumps(good).encode(), artifacts, good)
    solver, chain = _solver(tmp_path, task)
    _, (train,) = decode_arrays(artifacts[good["data"]])
    chain.headers[1] = TaskSpec.from_bytes(json.dumps(good).encode()).compile(train).header.encode()
    solver.poll_once()
    assert solver.db.task(1)[0] == "accepted"
    assert ("StakeManager", "free_stake") in chain.calls


def test_task_with_another_header_is_refused(tmp_path):
    # the registry fixed a header at create_task that is not the one the spec compiles to
    good, artifacts = _good()
    task = _publish(tmp_path, json.dumps(good).encode(), artifacts, good)
    solver, chain = _solver(tmp_path, task)
    _, (train,) = decode_arrays(artifacts[good["data"]])
    chain.headers[1] = TaskSpec.from_bytes(json.dumps(good).encode()).compile(train).header.encode() ^ (1 << 200)
    solver.poll_once()
    phase, data = solver.db.task(1)
    assert phase == "refused" and "program header mismatch" in data["reason"]
    assert chain.calls == []


def test_malformed_data_artifact_is_refused(tmp_path):
    good, artifacts = _good()
    junk = b"\x00\x00\x00\x05hello"
    good_junk = dict(good, data=address_of(junk))
    task = _publish(tmp_path, json.dumps(good_junk).encode(), {**artifacts, good_junk["data"]: junk}, good)
    solver, chain = _solver(tmp_path, task)
    solver.poll_once()
    phase, data = solver.db.task(1)
    assert phase == "refused" and "malformed data artifact" in data["reason"]
    assert chain.calls == []


def test_data_of_another_task_is_refused_by_root(tmp_path):
    good, artifacts = _good()
    task = _publish(tmp_path, json.dumps(good).encode(), artifacts, good)
    task = dataclasses.replace(task, data_root=b"\x01" * 32)
    solver, chain = _solver(tmp_path, task)
    solver.poll_once()
    assert solver.db.task(1)[0] == "refused" and "data root mismatch" in solver.db.task(1)[1]["reason"]


def test_unavailable_spec_backs_off_then_is_refused(tmp_path, caplog, monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(availability, "_now", lambda: clock[0])
    task = task_view(1, spec_hash=b"\x42" * 32, num_steps=10, checkpoint_interval=5, **ECONOMIC_TERMS)
    store_gets = []
    solver, chain = _solver(tmp_path, task, artifact_timeout=10.0)
    real_get = solver.store.get
    solver.store.get = lambda a: store_gets.append(a) or real_get(a)
    with caplog.at_level(logging.INFO):
        for _ in range(50):  # 50 polls at the same instant: one fetch, not 50
            solver.poll_once()
        assert len(store_gets) == 1 and solver.db.task(1)[0] == "seen"
        delays = []
        while solver.db.task(1)[0] == "seen":
            rec = availability.record(solver.db, 1)
            delays.append(rec["next"] - clock[0])
            clock[0] = rec["next"]
            solver.poll_once()
    assert delays == sorted(delays) and delays[-1] > delays[0]  # exponential backoff
    phase, data = solver.db.task(1)
    assert phase == "refused" and data["reason"].startswith("spec or data unavailable")
    assert clock[0] - 1000.0 >= 10.0
    assert len(store_gets) < 12  # bounded retries
    refusals = [r for r in caplog.records if "refuse task=1" in r.getMessage()]
    assert len(refusals) == 1
    assert chain.calls == []


def test_spec_error_is_a_value_error_naming_the_field():
    with pytest.raises(SpecError, match="missing field"):
        TaskSpec.from_bytes(b'{"version": 1}')
    assert issubclass(SpecError, ValueError)
