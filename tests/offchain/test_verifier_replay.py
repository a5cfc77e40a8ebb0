"""The verifier trusts nothing the solver publishes (issue 11, items 1, 4, 7): it replays
from S_0 computed from the spec's seed (a solver that starts from its own chosen
initial weights, with checkpoints consistent with that start, is challenged at step 0),
and a manifest it cannot obtain or check within a bounded time (with backoff) sends the
task to its own full replay and dispute instead of a log line every poll."""

import dataclasses
import logging

import numpy as np
import pytest
from fakechain import FakeChain, NoEvents, settings, task_view

from offchain.commit import merkle, roots
from offchain.roles import availability
from offchain.roles.registry import COMMITTED
from offchain.roles.submit import build_spec
from offchain.roles.task import Checkpoint, Manifest, data_root, decode_arrays
from offchain.roles.verify import Verifier
from offchain.runtime import executor
from offchain.runtime.replay import replay_from_start
from offchain.store import LocalStore

T, K = 12, 4


def _task_inputs(store):
    spec, artifacts = build_spec("digits", steps=T, checkpoint_interval=K)
    for blob in artifacts.values():
        store.put(blob)
    spec_addr = store.put(spec.to_bytes())
    _, (train,) = decode_arrays(artifacts[spec.data])
    return spec_addr, train, spec.compile(train)


def _run(program, train, tamper_init=False, fault_step=None):
    """(boundary step roots S_0, S_4, S_8, S_12, checkpoints {t: bytes}) of a run; `tamper_init`:
    the solver picks its own initial weights (one bit of W_0 flipped) and trains honestly from them."""
    state, step_roots, ckpts = [], [], {}
    for t in range(T + 1):
        outs = [np.array(o, np.uint32) for o in executor.run_step(program, t, state, train)]
        if (t == 0 and tamper_init) or t == fault_step:
            outs[-1].reshape(-1)[0] ^= 1 << 20
        nr = roots.node_roots(outs)
        state = executor.state_after(program, t, outs)
        if t % K == 0 or t == T:
            step_roots.append(merkle.root(nr))
            ckpts[t] = Checkpoint(t, state, nr).to_bytes()
    return step_roots, ckpts


def _verifier(tmp_path, store, spec_addr, train, program, step_roots, ckpts, publish=True, **kw):
    addrs = {t: store.put(b) for t, b in ckpts.items()}
    manifest = Manifest(1, step_roots, addrs, addrs[T])
    uri = store.put(manifest.to_bytes()) if publish else "0x" + "ab" * 32
    task = task_view(1, status=COMMITTED, spec_hash=bytes.fromhex(spec_addr[2:]), data_root=data_root(train),
                     program_root=program.root(), num_steps=T, checkpoint_interval=K,
                     run_root=roots.run_root(step_roots), final_model_hash=step_roots[-1],
                     challenge_window=600,
                     challenge_deadline=10**9)
    chain = FakeChain({1: task}, headers={1: program.header.encode()})
    chain.uris[1] = uri
    v = Verifier(settings(tmp_path, samples=3, **kw), chain=chain)
    v._cursor = NoEvents()
    v.db.set_task(1, "committed", commit_block=0, run_root=task.run_root.hex())
    return v, chain


@pytest.fixture
def inputs(tmp_path):
    store = LocalStore(tmp_path / "store")
    return store, *_task_inputs(store)


def test_replay_from_start_recomputes_s0(inputs):
    store, spec_addr, train, program = inputs
    honest, _ = _run(program, train)
    mine, bad, _ = replay_from_start(program, train, 3, theirs=honest, interval=K, num_steps=T)
    assert mine == honest and bad == []
    forged, _ = _run(program, train, tamper_init=True)
    _, bad, _ = replay_from_start(program, train, 2, theirs=forged, interval=K, num_steps=T)
    assert bad == [0, 1, 2]  # boundary indices (steps 0, 4, 8)


def test_honest_manifest_is_verified(tmp_path, inputs):
    store, spec_addr, train, program = inputs
    v, chain = _verifier(tmp_path, store, spec_addr, train, program, *_run(program, train))
    v.poll_once()
    phase, data = v.db.task(1)
    # samples are boundary indices; the replay runs steps 0..b(last sample)
    assert phase == "verified" and data["replayed"] == min(max(data["steps"]) * K, T) + 1
    assert chain.calls == []


def test_solver_chosen_initial_weights_are_challenged_at_step_0(tmp_path, inputs, caplog):
    # the attack: S_0 and checkpoint 0 agree with each other (and every later step is honest
    # training from them), so a verifier that starts from the solver's checkpoint 0 passes it
    store, spec_addr, train, program = inputs
    step_roots, ckpts = _run(program, train, tamper_init=True)
    ck0 = Checkpoint.from_bytes(ckpts[0])
    ck0.check(program, step_roots[0])  # self-consistent checkpoint: no check of it alone catches it
    v, _ = _verifier(tmp_path, store, spec_addr, train, program, step_roots, ckpts)
    with caplog.at_level(logging.INFO):
        v.poll_once()
    phase, data = v.db.task(1)
    assert phase == "challenged" and data["step"] == 0
    (ev,) = v.db.evidence(1)
    assert ev["step"] == 0 and ev["theirs"] == step_roots[0].hex() and ev["mine"] != ev["theirs"]
    assert "challenge: task=1 step=0" in caplog.text


def test_random_run_root_goes_to_own_replay_and_dispute(tmp_path, inputs):
    # a manifest whose step roots do not hash to the committed run root: permanent, no retries
    store, spec_addr, train, program = inputs
    step_roots, ckpts = _run(program, train)
    v, chain = _verifier(tmp_path, store, spec_addr, train, program, step_roots, ckpts)
    chain.tasks[1] = dataclasses.replace(chain.tasks[1], run_root=b"\x07" * 32)
    v.poll_once()
    phase, data = v.db.task(1)
    assert phase == "challenged" and "do not hash to the committed run root" in data["unavailable"]


def test_withheld_manifest_backs_off_then_disputes(tmp_path, inputs, caplog, monkeypatch):
    clock = [5000.0]
    monkeypatch.setattr(availability, "_now", lambda: clock[0])
    store, spec_addr, train, program = inputs
    v, _ = _verifier(tmp_path, store, spec_addr, train, program, *_run(program, train), publish=False,
                     artifact_timeout=20.0)
    gets = []
    real = v.store.get
    v.store.get = lambda a: gets.append(a) or real(a)
    with caplog.at_level(logging.INFO):
        for _ in range(30):  # 30 polls at one instant: one attempt, not 30
            v.poll_once()
        first = len(gets)
        assert v.db.task(1)[0] == "artifact_error"
        while v.db.task(1)[0] == "artifact_error":
            clock[0] = availability.record(v.db, "artifacts:1")["next"]
            v.poll_once()
    phase, data = v.db.task(1)
    assert phase == "challenged" and "artifacts unavailable" in data["unavailable"]
    assert clock[0] - 5000.0 >= 20.0
    attempts = availability.record(v.db, "artifacts:1")["attempts"]
    assert attempts <= 6 and len(gets) <= first * attempts  # bounded, backed off
    assert sum("unavailable (attempt" in r.getMessage() for r in caplog.records) <= 4


def test_withheld_manifest_near_the_window_end_disputes_at_once(tmp_path, inputs):
    store, spec_addr, train, program = inputs
    v, chain = _verifier(tmp_path, store, spec_addr, train, program, *_run(program, train), publish=False,
                         artifact_timeout=3600.0)
    # the challenge window (600 s) ends in 200 s: less than half is left, so no more waiting
    chain.tasks[1] = dataclasses.replace(chain.tasks[1], challenge_deadline=1_200)
    v.poll_once()
    assert v.db.task(1)[0] == "challenged"


def test_wrong_final_model_hash_goes_to_own_replay(tmp_path, inputs):
    # the run root is right but the final model named on chain is not the run's state at T
    store, spec_addr, train, program = inputs
    v, chain = _verifier(tmp_path, store, spec_addr, train, program, *_run(program, train))
    chain.tasks[1] = dataclasses.replace(chain.tasks[1], final_model_hash=b"\x05" * 32)
    v.poll_once()
    phase, data = v.db.task(1)
    assert phase == "challenged" and "final model" in data["unavailable"]


def _forced_revealed(tmp_path, inputs, revealed_root=None):
    """A verifier at the attestation's end of a forced task whose secret was revealed with
    `revealed_root` (None: the true root) as the task's run root."""
    from offchain.roles import attest

    store, spec_addr, train, program = inputs
    step_roots, ckpts = _run(program, train)
    v, chain = _verifier(tmp_path, store, spec_addr, train, program, step_roots, ckpts)
    chain.deployment["DisputeGame"] = "0x" + "22" * 20
    if revealed_root is not None:
        chain.tasks[1] = dataclasses.replace(chain.tasks[1], run_root=revealed_root)
    v.db.set_task(1, "attest-revealed", flagged=True, steps=[1], values=[])
    inc = {"forced": True, "revealed": True}
    assert attest._to_dispute(v, 1, chain.tasks[1], inc, v.db.task(1)[1])
    assert v.db.task(1)[0] == "challenged"
    return v, chain


def test_revealed_true_root_of_a_forced_task_is_not_disputed(tmp_path, inputs):
    v, chain = _forced_revealed(tmp_path, inputs)
    v._open(1)
    phase, data = v.db.task(1)
    assert phase == "attest-revealed" and data["dispute_end"] == "verified"
    assert chain.calls == []  # no bond, no dispute


def test_revealed_wrong_root_of_a_forced_task_is_disputed(tmp_path, inputs):
    # a solver that hid its forced error reveals a different, wrong root: the verifier's own
    # full replay disagrees and it goes on to open a dispute (its first step: the game's address
    # for the bond approval)
    v, chain = _forced_revealed(tmp_path, inputs, revealed_root=b"\x09" * 32)
    with pytest.raises(Exception, match="unexpected use of contract DisputeGame"):
        v._open(1)
    assert chain.calls == [("DisputeGame", "contract")]


# --- the attestation (incentive layer) without the solver's artifacts ------------------


def _attest_values(tmp_path, inputs, monkeypatch, publish, run_root=None):
    from offchain.roles import attest

    clock = [7000.0]
    monkeypatch.setattr(availability, "_now", lambda: clock[0])
    store, spec_addr, train, program = inputs
    step_roots, ckpts = _run(program, train)
    v, chain = _verifier(tmp_path, store, spec_addr, train, program, step_roots, ckpts, publish=publish,
                         artifact_timeout=30.0)
    if run_root is not None:
        chain.tasks[1] = dataclasses.replace(chain.tasks[1], run_root=run_root)
    chain.views[("Parameters", "verification_window")] = 600
    inc = {"attest_deadline": 10**9}
    steps = [1, 2, 3]  # boundary indices (steps 4, 8, 12)
    got = [attest._manifest_values(v, 1, chain.tasks[1], inc, steps)]
    while got[-1] is None and clock[0] < 7100:
        clock[0] += 5
        got.append(attest._manifest_values(v, 1, chain.tasks[1], inc, steps))
    return got, step_roots, steps, v


def test_attestation_with_withheld_manifest_uses_own_replay(tmp_path, inputs, monkeypatch):
    got, step_roots, steps, v = _attest_values(tmp_path, inputs, monkeypatch, publish=False)
    assert got[0] is None and len(got) > 2  # backed off for the bounded time first
    manifest, values, bad = got[-1]
    assert manifest is None and values == [step_roots[t] for t in steps] and bad == []
    assert any(ev["kind"] == "artifacts" for ev in v.db.evidence(1))


def test_attestation_with_withheld_manifest_of_a_wrong_root_flags(tmp_path, inputs, monkeypatch):
    got, step_roots, steps, _ = _attest_values(tmp_path, inputs, monkeypatch, publish=False,
                                               run_root=b"\x03" * 32)
    assert got[-1][2] == [-1]  # flagged on its own full replay


def test_attestation_of_a_random_root_flags_at_once(tmp_path, inputs, monkeypatch):
    got, _, _, _ = _attest_values(tmp_path, inputs, monkeypatch, publish=True, run_root=b"\x04" * 32)
    assert len(got) == 1 and got[0][0] is None and got[0][2] == [-1]


def test_attestation_replays_the_whole_run_when_set_to_check_every_step(tmp_path, inputs):
    # issue 11 item 6: a fault after the last sample (step 11 of 12; samples: boundaries 1 and 2,
    # steps 4 and 8) is not seen by a sampling replay, and is flagged by a verifier set to
    # check every boundary (the fault shows at boundary 3, step 12)
    from offchain.roles import attest

    store, spec_addr, train, program = inputs
    step_roots, ckpts = _run(program, train, fault_step=11)
    addrs = {t: store.put(b) for t, b in ckpts.items()}
    manifest = Manifest(1, step_roots, addrs, addrs[T])
    task = task_view(1, spec_hash=bytes.fromhex(spec_addr[2:]), data_root=data_root(train),
                     program_root=program.root(), num_steps=T, checkpoint_interval=K)
    _, bad = attest.replay_values(store, task, manifest, [1, 2], "reference")
    assert bad == []
    _, bad = attest.replay_values(store, task, manifest, [1, 2], "reference", last=3)
    assert bad and bad[0] == 3
