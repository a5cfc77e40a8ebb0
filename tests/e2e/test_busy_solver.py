"""A solver busy training a long task still defends its other tasks (issue 11, item 2):
training runs in its own thread, the daemon keeps polling, and a lying challenger who
disputes a finished task while the solver trains a long one loses (by one step, not by
the solver's timeout)."""

import pytest

from offchain.chain import ChainClient
from offchain.dispute.driver import DisputeDriver, game_view
from offchain.dispute.player import CHALLENGER, SOLVER, Player
from offchain.dispute.run import Fault, PartyRun
from offchain.roles.registry import CLAIMED, COMMITTED, get_task
from offchain.roles.submit import Submitter, TaskTerms, build_spec
from offchain.roles.task import decode_arrays
from offchain.state import StateDB

pytestmark = pytest.mark.e2e

TERMS = TaskTerms()
SHORT = 10
LONG = 200_000  # far longer than the dispute: still training when it ends


def _spec(steps, seed):
    return build_spec("digits", steps=steps, checkpoint_interval=SHORT if steps == SHORT else 1000,
                      hidden=(4,), batch=4, seed=seed)


def test_solver_training_a_long_task_defends_a_dispute_and_wins(net, tmp_path):
    chain = net.chain()
    sub = Submitter(net.settings("submitter"))
    net.spawn("solver-busy", "solve", role_key="solver")
    try:
        spec, artifacts = _spec(SHORT, seed=21)
        short = sub.create(spec, artifacts, TERMS)
        net.wait(lambda: (net.db("verifier").task(short) or ("",))[0] == "verified", 300, "verification")
        long_spec, long_artifacts = _spec(LONG, seed=22)
        long = sub.create(long_spec, long_artifacts, TERMS)
        sdb = net.db("solver-busy")
        net.wait(lambda: (sdb.get(f"train:{long}") or {}).get("checkpoints", {}).get("0"), 120,
                 "the long task's training")
        # the liar disputes the finished short task while the long one trains
        _, (train,) = decode_arrays(artifacts[spec.data])
        player = Player(CHALLENGER, PartyRun(spec.compile(train), train, SHORT, fault=Fault(SHORT, 4, 1),
                                                     interval=SHORT))  # at the boundary: S_10 differs
        liar = ChainClient(net.settings("challenger"))
        liar.transact("TestToken", "approve", liar.contract("DisputeGame").address,
                      chain.call("Parameters", "challenger_bond"))
        liar.transact("DisputeGame", "open_dispute", *player.open_args(short))
        did = liar.call("DisputeGame", "dispute_count")
        driver = DisputeDriver(liar, StateDB(tmp_path / "liar.db"), player, did)

        def liar_moves() -> bool:
            driver.step()
            return driver.done()

        net.wait(liar_moves, 600, "the end of the dispute", poll=0.2)
        g = game_view(chain, did)
        assert (g.winner, g.reason) == (SOLVER, 1)  # by one step: the solver answered every move
        # the end only records the outcome: the solver's daemon settles it (`resolve`)
        net.wait(lambda: chain.call("DisputeGame", "resolved", did), 60, "the solver's resolve")
        assert get_task(chain, short).status == COMMITTED and get_task(chain, short).open_disputes == 0
        # the long task was training all along (it has not committed, its thread is alive)
        assert get_task(chain, long).status == CLAIMED
        done = int(max((sdb.get(f"train:{long}") or {}).get("checkpoints", {"0": 0}), key=int))
        assert done < LONG
        net.wait(lambda: f"task={short} dispute {did} won" in net.log("solver-busy"), 60,
                 "the solver's record of its win")
    finally:
        net.kill("solver-busy")
    assert f"task={short} dispute {did} won" in net.log("solver-busy")
