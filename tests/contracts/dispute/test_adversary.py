"""The property-based adversary (tests/contracts/dispute/adversary.py) against the honest player.

Each hypothesis example is one whole dispute on Anvil, played from a chain
snapshot of one deployment: the honest party (solver or challenger, drawn)
against an adversary that holds a faulty run, may forge its micro-trace,
and at each turn plays its consistent move, stalls, or tries mutated moves
(children, proofs of any length, inner nodes and roots as leaves, values
below leaves, indices, operands, forged headers). Property: the game ends
DONE, the honest party wins, and the money moves exactly as the rules say.

A seeded few dozen games run by default; thousands under `-m slow`.
"""

import pytest
from adversary import (
    BASE,
    FAULTS,
    OP,
    ROLES,
    Action,
    Mut,
    Plan,
    default_runs,
    hypothesis_plans,
    play,
)
from hypothesis import HealthCheck, given, seed, settings

from offchain.dispute.player import CHALLENGER, SOLVER


class BrownieBackend:
    """Backend of adversary.py on brownie's Anvil (raw evm_snapshot/evm_revert per game)."""

    def __init__(self, contracts: dict, accounts: dict, web3):
        self.c, self.a, self.w3 = contracts, accounts, web3
        self.last_error = ""

    def _rpc(self, method, *params):
        r = self.w3.provider.make_request(method, list(params))
        if "error" in r:
            raise RuntimeError(f"{method}: {r['error']}")
        return r["result"]

    def address(self, who):
        return self.a[who].address

    def contract_address(self, name):
        return self.c[name].address

    def has(self, contract, fn):
        return any(x.get("name") == fn for x in self.c[contract].abi)

    def n_inputs(self, contract, fn):
        return next(len(x["inputs"]) for x in self.c[contract].abi if x.get("name") == fn)

    def call(self, contract, fn, *args):
        return getattr(self.c[contract], fn)(*args)

    def send(self, who, contract, fn, args):
        # plain web3 against Anvil's unlocked accounts, outside brownie's transaction history
        # (which a raw evm_revert would leave waiting for nonces forever); a call that reverts
        # in simulation is never sent
        try:
            tx = {"from": self.a[who].address, "to": self.c[contract].address,
                  "data": getattr(self.c[contract], fn).encode_input(*args)}
            self.w3.eth.call(tx)
            receipt = self.w3.eth.wait_for_transaction_receipt(
                self.w3.eth.send_transaction({**tx, "gas": 15_000_000}))
            if receipt["status"] != 1:
                self.last_error = "reverted on chain"
                return False
            return True
        except Exception as exc:  # noqa: BLE001 - a revert or an argument the ABI cannot encode
            self.last_error = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
            return False

    def now(self):
        return self.w3.eth.get_block("latest")["timestamp"]

    def advance(self, seconds):
        self._rpc("evm_increaseTime", int(seconds))
        self._rpc("evm_mine")

    def snapshot(self):
        return self._rpc("evm_snapshot")

    def revert(self, snap):
        self._rpc("evm_revert", snap)


@pytest.fixture(scope="module")
def runs_all():
    return default_runs()


@pytest.fixture(scope="module")
def arena(accounts, runs_all, TestToken, Parameters, StakeManager, TaskRegistry, OneStepV2, OneStepVerifier, DisputeGame):
    from adversary import Arena
    from brownie import web3

    deployer, treasury = accounts[0], accounts[1]
    token = TestToken.deploy("Test Token", "TT", {"from": deployer})
    params = Parameters.deploy(treasury, {"from": deployer})
    stake = StakeManager.deploy(token, params, {"from": deployer})
    registry = TaskRegistry.deploy(token, params, stake, {"from": deployer})
    verifier = OneStepVerifier.deploy(OneStepV2.deploy({"from": deployer}), {"from": deployer})
    game = DisputeGame.deploy(registry, params, verifier, {"from": deployer})
    stake.wire(registry, game, {"from": deployer})
    registry.wire(game, {"from": deployer})
    contracts = {"TestToken": token, "Parameters": params, "StakeManager": stake, "TaskRegistry": registry,
                 "DisputeGame": game}
    actors = dict(zip(("deployer", "treasury", "submitter", "solver", "challenger"), accounts[:5], strict=True))
    return Arena(BrownieBackend(contracts, actors, web3), runs_all)


def _assert_honest_wins(arena, plan):
    res = play(arena, plan)
    why = res.failure()
    assert why is None, f"{why}\n{res.report()}"
    return res


@pytest.mark.parametrize("honest", ROLES, ids=["honest-solver", "honest-challenger"])
@pytest.mark.parametrize("fault", range(len(FAULTS)))
def test_consistent_adversary_loses_each_fault(arena, honest, fault):
    """No mutation: the faulty run played consistently loses by one step, with exact money moves."""
    res = _assert_honest_wins(arena, Plan(honest, fault, "none", True, BASE, ()))
    assert res.reason == 1  # by one step
    assert res.where[:3] == (FAULTS[fault].t, FAULTS[fault].j, FAULTS[fault].e)


def test_stalling_adversary_loses_by_timeout(arena):
    # the adversary's second move is its segment commitment (L1 over S_0, S_2 has one level);
    # both commit in parallel there, so one skipped turn is no stall: it skips every turn
    for honest in ROLES:
        res = _assert_honest_wins(arena, Plan(honest, 0, "none", True, BASE, (BASE,) + (Action(stall=True),) * 4))
        assert res.reason == 2  # by timeout
        assert "honest commit_segment" in res.log and not any(m.startswith("adv commit_segment") for m in res.log)


@pytest.mark.parametrize("forge", ["s0", "sK", "mid", "leaf0"])
def test_forged_trace_adversary_loses(arena, forge):
    for honest in ROLES:
        _assert_honest_wins(arena, Plan(honest, 0, forge, True, BASE, ()))


def _every_turn(*muts):
    return tuple([Action(attempts=tuple((m,) for m in muts))] * 40)


def test_attack_trace_proof_below_leaf_zero(arena):
    """Issue 10 attack 1: a faulty solver commits a trace whose leaf 0 is keccak(0 || 0) and
    "proves" s_0 = +0.0 one level below it (op below on the first proof); L4 then ends at
    m = 0. The honest challenger must still win."""
    plan = Plan(CHALLENGER, 1, "leaf0", True, BASE, _every_turn(*(Mut(OP["below"], s, 1, 0) for s in range(3))))
    _assert_honest_wins(arena, plan)


def test_attack_inner_node_as_operand_leaf(arena):
    """Issue 10 attack 2: a lying challenger proves a NODE operand's tensor root as an inner
    node of its own S_t (a shorter proof) and gives that node as the operand leaf (op
    collapse). The honest solver must still win."""
    plan = Plan(SOLVER, 0, "none", True, BASE,
                _every_turn(*(Mut(OP["collapse"], s, k, 0) for k in (2, 3) for s in range(2))))
    _assert_honest_wins(arena, plan)


def test_attack_forged_header_at_open(arena):
    """Issue 10 attack 3: a challenger whose step trees are shaped for a forged header (the
    program root read as a header) tries to open with it (op root_leaf on the open move).
    The header is now fixed at create_task (tests/contracts/dispute/test_attacks.py::
    test_attack_forged_header refuses the forgery there), so the challenger plays against the
    real header with trees of the wrong shape: the honest solver must still win."""
    plan = Plan(SOLVER, 0, "header", True, Action(attempts=tuple((Mut(OP["root_leaf"], s, 1, 0),) for s in range(3))),
                ())
    _assert_honest_wins(arena, plan)


_SETTINGS = dict(deadline=None, database=None, suppress_health_check=list(HealthCheck))


@seed(20_240_610)
@settings(max_examples=30, **_SETTINGS)
@given(plan=hypothesis_plans())
def test_honest_party_wins_every_adversarial_game(arena, plan):
    _assert_honest_wins(arena, plan)


@pytest.mark.slow
@settings(max_examples=3_000, **_SETTINGS)
@given(plan=hypothesis_plans())
def test_honest_party_wins_thousands_of_adversarial_games(arena, plan):
    _assert_honest_wins(arena, plan)
