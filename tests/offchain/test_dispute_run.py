"""The dispute's party run and player, off chain: fault parsing and injection, the player's traces."""

import numpy as np
import pytest

from offchain.dispute.demo import default_program
from offchain.dispute.player import CHALLENGER, SOLVER, Player
from offchain.dispute.run import Fault, PartyRun


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
