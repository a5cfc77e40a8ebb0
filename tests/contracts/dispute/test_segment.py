"""The SEGMENT phase and the L1b descent (issue 12 item 1): the run tree commits only the
boundary steps b(i) = min(i * c, T); when L1 ends at boundary i >= 1 both parties commit the
root over S_b(i-1)..S_b(i). Each test attacks one check of `commit_segment` or plays a full game
with a segment (c > 1, c = 1, T not a multiple of c)."""

import brownie
import pytest
from brownie import chain
from play import play_until as _play_until
from play import view as _view

from offchain.commit import merkle, proofs
from offchain.commit.roots import final_model
from offchain.dispute.player import (
    CHALLENGER,
    PHASE_DONE,
    PHASE_L1B,
    PHASE_L2,
    PHASE_SEGMENT,
    SOLVER,
    ZERO,
    Player,
)
from offchain.dispute.run import Fault, PartyRun

TOKEN = 10**18
BY_ONESTEP, BY_TIMEOUT, BY_PADDING = 1, 2, 3



@pytest.fixture
def at_segment(system, opened, players, solver, challenger):
    """The fixture's dispute (T = 2, c = 2, fault at step 1) played to SEGMENT (i = 1, L = 2)."""
    s, c = players
    g = _play_until(system["game"], opened, ((s, solver), (c, challenger)), lambda g: g.phase == PHASE_SEGMENT)
    assert (g.phase, g.position, g.t, g.count) == (PHASE_SEGMENT, 1, 2, 2)  # boundary 1 = step 2 of n_b = 2
    return g


def _commit_args(player, did, g):
    return list(player._commit_segment(did, g).args)


def test_attack_segment_start_not_the_agreed_leaf(system, opened, players, at_segment, solver):
    """A segment whose leaf 0 is not the agreed S_b(i-1): proved in its own segment tree, but it
    is not leaf i-1 of the party's run root."""
    game = system["game"]
    s, _c = players
    roots = s.run.segment_roots(1)
    forged = [bytes(32 * [7])] + roots[1:]
    lv = merkle.levels(forged)
    args = [opened, lv[-1][0], lv[0][0], merkle.proof(lv, 0), merkle.proof(s.run_levels(), 0),
            lv[0][2], merkle.proof(lv, 2)]
    with brownie.reverts("dispute_game: segment start is not the run leaf"):
        game.commit_segment(*args, {"from": solver})


def test_attack_segment_end_not_the_l1_value(system, opened, players, at_segment, solver):
    """A segment whose leaf L is not the S_b(i) the party revealed at L1 (here: the honest one)."""
    game = system["game"]
    s, c = players
    roots = s.run.segment_roots(1)
    forged = roots[:2] + [c.run.step_roots[1]]
    lv = merkle.levels(forged)
    args = [opened, lv[-1][0], lv[0][0], merkle.proof(lv, 0), merkle.proof(s.run_levels(), 0),
            lv[0][2], merkle.proof(lv, 2)]
    with brownie.reverts("dispute_game: segment end is not the revealed step root"):
        game.commit_segment(*args, {"from": solver})


def test_attack_segment_proofs_of_the_wrong_height(system, opened, players, at_segment, solver):
    """Each of the three proofs one sibling too long or too short is refused; the right one lands."""
    game = system["game"]
    s, _c = players
    good = _commit_args(s, opened, at_segment)
    for k, msg in ((3, "bad segment start proof"), (4, "segment start is not the run leaf"),
                   (6, "bad segment end proof")):
        for bad in (list(good[k]) + [ZERO], list(good[k])[:-1]):
            args = list(good)
            args[k] = bad
            with brownie.reverts("dispute_game: " + msg):
                game.commit_segment(*args, {"from": solver})
    # an inner node of the segment tree passed as a leaf at a shorter height
    lv = merkle.levels(s.run.segment_roots(1))
    args = list(good)
    args[2], args[3] = lv[1][0], merkle.proof(lv, 0)[1:]
    with brownie.reverts("dispute_game: bad segment start proof"):
        game.commit_segment(*args, {"from": solver})
    game.commit_segment(*good, {"from": solver})
    with brownie.reverts("dispute_game: segment already committed"):
        game.commit_segment(*good, {"from": solver})


def test_party_that_never_commits_its_segment_loses(system, opened, players, at_segment, challenger, stranger):
    game = system["game"]
    _s, c = players
    game.commit_segment(*_commit_args(c, opened, at_segment), {"from": challenger})
    with brownie.reverts("dispute_game: deadline not passed"):
        game.timeout(opened, {"from": stranger})
    chain.sleep(system["params"].dispute_move_deadline() + 2)
    chain.mine()
    game.timeout(opened, {"from": stranger})
    g = _view(game, opened)
    assert (g.phase, g.winner, g.reason) == (PHASE_DONE, CHALLENGER, BY_TIMEOUT)


def test_segment_descent_finds_the_faulty_step(system, opened, players, at_segment, solver, challenger):
    """After both commit, L1b descends the 3-leaf segment trees to u = 1: t = b(0) + 1 = 1, and S_{t-1}
    at one step is proved as leaf 0 of the caller's segment."""
    game = system["game"]
    s, c = players
    g = _play_until(game, opened, ((s, solver), (c, challenger)), lambda g: g.phase == PHASE_L1B)
    assert (g.count, g.height, g.t) == (3, 2, 2)
    assert game.segment_root(opened, SOLVER) == "0x" + merkle.root(s.run.segment_roots(1)).hex()
    g = _play_until(game, opened, ((s, solver), (c, challenger)), lambda g: g.phase == PHASE_L2)
    assert g.t == 1
    g = _play_until(game, opened, ((s, solver), (c, challenger)), lambda g: False)
    assert (g.winner, g.reason, g.t, g.j, g.e) == (CHALLENGER, BY_ONESTEP, 1, 2, 1)


# --- other shapes: T not a multiple of c, c = 1 ---------------------------------------------------


def _task(system, program, data, run, steps, interval, submitter, solver):
    registry, token, stake = system["registry"], system["token"], system["stake"]
    token.approve(registry, 10 * TOKEN, {"from": submitter})
    header, header_proof = proofs.header_proof(program)
    registry.create_task(b"\x02" * 32, program.root(), data.root(), steps, interval, 10 * TOKEN, 100 * TOKEN,
                         600, 3600, header, header_proof, {"from": submitter})
    tid = registry.task_count()
    token.approve(stake, 100 * TOKEN, {"from": solver})
    stake.bond(100 * TOKEN, {"from": solver})
    registry.claim_task(tid, {"from": solver})
    registry.commit_result(tid, run.run_root, *final_model(run.step_roots), "local", {"from": solver})
    return tid


@pytest.fixture(scope="module")
def runs3():
    """T = 3 (not a multiple of c = 2: boundaries 0, 2, 3), tiny MLP."""
    from offchain.dispute.demo import default_program

    program, data = default_program(3, hidden=2, batch=1)
    return program, data


@pytest.mark.parametrize("interval,fault,t", [(2, Fault(3, 2, 1), 3), (2, Fault(1, 2, 1), 1), (1, Fault(2, 2, 1), 2)],
                         ids=["c2-last-segment-of-one-step", "c2-first-segment", "c1"])
def test_full_game_other_shapes(system, runs3, submitter, solver, challenger, interval, fault, t):
    program, data = runs3
    honest = PartyRun(program, data.train, 3, interval=interval)
    faulty = PartyRun(program, data.train, 3, fault=fault, base=honest, interval=interval)
    assert len(honest.step_roots) == (3 if interval == 2 else 4)
    tid = _task(system, program, data, faulty, 3, interval, submitter, solver)
    game = system["game"]
    s, c = Player(SOLVER, faulty), Player(CHALLENGER, honest)
    game.open_dispute(*c.open_args(tid), {"from": challenger})
    did = game.dispute_count()
    assert game.meta(did)["checkpoint_interval"] == interval
    g = _play_until(game, did, ((s, solver), (c, challenger)), lambda g: False)
    assert (g.winner, g.reason, g.t, g.j, g.e) == (CHALLENGER, BY_ONESTEP, t, fault.j, fault.e)


def test_l1_descent_ending_at_padding(system, runs3, submitter, solver, challenger):
    """T = 3, c = 2: n_b = 3 leaves padded to 4. A challenger whose run tree holds a non-zero
    fourth leaf (padding) differs from the solver only there and loses by the padding rule."""
    program, data = runs3
    honest = PartyRun(program, data.train, 3, interval=2)
    tid = _task(system, program, data, honest, 3, 2, submitter, solver)
    padded = merkle.levels(list(honest.step_roots) + [bytes(32 * [9])])

    class PaddedRun:
        def __getattr__(self, name):
            return getattr(honest, name)

    liar = PaddedRun()
    liar.run_root = padded[-1][0]
    game = system["game"]
    s, c = Player(SOLVER, honest), Player(CHALLENGER, liar)
    c.run_levels = lambda: padded
    game.open_dispute(tid, liar.run_root, {"from": challenger})
    did = game.dispute_count()
    g = _play_until(game, did, ((s, solver), (c, challenger)), lambda g: False)
    assert (g.winner, g.reason, g.position) == (SOLVER, BY_PADDING, 3)
