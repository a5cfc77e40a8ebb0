"""The dispute's party run and player, off chain: fault parsing and injection, the player's traces."""

import numpy as np
import pytest

from offchain.commit.roots import boundaries, run_root, segment_of, segment_root
from offchain.dispute.demo import default_program
from offchain.dispute.player import CHALLENGER, SOLVER, Player
from offchain.dispute.run import Fault, PartyRun, Skip, step_outputs


@pytest.fixture(scope="module")
def pair():
    program, data = default_program(2, hidden=2, batch=1)
    honest = PartyRun(program, data.train, 2)
    return program, honest, PartyRun(program, data.train, 2, fault=Fault(1, 3, 1), base=honest)


def test_fault_parse():
    assert Fault.parse("step=3,node=4,element=5") == Fault(3, 4, 5)
    with pytest.raises(ValueError, match="dispute: bad fault"):
        Fault.parse("step=3,node=4")


def test_fault_out_of_range_is_rejected(pair):
    program, honest, _ = pair
    with pytest.raises(ValueError, match="dispute: fault node"):
        PartyRun(program, honest.data, 2, fault=Fault(1, 99, 0), base=honest)


def test_fault_flips_one_bit_and_carries_on(pair):
    _program, honest, faulty = pair
    assert faulty.step_roots[0] == honest.step_roots[0]
    assert faulty.step_roots[1] != honest.step_roots[1]
    a, b = honest.outputs(1), faulty.outputs(1)
    for j in range(3):
        assert np.array_equal(a[j], b[j])
    assert int(a[3].reshape(-1)[1]) ^ int(b[3].reshape(-1)[1]) == 1
    assert not np.array_equal(a[4], b[4])  # RELU of the faulty bias-add output


def test_player_trace_ends_at_its_value_and_starts_at_zero(pair):
    _program, honest, faulty = pair
    s, c = Player(SOLVER, faulty), Player(CHALLENGER, honest)
    ts, tc = s.trace(1, 3, 1), c.trace(1, 3, 1)
    assert ts[0] == tc[0] == 0
    assert ts[-1] == int(faulty.outputs(1)[3].reshape(-1)[1])
    assert ts[:-1] == tc[:-1] and ts[-1] != tc[-1]


def test_fault_text_round_trips():
    f = Fault(7, 3, 11)
    assert Fault.parse(f.text()) == f


def test_skip_fakes_a_step_by_copying_the_state(pair):
    program, honest, _ = pair
    every = Skip(1.0, seed=0, task_id=1)
    assert not every.covers(0) and every.covers(1) and not Skip(0.0).covers(1)
    outs = step_outputs(program, 1, honest.state(0), honest.data, skip=every)
    state_nodes = {program.state_node(1, s) for s in range(program.header.n_state)}
    for s, arr in enumerate(honest.state(0)):
        assert np.array_equal(outs[program.state_node(1, s)], arr)
    assert all(not outs[j].any() for j in range(len(outs)) if j not in state_nodes)
    with pytest.raises(ValueError, match="dispute: skip fraction"):
        Skip(1.5)


def test_skipping_run_keeps_its_state_from_step_to_step(pair):
    program, honest, _ = pair
    faked = PartyRun(program, honest.data, 2, skip=Skip(1.0))
    assert faked.step_roots[0] == honest.step_roots[0]
    assert all(np.array_equal(a, b) for a, b in zip(faked.state(2), honest.state(0), strict=True))


def test_sparse_and_checkpoint_runs_recompute_the_same_outputs(pair):
    program, honest, faulty = pair
    sparse = PartyRun(program, honest.data, 2, keep_every=2)
    assert sparse.step_roots == honest.step_roots and set(sparse._states) == {0, 2}
    rebuilt = PartyRun.from_states(program, honest.data, faulty.step_roots, {0: faulty.state(0)},
                                   fault=faulty.fault)
    assert rebuilt.run_root == faulty.run_root
    for t in (2, 1):
        assert all(np.array_equal(a, b) for a, b in zip(rebuilt.outputs(t), faulty.outputs(t), strict=True))


def test_checkpoint_run_refuses_outputs_that_miss_its_step_root(pair):
    program, honest, faulty = pair
    wrong = PartyRun.from_states(program, honest.data, faulty.step_roots, {0: honest.state(0)})
    with pytest.raises(ValueError, match="step 1 recomputed does not match"):
        wrong.outputs(1)


def test_boundaries_of_every_shape():
    """b(i) = min(i * c, T) for i < ceil(T / c) + 1; T = 0 has the one boundary 0."""
    assert boundaries(0, 5) == [0]
    assert boundaries(7, 3) == [0, 3, 6, 7]  # T not a multiple of c: a short last segment
    assert boundaries(6, 3) == [0, 3, 6]
    assert boundaries(4, 1) == [0, 1, 2, 3, 4]  # c = 1: every step, the old run tree
    assert boundaries(2, 9) == [0, 2]
    with pytest.raises(ValueError, match="interval"):
        boundaries(3, 0)
    assert [segment_of(t, 3) for t in (1, 3, 4, 6, 7)] == [1, 1, 2, 2, 3]


def test_boundary_run_commits_only_boundaries_and_replays_segments(pair):
    """A run with interval 2 holds S_0 and S_2 only; the segment's S_1 comes from a replay
    from the state at step 0 and equals the every-step run's."""
    program, honest, faulty = pair
    coarse = PartyRun(program, honest.data, 2, interval=2)
    assert coarse.boundaries == [0, 2]
    assert coarse.step_roots == [honest.step_roots[0], honest.step_roots[2]]
    assert coarse.run_root == run_root(coarse.step_roots) != honest.run_root
    assert set(coarse._roots) == {0, 2}  # nothing else hashed while training
    assert coarse.segment_roots(1) == honest.step_roots
    assert segment_root(coarse.segment_roots(1)) == run_root(honest.step_roots)
    with pytest.raises(ValueError, match="segment 2 outside"):
        coarse.segment(2)
    rebuilt = PartyRun.from_states(program, honest.data, coarse.step_roots, {0: coarse.state(0)}, steps=2,
                                   interval=2)
    assert rebuilt.segment_roots(1) == honest.step_roots
    with pytest.raises(ValueError, match="boundary roots"):
        PartyRun.from_states(program, honest.data, honest.step_roots, {0: coarse.state(0)}, steps=2, interval=2)
