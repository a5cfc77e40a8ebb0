"""End to end: the solver and verifier daemons play the dispute game by themselves.

A faulty solver daemon (one flipped bit at step 1, which every sampled step's
replay covers: 10 steps in one checkpoint segment) is challenged by the
verifier daemon; both play to a one-step end at exactly the injected
(step, node, element) while first the verifier, then the solver is killed
(-9) and restarted mid-dispute; money moves as the parameters say. A solver
that stalls loses by timeout. An honest solver daemon beats a lying
challenger, and the task is then finalised after the challenge window.
"""

import pytest

from offchain.chain import ChainClient
from offchain.dispute.driver import DisputeDriver, game_view
from offchain.dispute.player import CHALLENGER, PHASE_DONE, PHASE_L1, SOLVER, Player
from offchain.dispute.run import Fault, PartyRun
from offchain.roles.registry import COMMITTED, FINALIZED, REJECTED, get_task
from offchain.roles.submit import Submitter, TaskTerms, build_spec
from offchain.roles.task import decode_arrays
from offchain.state import StateDB

pytestmark = pytest.mark.e2e

STEPS = 10
INTERVAL = 4  # run tree over S_0, S_4, S_8, S_10: a fault at step 1 is found through the segment 0..4
TERMS = TaskTerms()
# step 1, the bias add of the hidden layer, element 6 (a lowest-bit flip that reaches S_4; element 5's
# dies out before the boundary, so its run root is the honest one and there is nothing to dispute)
FAULT = Fault(1, 3, 6)


def spec_and_artifacts(seed):
    return build_spec("digits", steps=STEPS, checkpoint_interval=INTERVAL, hidden=(4,), batch=4, seed=seed)


def submit(net, seed):
    spec, artifacts = spec_and_artifacts(seed)
    return Submitter(net.settings("submitter")).create(spec, artifacts, TERMS)


def verifier_task(net, tid):
    return net.db("verifier").task(tid) or ("", {})


def wallets(chain, net, *roles):
    """Each role's tokens plus what the dispute game holds for it to pull (bond payouts
    are credited, never pushed: a party that runs no daemon, the treasury here, keeps
    its share as a credit)."""
    return {r: chain.call("TestToken", "balanceOf", net.address(r))
            + chain.call("DisputeGame", "credit", net.address(r)) for r in roles}


def params(chain, *names):
    return [chain.call("Parameters", n) for n in names]


def moves_sent(db, dispute_id):
    return [a for a in db.actions(f"dispute:{dispute_id}:") if "gas_used" in a.data]


def faulty_task_disputed(net, name, seed):
    """Start faulty solver daemon `name`, submit a task; (task id, dispute id) once disputed."""
    net.spawn(name, "solve", "--fault", FAULT.text(), role_key="solver")
    tid = submit(net, seed=seed)
    net.wait(lambda: verifier_task(net, tid)[0] == "disputing", 300, "the dispute")
    return tid, verifier_task(net, tid)[1]["dispute"]


def assert_nothing_repeated(chain, net, name, role, nonce0):
    """Every transaction the daemon sent is one recorded once-only action, none failed."""
    db = net.db(name)
    sent = chain.w3.eth.get_transaction_count(net.address(role)) - nonce0
    assert sent == len([a for a in db.actions() if a.tx_hash])
    assert not [a for a in db.actions() if a.status == "failed"]


def test_faulty_solver_loses_the_dispute_played_by_the_daemons(net):
    chain = net.chain()
    bond, challenger_bps, treasury_bps = params(chain, "challenger_bond", "slash_challenger_bps",
                                                "slash_treasury_bps")
    before = wallets(chain, net, "submitter", "solver", "verifier", "treasury")
    solver_bonded = chain.call("StakeManager", "bonded", net.address("solver"))
    nonce0 = {r: chain.w3.eth.get_transaction_count(net.address(r)) for r in ("solver", "verifier")}
    try:
        tid, did = faulty_task_disputed(net, "solver-fault", seed=11)
        vdb = net.db("verifier")
        net.wait(lambda: len(moves_sent(vdb, did)) >= 2, 300, "two verifier moves")
        net.kill("verifier", 9)  # mid-dispute
        g = game_view(chain, did)
        assert g.phase != PHASE_DONE
        net.spawn("verifier", "verify")
        sdb = net.db("solver-fault")
        net.wait(lambda: len(moves_sent(sdb, did)) >= 4, 300, "four solver moves")
        net.kill("solver-fault", 9)  # the defender too
        assert game_view(chain, did).phase != PHASE_DONE
        net.spawn("solver-fault", "solve", "--fault", FAULT.text(), role_key="solver")
        net.wait(lambda: verifier_task(net, tid)[0] in ("won", "lost"), 300, "the end of the dispute")
        net.wait(lambda: (net.db("solver-fault").task(tid) or ("",))[0] == "rejected", 60, "the solver")
    finally:
        net.kill("solver-fault")
    assert verifier_task(net, tid)[0] == "won"
    g = game_view(chain, did)
    assert (g.winner, g.reason) == (CHALLENGER, 1)  # one step
    assert (g.t, g.j, g.e) == (FAULT.t, FAULT.j, FAULT.e)
    assert g.moves == len(moves_sent(net.db("verifier"), did)) + len(moves_sent(net.db("solver-fault"), did))
    assert get_task(chain, tid).status == REJECTED
    # slashed stake: challenger share to the verifier (bond back), treasury share, the rest plus the
    # refunded payment to the submitter
    stake = TERMS.solver_stake
    to_challenger, to_treasury = stake * challenger_bps // 10_000, stake * treasury_bps // 10_000
    after = wallets(chain, net, "submitter", "solver", "verifier", "treasury")
    assert after["verifier"] == before["verifier"] + to_challenger
    assert after["treasury"] == before["treasury"] + to_treasury
    assert after["submitter"] == before["submitter"] + stake - to_challenger - to_treasury
    bonded = chain.call("StakeManager", "bonded", net.address("solver"))
    assert after["solver"] + bonded == before["solver"] + solver_bonded - stake
    assert bond > 0 and chain.call("TestToken", "balanceOf", chain.contract("DisputeGame").address) == 0
    assert f"task={tid} dispute {did} ended: dispute: winner=challenger by=onestep" in net.log("verifier")
    assert_nothing_repeated(chain, net, "verifier", "verifier", nonce0["verifier"])
    assert_nothing_repeated(chain, net, "solver-fault", "solver", nonce0["solver"])


def test_stalling_solver_loses_by_timeout(net):
    chain = net.chain()
    try:
        tid, did = faulty_task_disputed(net, "solver-stall", seed=12)
        sdb = net.db("solver-stall")
        net.wait(lambda: moves_sent(sdb, did), 120, "the solver's first move")
    finally:
        net.kill("solver-stall", 9)  # the solver stops answering
    net.wait(lambda: game_view(chain, did).mover == SOLVER, 60, "the solver's turn")
    net.warp(chain.call("Parameters", "dispute_move_deadline") + 1)
    net.wait(lambda: verifier_task(net, tid)[0] == "won", 120, "the timeout claim")
    g = game_view(chain, did)
    assert (g.winner, g.reason) == (CHALLENGER, 2)  # timeout
    assert get_task(chain, tid).status == REJECTED


def test_honest_solver_beats_a_lying_challenger_then_is_paid(net, tmp_path):
    chain = net.chain()
    bond, treasury_bps = params(chain, "challenger_bond", "slash_treasury_bps")
    net.spawn("solver-honest", "solve", role_key="solver")
    try:
        tid = submit(net, seed=13)
        net.wait(lambda: verifier_task(net, tid)[0] == "verified", 300, "verification")
        # the liar: a run with a flipped bit, driven in this process
        spec, artifacts = spec_and_artifacts(seed=13)
        _, (train,) = decode_arrays(artifacts[spec.data])
        liar_run = PartyRun(spec.compile(train), train, STEPS, fault=Fault(2, 4, 1), interval=INTERVAL)
        liar = ChainClient(net.settings("challenger"))
        game = liar.contract("DisputeGame").address
        liar.transact("TestToken", "approve", game, bond)
        player = Player(CHALLENGER, liar_run)
        liar.transact("DisputeGame", "open_dispute", *player.open_args(tid))
        did = liar.call("DisputeGame", "dispute_count")
        assert game_view(chain, did).phase == PHASE_L1
        before = wallets(chain, net, "solver", "challenger", "treasury")
        driver = DisputeDriver(liar, StateDB(tmp_path / "liar.db"), player, did)

        def liar_moves() -> bool:
            driver.step()
            return driver.done()

        net.wait(liar_moves, 300, "the end of the dispute", poll=0.2)
        g = game_view(chain, did)
        assert (g.winner, g.reason, g.t, g.j, g.e) == (SOLVER, 1, 2, 4, 1)
        solver = net.address("solver")
        # the solver's daemon resolves the game it won (the end only records the outcome), then pulls
        net.wait(lambda: chain.call("DisputeGame", "resolved", did)
                 and chain.call("DisputeGame", "credit", solver) == 0, 60, "the solver's resolve and bond credit")
        to_treasury = bond * treasury_bps // 10_000
        after = wallets(chain, net, "solver", "challenger", "treasury")
        assert after["solver"] == before["solver"] + bond - to_treasury
        assert after["treasury"] == before["treasury"] + to_treasury
        assert after["challenger"] == before["challenger"]
        assert get_task(chain, tid).status == COMMITTED and get_task(chain, tid).open_disputes == 0
        net.warp(get_task(chain, tid).challenge_window + 1)
        net.wait(lambda: get_task(chain, tid).status == FINALIZED, 120, "finalisation")
        net.wait(lambda: (net.db("solver-honest").task(tid) or ("",))[0] == "finalized", 60, "the solver")
    finally:
        net.kill("solver-honest")
    assert f"task={tid} dispute {did} won" in net.log("solver-honest")
