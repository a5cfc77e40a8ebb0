"""The final model the solver commits is S_T, leaf T of its run root, and the
submitter can check delivered weights against it (issue 10, attack 10)."""

import pytest

from offchain.commit import merkle, roots
from offchain.dispute.demo import default_program
from offchain.dispute.run import PartyRun
from offchain.roles.forced import final_model
from offchain.roles.task import Checkpoint

T = 3


@pytest.fixture(scope="module")
def run():
    program, data = default_program(2, hidden=2, batch=1)
    return program, PartyRun(program, data.train, T)


def _checkpoint(program, party, t):
    return Checkpoint(t, party.state(t), party.node_roots(t))


def test_final_model_is_leaf_t_with_exact_proof(run):
    _program, party = run
    s_t, proof = final_model(party.step_roots)
    assert s_t == party.step_roots[T]
    assert len(proof) == merkle.depth(T + 1)
    assert merkle.verify(roots.run_root(party.step_roots), s_t, T, proof)


def test_delivered_weights_check_against_s_t(run):
    program, party = run
    s_t, _ = final_model(party.step_roots)
    _checkpoint(program, party, T).check(program, s_t)


def test_attack_final_model_not_trained_model_offchain(run):
    """The step-0 weights delivered as the final model fail the check
    against S_T (the chain's final_model_hash), as do tampered weights."""
    program, party = run
    s_t, _ = final_model(party.step_roots)
    with pytest.raises(ValueError, match="does not match its step root"):
        _checkpoint(program, party, 0).check(program, s_t)
    ck = _checkpoint(program, party, T)
    tampered = [w.copy() for w in ck.state]
    tampered[0].reshape(-1)[0] ^= 1
    with pytest.raises(ValueError, match="state slot 0 does not match"):
        Checkpoint(T, tampered, ck.node_roots).check(program, s_t)
