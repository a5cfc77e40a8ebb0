"""End to end: the incentive layer run by the real daemons (docs/protocol.md
"Incentives"). A solver daemon and a verifier daemon on a network with the
VerifierPool, a tiny MLP (10 steps, batch 4); `walk_incentives` warps through
the verification, reveal, secret, challenge and report windows.

- an honest task (forced-error rate 1 ppm: above 0, so the fee has a pot, and
  the verifier locks the stake that rate needs): the verifier joins,
  commits, reveals, proves and settles; every balance moves as the rules say
  and nothing stays owed;
- a forced-error task (rate 1_000_000 ppm): the solver commits the wrong root,
  the verifier flags it, the solver reveals its secret with the true root
  (not slashed), the task finalises and the verifier proves its values and
  the mismatch and collects the task's award (its fee minus the pot: the
  donated jackpot is not paid out) and its fee share;
- a lazy verifier (driven in this process) that copies the solver's roots of a
  forced task without checking them is reported by the verifier daemon's
  whistleblower hunt and loses its stake (the bounty to the reporter, the rest
  to the task's award);
- a real fault (rate 0, a solver with one flipped bit at the last step, which every
  sample's replay covers): the verifier flags it, the solver's secret reveal
  shows it not forced, the verifier opens the dispute and wins it by one
  step; the solver is slashed, the submitter refunded, and the verifier
  settles without forfeiting its stake.
"""

import pytest

from offchain.chain import ChainClient
from offchain.demo import LocalNetwork, walk_incentives
from offchain.dispute.driver import game_view
from offchain.dispute.player import CHALLENGER
from offchain.dispute.run import Fault
from offchain.incentives import rules
from offchain.roles.attest import attestation, round_of
from offchain.roles.forced import incentive
from offchain.roles.registry import FINALIZED, REJECTED, artifact_uri, get_task
from offchain.roles.submit import Submitter, TaskTerms, build_spec
from offchain.roles.task import Manifest
from offchain.store import HttpStore

pytestmark = pytest.mark.e2e

STEPS = 10
TERMS = TaskTerms()
DONATION = 30 * 10**18
SALT = b"\x1a" * 32


@pytest.fixture(scope="module")
def net(tmp_path_factory, block_time):
    network = LocalNetwork(tmp_path_factory.mktemp("inc"), samples=3, incentives=True, block_time=block_time)
    network.start()
    network.spawn("verifier", "verify")
    network.spawn("solver", "solve")
    yield network
    network.stop()


# the last step's bias add of the hidden layer, element 5: in S_10, the run tree's last leaf (a
# lowest-bit flip at step 1 can die out before the boundary, leaving the committed roots honest)
FAULT = Fault(STEPS, 3, 5)


def submit(net, seed, checkpoint_interval=5):
    spec, artifacts = build_spec("digits", steps=STEPS, checkpoint_interval=checkpoint_interval, hidden=(4,),
                                 batch=4, seed=seed)
    return Submitter(net.settings("submitter")).create(spec, artifacts, TERMS)


def committed(net, tid):
    """Wait for the solver's commit (and the verifier daemon's notice of it)."""
    chain = net.chain()
    net.wait(lambda: (net.db("verifier").task(tid) or ("",))[0] != "", 300, "the solver's commit")
    return get_task(chain, tid)


def worth(chain, net, role):
    """Wallet plus bonded stake (a lock or unlock moves nothing out of either)."""
    who = net.address(role)
    return int(chain.call("TestToken", "balanceOf", who)) + int(chain.call("StakeManager", "bonded", who))


def money(chain, net):
    pool = chain.contract("VerifierPool").address
    out = {r: worth(chain, net, r) for r in ("submitter", "solver", "verifier", "challenger", "treasury")}
    out["pool"] = int(chain.call("TestToken", "balanceOf", pool))
    out["jackpot"] = int(chain.call("VerifierPool", "jackpot"))
    return out


def params(chain):
    names = ("verification_fee_bps", "jackpot_share_bps", "min_verifier_stake", "slash_challenger_bps")
    return dict(zip(names, (int(chain.call("Parameters", n)) for n in names), strict=True))


def assert_nothing_owed(chain, net, tid, roles=("solver", "verifier")):
    assert int(chain.call("VerifierPool", "total_reserved")) == 0
    assert round_of(chain, tid)["reserved"] == 0
    assert int(chain.call("TaskRegistry", "total_escrowed")) == 0
    for r in roles:
        assert int(chain.call("StakeManager", "locked_for_task", net.address(r), tid)) == 0


def assert_no_failed_actions(net, name):
    """No transaction of the daemon reverted, and it logged no error."""
    assert not [a.key for a in net.db(name).actions() if a.status == "failed"]
    assert [line for line in net.log(name).splitlines() if " ERROR " in line] == []


def test_honest_task_pays_the_verifier_its_fee_share(net):
    chain = net.chain()
    net.set_forced_rate(1)
    net.mint("verifier", 10**6 * 10**18)  # the verifier stake at 1 ppm is about 2e6 pots
    p = params(chain)
    before = money(chain, net)
    tid = submit(net, seed=21)
    task = committed(net, tid)
    walk_incentives(net, tid)
    inc = incentive(chain, tid)
    assert inc["revealed"] and not inc["forced"] and inc["first_root"] == task.run_root
    assert get_task(chain, tid).status == FINALIZED and get_task(chain, tid).run_root == task.run_root
    att = attestation(chain, tid, net.address("verifier"))
    assert att["revealed"] and att["proven"] and att["settled"] and not att["flagged"]
    assert att["stake"] == rules.verifier_stake(task.fee, 1, p["jackpot_share_bps"], p["min_verifier_stake"])
    rnd = round_of(chain, tid)
    assert (rnd["verifiers"], rnd["revealed"], rnd["provers"], rnd["flaggers"], rnd["award"]) == (1, 1, 1, 0, 0)

    fee = TERMS.payment * p["verification_fee_bps"] // 10_000
    pot = fee - fee * p["jackpot_share_bps"] // 10_000
    assert task.fee == fee and rnd["pot"] == pot
    after = money(chain, net)
    assert after["submitter"] == before["submitter"] - TERMS.payment
    assert after["solver"] == before["solver"] + TERMS.payment - fee
    assert after["verifier"] == before["verifier"] + pot  # one prover: the whole pot
    assert after["pool"] == before["pool"] + fee - pot
    assert after["jackpot"] == before["jackpot"] + fee - pot
    assert after["treasury"] == before["treasury"]
    assert_nothing_owed(chain, net, tid)
    assert f"attest: task={tid} settled (fee claimed)" in net.log("verifier")
    assert_no_failed_actions(net, "verifier")
    assert_no_failed_actions(net, "solver")


def test_forced_error_is_flagged_and_the_jackpot_paid(net):
    chain = net.chain()
    net.set_forced_rate(rules.PPM)
    net.mint("treasury", DONATION)
    donor = ChainClient(net.settings("treasury"))
    donor.transact("TestToken", "approve", chain.contract("VerifierPool").address, DONATION)
    donor.transact("VerifierPool", "fund_jackpot", DONATION)
    p = params(chain)
    before = money(chain, net)
    tid = submit(net, seed=22)
    task = committed(net, tid)
    seen: dict = {}

    def on(stage):
        if stage == "revealed":  # the jackpot the flaggers will share
            seen["jackpot"] = int(chain.call("VerifierPool", "jackpot"))

    walk_incentives(net, tid, on=on)
    inc = incentive(chain, tid)
    assert inc["revealed"] and inc["forced"] and inc["first_root"] == task.run_root
    final = get_task(chain, tid)
    assert final.status == FINALIZED and final.run_root != task.run_root
    store = HttpStore(net.store_url, retries=1)
    true_roots = Manifest.from_bytes(store.get(artifact_uri(chain, tid))).step_roots
    from offchain.commit import roots

    assert final.run_root == roots.run_root(true_roots)
    assert task.run_root == roots.run_root(rules.wrong_step_roots(true_roots, _secret(net, tid)))
    att = attestation(chain, tid, net.address("verifier"))
    assert att["flagged"] and att["revealed"] and att["proven"] and att["caught"] and att["settled"]
    rnd = round_of(chain, tid)
    assert (rnd["flaggers"], rnd["revealed"], rnd["provers"], rnd["catchers"]) == (1, 1, 1, 1)
    fee = TERMS.payment * p["verification_fee_bps"] // 10_000
    pot = fee - fee * p["jackpot_share_bps"] // 10_000
    assert rnd["award"] == fee - pot  # only what this task brought in, not the jackpot
    assert seen["jackpot"] >= DONATION

    after = money(chain, net)
    assert after["solver"] == before["solver"] + TERMS.payment - fee  # not slashed
    assert after["submitter"] == before["submitter"] - TERMS.payment
    assert after["verifier"] == before["verifier"] + fee  # the award and its fee share: the whole fee
    assert after["jackpot"] == before["jackpot"]  # the donation stays for later catches
    assert_nothing_owed(chain, net, tid)
    assert f"forced: task={tid} is a forced-error task" in net.log("solver")
    assert f"attest: task={tid} flagged" in net.log("verifier")
    assert_no_failed_actions(net, "verifier")
    assert_no_failed_actions(net, "solver")


def test_lazy_verifier_of_a_forced_task_is_reported(net):
    chain = net.chain()
    net.set_forced_rate(rules.PPM)
    p = params(chain)
    lazy = ChainClient(net.settings("challenger"))
    me = lazy.address
    stake = p["min_verifier_stake"]
    lazy.transact("TestToken", "approve", chain.contract("StakeManager").address, stake)
    lazy.transact("StakeManager", "bond", stake)
    before = money(chain, net)
    tid = submit(net, seed=23)
    committed(net, tid)
    lazy.transact("VerifierPool", "join", tid)
    join_block = attestation(chain, tid, me)["join_block"]
    net.wait(lambda: chain.block_number() > join_block + 1, 30, "the lazy verifier's seed block")
    steps = [int(t) for t in chain.call("VerifierPool", "sample_steps", tid, me)]
    store = HttpStore(net.store_url, retries=1)
    copied = [Manifest.from_bytes(store.get(artifact_uri(chain, tid))).step_roots[t] for t in steps]
    lazy.transact("VerifierPool", "commit_attestation", tid, rules.commitment(tid, me, copied, SALT))
    seen: dict = {}

    def on(stage):
        if stage == "revealed":
            lazy.transact("VerifierPool", "reveal", tid, copied, SALT)
            seen["jackpot"] = int(chain.call("VerifierPool", "jackpot"))
        elif stage == "finalized":  # the verifier daemon hunts within the report window
            net.wait(lambda: attestation(chain, tid, me)["settled"], 120, "the whistleblower report")

    walk_incentives(net, tid, on=on)
    assert int(chain.call("StakeManager", "locked_for_task", me, tid)) == 0
    fee = TERMS.payment * p["verification_fee_bps"] // 10_000
    rnd = round_of(chain, tid)
    assert (rnd["verifiers"], rnd["revealed"], rnd["flaggers"], rnd["provers"], rnd["catchers"]) == (2, 2, 1, 1, 1)
    after = money(chain, net)
    assert after["challenger"] == before["challenger"] - stake  # the lazy verifier
    # the honest one: the whole pot (the lazy one cannot prove), the award (fee - pot + stake - bounty)
    # and the report bounty: the fee and the lazy stake
    assert after["verifier"] == before["verifier"] + fee + stake
    assert after["pool"] == before["pool"] and after["jackpot"] == before["jackpot"]
    assert int(chain.call("VerifierPool", "total_reserved")) == 0
    assert f"attest: task={tid} reported {me}" in net.log("verifier")
    assert_no_failed_actions(net, "verifier")


def test_real_fault_is_flagged_then_disputed_and_won(net):
    chain = net.chain()
    net.set_forced_rate(0)
    p = params(chain)
    challenger_bps, treasury_bps = (int(chain.call("Parameters", n)) for n in
                                    ("slash_challenger_bps", "slash_treasury_bps"))
    net.kill("solver")  # the faulty solver takes its key
    net.spawn("solver-fault", "solve", "--fault", FAULT.text(), role_key="solver")
    try:
        before = money(chain, net)
        reserved = int(chain.call("VerifierPool", "total_reserved"))
        tid = submit(net, seed=24, checkpoint_interval=STEPS)  # one segment: every sample is S_10
        task = committed(net, tid)
        walk_incentives(net, tid)
        net.wait(lambda: (net.db("solver-fault").task(tid) or ("",))[0] == "rejected", 60, "the solver")
    finally:
        net.kill("solver-fault")
        net.spawn("solver", "solve")
    inc = incentive(chain, tid)
    assert inc["revealed"] and not inc["forced"] and inc["first_root"] == task.run_root
    assert get_task(chain, tid).status == REJECTED
    phase, vdata = net.db("verifier").task(tid)
    assert (phase, vdata["dispute_end"], vdata["winner"]) == ("done", "won", "challenger")
    g = game_view(chain, vdata["dispute"])
    assert (g.winner, g.reason) == (CHALLENGER, 1)  # one step
    assert (g.t, g.j, g.e) == (FAULT.t, FAULT.j, FAULT.e)
    att = attestation(chain, tid, net.address("verifier"))
    assert att["flagged"] and att["revealed"] and att["settled"]
    settled = chain.get_logs("VerifierPool", "VerifierSettled", {"task_id": tid}, to_block=chain.block_number())
    assert [(e.args["fee_share"], e.args["award_share"], e.args["forfeited"]) for e in settled] == [(0, 0, 0)]

    # the solver's stake: the challenger share to the verifier (its bond back), the treasury share to the
    # jackpot (a pool is wired), the rest plus the whole payment back to the submitter; no fee was taken
    stake = TERMS.solver_stake
    to_challenger, to_treasury = stake * challenger_bps // 10_000, stake * treasury_bps // 10_000
    after = money(chain, net)
    assert after["verifier"] == before["verifier"] + to_challenger
    assert after["submitter"] == before["submitter"] + stake - to_challenger - to_treasury
    assert after["solver"] == before["solver"] - stake
    assert after["jackpot"] == before["jackpot"] + to_treasury
    assert after["treasury"] == before["treasury"]
    assert p["min_verifier_stake"] > 0
    # nothing owed for this task (an earlier test's unswept remainder may still be reserved)
    assert round_of(chain, tid)["reserved"] == 0
    assert int(chain.call("VerifierPool", "total_reserved")) == reserved
    for r in ("solver", "verifier"):
        assert int(chain.call("StakeManager", "locked_for_task", net.address(r), tid)) == 0
    assert f"attest: task={tid} flagged" in net.log("verifier")
    assert f"attest: task={tid} not forced: the flagged mismatch is a real fault" in net.log("verifier")
    assert f"task={tid} dispute {vdata['dispute']} ended: dispute: winner=challenger by=onestep" in net.log(
        "verifier")
    assert_no_failed_actions(net, "verifier")


def _secret(net, tid) -> bytes:
    from offchain.roles.forced import secret_for

    return secret_for(net.db("solver"), tid)
