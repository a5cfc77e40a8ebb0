"""One regression test per dispute-game attack of issue 10. Each replays the attack's moves;
where the old (length-agnostic) Merkle rule would have accepted a forged proof, the test shows
that with `merkle.verify` (the old rule), then shows the contract refusing it and the honest
side winning."""

import brownie
import pytest
from brownie import chain
from eth_hash.auto import keccak
from play import play_until as _play_until
from play import view as _view

from offchain.commit import merkle
from offchain.dispute.player import (
    CHALLENGER,
    PHASE_DONE,
    PHASE_ONESTEP,
    PHASE_TRACE,
    SOLVER,
    ZERO,
    Player,
)
from offchain.dispute.run import Fault, PartyRun

BY_ONESTEP, BY_TIMEOUT, BY_PADDING, BY_START = 1, 2, 3, 4



def _timeout(game, system, did, who):
    chain.sleep(system["params"].dispute_move_deadline() + 2)
    chain.mine()
    game.timeout(did, {"from": who})
    game.resolve(did, {"from": who})  # the end records the outcome; resolve settles it


def test_attack_trace_proof_longer_than_tree(system, opened, players, solver, challenger):
    """Attack 1: the faulty solver commits a trace whose real leaf 0 is keccak(0 || 0) and proves
    s_0 = +0.0 with a proof one level longer (the zero word below its leaf 0)."""
    game = system["game"]
    s, c = players
    g = _play_until(game, opened, ((s, solver), (c, challenger)), lambda g: g.phase == PHASE_TRACE)
    assert g.phase == PHASE_TRACE
    tr = s.trace(g.t, g.j, g.e)
    words = list(tr)
    forged0 = keccak(ZERO + ZERO)
    words[:8] = [int.from_bytes(forged0[4 * i: 4 * i + 4], "big") for i in range(8)][: len(words[:8])]
    words[-1] = tr[-1]  # s_K stays the value it revealed at L3
    leaves = [b"".join(w.to_bytes(4, "big") for w in (words + [0] * (-len(words) % 8))[i: i + 8])
              for i in range(0, len(words) + (-len(words) % 8), 8)]
    if leaves[0] != forged0:  # K < 7: leaf 0 also holds s_K; the attack needs 8 free lanes
        pytest.skip("trace too short for the forged leaf")
    lv = merkle.levels(leaves)
    root, k = lv[-1][0], len(tr) - 1
    longer = [ZERO] + merkle.proof(lv, 0)
    assert merkle.verify(root, ZERO, 0, longer)  # the old rule accepted it
    with brownie.reverts("dispute_game: bad first micro-state proof"):
        game.commit_trace(opened, root, ZERO, longer, leaves[k // 8], merkle.proof(lv, k // 8), {"from": solver})
    game.commit_trace(*c.move(opened, _view(game, opened), chain.time()).args, {"from": challenger})
    _timeout(game, system, opened, challenger)  # the solver has no valid commitment left
    g = _view(game, opened)
    assert (g.winner, g.reason) == (CHALLENGER, BY_TIMEOUT)


def test_attack_l4_ends_at_m0(system, opened, players, solver, challenger, descent_harness):
    """Attack 1's goal: an L4 descent ending at m = 0, where no one_step can run. With exact proofs
    both parties' s_0 is +0.0, so the game cannot end there; and the end rule gives index 0 of a
    micro-trace an outcome (the party whose s_0 is not +0.0 loses) instead of a ONESTEP phase."""
    assert descent_harness.end_rule(0, 65, True) == BY_START
    assert descent_harness.end_rule(1, 65, True) == 0
    assert descent_harness.end_rule(64, 65, True) == 0
    assert descent_harness.end_rule(65, 65, True) == BY_PADDING
    assert descent_harness.end_rule(0, 65, False) == 0  # element 0 of a tensor is a real element
    # the honest game never reaches one_step at m = 0
    game = system["game"]
    s, c = players
    g = _play_until(game, opened, ((s, solver), (c, challenger)), lambda g: g.phase == PHASE_ONESTEP)
    assert g.phase == PHASE_ONESTEP and g.m >= 1


def _onestep_state(system, opened, players, solver, challenger):
    s, c = players
    return _play_until(system["game"], opened, ((s, solver), (c, challenger)), lambda g: g.phase == PHASE_ONESTEP)


def test_attack_operand_inner_node_as_leaf(system, opened, players, solver, challenger):
    """Attack 2: at ONESTEP the dishonest party proves an operand's tensor root as an inner node of
    its S_t (a proof one level short) and gives that node as the operand leaf (empty proof)."""
    game = system["game"]
    s, c = players
    g = _onestep_state(system, opened, players, solver, challenger)
    honest_args = c.move(opened, g, chain.time()).args
    own = s._one_step(opened, g).args  # the solver's own (correctly proved) one-step arguments
    roots = s.run.node_roots(g.t)
    node_ops = [k for k, op in enumerate(own[5]) if op[0] in roots[: g.j] and len(op[3]) >= 1]
    if not node_ops:
        pytest.skip("no NODE operand at this micro-step")
    i = node_ops[0]
    tensor_root, _leaf, _proof, root_proof = own[5][i]
    leaf_index = roots.index(tensor_root)
    # the inner node one level above the tensor root's leaf in the solver's S_t, remaining siblings
    right = leaf_index & 1
    inner = keccak(root_proof[0] + tensor_root) if right else keccak(tensor_root + root_proof[0])
    assert merkle.verify(s.run.step_root(g.t), inner, leaf_index >> 1, list(root_proof[1:]))  # old rule
    assert merkle.verify(inner, inner, (0 >> 3), [])  # the node as its own "leaf 0" (old rule)
    args = list(own)
    args[5] = [tuple(op) for op in own[5]]
    args[5][i] = (inner, inner, [], list(root_proof[1:]))
    with brownie.reverts():
        game.one_step(*args, {"from": solver})
    game.one_step(*honest_args, {"from": challenger})
    g = _view(game, opened)
    assert (g.winner, g.reason) == (CHALLENGER, BY_ONESTEP)


def test_attack_forged_header(system, players, submitter, runs):
    """Attack 3: the header given as program_root with an empty proof (accepted by the old
    open_dispute). The header is now proved once, exactly, at create_task; open_dispute reads it."""
    registry, token = system["registry"], system["token"]
    program, data, _f, _h = runs
    leaves = program.leaves()
    lv = merkle.levels(leaves)
    header = int.from_bytes(leaves[0], "big")
    root = program.root()
    assert merkle.verify(root, root, 0, [])  # the old rule: the root is "leaf 0" of itself
    token.approve(registry, 100 * 10**18, {"from": submitter})
    base = [b"\x01" * 32, root, data.root(), 2, 2, 10 * 10**18, 100 * 10**18, 600, 3600]
    with brownie.reverts():
        registry.create_task(*base, int.from_bytes(root, "big"), [], {"from": submitter})
    with brownie.reverts("task_registry: bad header proof"):
        registry.create_task(*base, header, merkle.proof(lv, 0)[:-1], {"from": submitter})
    with brownie.reverts("task_registry: bad header proof"):
        registry.create_task(*base, header, merkle.proof(lv, 0) + [ZERO], {"from": submitter})
    inner = int.from_bytes(lv[1][0], "big")  # an inner node as the header
    with brownie.reverts():
        registry.create_task(*base, inner, merkle.proof(lv, 0)[1:], {"from": submitter})
    # the fixture's task carries the real header, and the game reads it from the registry
    assert registry.task_header(1) == header


def test_both_wrong_both_lose(system, runs, solver, challenger, treasury):
    """Issue 11 item 4: solver and challenger wrong at the same element with different values.
    The challenger still runs one_step (a timeout would make it lose alone and pay the solver)."""
    program, data, faulty, honest = runs
    game = system["game"]
    other = PartyRun(program, data.train, 2, fault=Fault(1, 2, 1, bit=1), base=honest, interval=2)
    s, c = Player(SOLVER, faulty), Player(CHALLENGER, other)
    game.open_dispute(*c.open_args(1), {"from": challenger})
    did = game.dispute_count()
    g = _onestep_state(system, did, (s, c), solver, challenger)
    assert not c.wins_one_step(g) and not s.wins_one_step(g)
    assert s.move(did, g, chain.time()) is None  # the solver waits for the timeout
    mv = c.move(did, g, chain.time())
    assert mv is not None and mv.fn == "one_step"
    getattr(game, mv.fn)(*mv.args, {"from": challenger})
    g = _view(game, did)
    assert (g.winner, g.reason) == (3, BY_ONESTEP)  # nobody: both lost
    game.resolve(did, {"from": challenger})
    assert system["registry"].task_status(1) == 7  # the wrong result is rejected
    # both lost (recorded at the end, settled at resolve): the bond goes to the treasury
    assert game.credit(treasury) == system["params"].challenger_bond() and game.credit(challenger) == 0


def test_bond_snapshot_governance(system, opened, players, solver, challenger, treasury, deployer, accounts):
    """Attack 5 (bond side): governance moves the treasury and its share after the open; the
    dispute pays the treasury and share that were in force when it opened."""
    game, params = system["game"], system["params"]
    bond = params.challenger_bond()
    old_bps = params.slash_treasury_bps()
    params.set_treasury(accounts[8], {"from": deployer})
    params.set_parameter("slash_challenger_bps", 0, {"from": deployer})
    params.set_parameter("slash_treasury_bps", 10_000, {"from": deployer})
    s, _c = players
    game.reveal(*s.move(opened, _view(game, opened), chain.time()).args, {"from": solver})
    _timeout(game, system, opened, solver)  # the challenger stalls and loses
    assert _view(game, opened).winner == SOLVER
    assert game.credit(accounts[8]) == 0
    assert game.credit(treasury) == bond * old_bps // 10_000
    assert game.credit(solver) == bond - bond * old_bps // 10_000


def test_moot_dispute_refunds_bond(system, players, solver, challenger, accounts, runs):
    """Attack 9: a dispute that ends after the task left COMMITTED (rejected by another dispute)
    refunds the bond to its challenger, whoever lost it, and pays the solver nothing from it."""
    game, token = system["game"], system["token"]
    s, c = players
    second = accounts[6]
    token.mint(second, 100 * 10**18, {"from": second})
    token.approve(game, 100 * 10**18, {"from": second})
    game.open_dispute(*c.open_args(1), {"from": challenger})
    first = game.dispute_count()
    game.open_dispute(1, b"\x07" * 32, {"from": second})  # a challenger that will stall
    moot = game.dispute_count()
    _play_until(game, first, ((s, solver), (c, challenger)), lambda g: False)
    game.resolve(first, {"from": challenger})
    assert _view(game, first).winner == CHALLENGER and system["registry"].task_status(1) == 7
    game.reveal(*s.move(moot, _view(game, moot), chain.time()).args, {"from": solver})
    _timeout(game, system, moot, solver)  # the second challenger stalls: it loses the game
    assert _view(game, moot).winner == SOLVER
    bond = system["params"].challenger_bond()
    assert game.credit(second) == bond
    assert game.credit(solver) == 0


def test_bond_credit_pull_with_blocking_token(system, opened, players, solver, challenger, treasury):
    """Attack 9: a token that refuses transfers cannot freeze settlement: the dispute ends (the
    challenger stalled and lost) and credits the bond split; claims fail while the token blocks
    and succeed afterwards, each recipient on its own."""
    game, token = system["game"], system["token"]
    s, _c = players
    game.reveal(*s.move(opened, _view(game, opened), chain.time()).args, {"from": solver})
    token.set_fail_mode(2, {"from": solver})  # every transfer reverts from now on
    _timeout(game, system, opened, solver)
    assert _view(game, opened).phase == PHASE_DONE  # settlement went through
    bond = system["params"].challenger_bond()
    share = bond - bond * 2_000 // 10_000
    assert game.credit(solver) == share and game.credit(treasury) == bond - share
    with brownie.reverts("dispute_game: token transfer failed"):
        game.claim_credit({"from": solver})
    token.set_fail_mode(0, {"from": solver})
    before = token.balanceOf(solver)
    game.claim_credit({"from": solver})
    assert token.balanceOf(solver) == before + share and game.credit(solver) == 0
    assert game.credit(treasury) == bond - share  # untouched by the solver's claim
    with brownie.reverts("dispute_game: no credit"):
        game.claim_credit({"from": solver})
