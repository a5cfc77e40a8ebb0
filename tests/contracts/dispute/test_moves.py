"""DisputeGame moves on a real task: open, bad moves, a full game, timeouts, and settlement
once, in `resolve`, a transaction of its own that anyone may send after the end."""

import brownie
from brownie import ZERO_ADDRESS, chain

from offchain.dispute.player import PHASE_DONE, PHASE_L1, ZERO, GameView


def _view(game, dispute_id):
    return GameView.from_tuple(game.game(dispute_id))


def _move(game, player, account, dispute_id):
    mv = player.move(dispute_id, _view(game, dispute_id), chain.time())
    assert mv is not None
    return getattr(game, mv.fn)(*mv.args, {"from": account})


def test_open_pulls_bond_and_blocks_finalize(system, opened, challenger, runs):
    game, token = system["game"], system["token"]
    g = _view(game, opened)
    assert g.phase == PHASE_L1 and g.mover == 1  # solver first
    assert token.balanceOf(game) == system["params"].challenger_bond()
    assert system["registry"].get_task(1)["open_disputes"] == 1
    chain.sleep(2 * 86_400)
    with brownie.reverts("task_registry: dispute open"):
        system["registry"].finalize(1, {"from": challenger})


def test_meta_unpacks_the_fixed_data(system, opened, players, solver, challenger, treasury):
    """meta(id) returns the data fixed at open (stored packed: address and number share words)."""
    game, registry, params = system["game"], system["registry"], system["params"]
    s, c = players
    task = registry.get_task(1)
    m = game.meta(opened)
    assert m["task_id"] == 1 and m["solver"] == solver and m["challenger"] == challenger
    assert m["bond"] == params.challenger_bond() and m["move_deadline"] == params.dispute_move_deadline()
    assert m["num_steps"] == task["num_steps"] and m["header"] == registry.task_header(1)
    assert m["program_root"] == task["program_root"] and m["data_root"] == task["data_root"]
    assert m["run_root"] == task["run_root"] and m["challenger_run_root"] == "0x" + c.open_args(1)[1].hex()
    assert m["treasury"] == params.treasury() and m["treasury_bps"] == params.slash_treasury_bps()
    assert m["checkpoint_interval"] == task["checkpoint_interval"] == 2  # packed above num_steps
    none = game.meta(opened + 1)
    assert (none["task_id"], none["solver"], none["challenger"], none["treasury"]) == (0, ZERO_ADDRESS,
                                                                                       ZERO_ADDRESS, ZERO_ADDRESS)


def test_open_rejects_agreeing_roots_and_the_solver(system, players, solver, challenger, runs):
    s, _c = players
    game = system["game"]
    with brownie.reverts("dispute_game: roots agree"):
        game.open_dispute(*s.open_args(1), {"from": challenger})
    with brownie.reverts("dispute_game: solver cannot challenge"):
        game.open_dispute(*s.open_args(1), {"from": solver})


def test_bad_moves_revert(system, opened, players, solver, challenger, stranger):
    game = system["game"]
    s, c = players
    mv = s.move(opened, _view(game, opened), chain.time())
    with brownie.reverts("dispute_game: caller is not a party"):
        game.reveal(*mv.args, {"from": stranger})
    with brownie.reverts("dispute_game: not your turn"):
        game.reveal(*mv.args, {"from": challenger})
    bad = list(mv.args)
    bad[1] = ZERO
    with brownie.reverts("dispute_game: children do not match node"):
        game.reveal(*bad, {"from": solver})
    with brownie.reverts("dispute_game: not committing traces"):
        game.commit_trace(opened, ZERO, ZERO, [], ZERO, [], {"from": solver})
    with brownie.reverts("dispute_game: not committing segments"):
        game.commit_segment(opened, ZERO, ZERO, [], [], ZERO, [], {"from": solver})
    with brownie.reverts("dispute_game: not at one step"):
        game.one_step(opened, ZERO, [], ZERO, [], [], {"from": solver})
    with brownie.reverts("dispute_game: deadline not passed"):
        game.timeout(opened, {"from": stranger})


def _play_to_end(game, players, solver, challenger, did):
    s, c = players
    while _view(game, did).phase != PHASE_DONE:
        moved = False
        for player, account in ((s, solver), (c, challenger)):
            g = _view(game, did)
            mv = player.move(did, g, chain.time())
            if g.phase != PHASE_DONE and mv is not None:
                getattr(game, mv.fn)(*mv.args, {"from": account})
                moved = True
        assert moved


def test_full_game_pinpoints_the_fault_and_ends_once(system, opened, players, solver, challenger, submitter):
    game, token = system["game"], system["token"]
    _play_to_end(game, players, solver, challenger, opened)
    g = _view(game, opened)
    assert (g.winner, g.reason) == (2, 1)  # challenger by one step
    assert (g.t, g.j, g.e) == (1, 2, 1)
    # the one step only recorded the outcome: nothing moved yet
    assert not game.resolved(opened) and system["registry"].task_status(1) == 3
    assert game.credit(challenger) == 0
    game.resolve(opened, {"from": challenger})
    assert game.resolved(opened)
    assert system["registry"].task_status(1) == 7  # rejected
    assert token.balanceOf(submitter) == 1_000 * 10**18 + 30 * 10**18
    assert game.credit(challenger) == system["params"].challenger_bond()
    with brownie.reverts("dispute_game: dispute ended"):
        game.timeout(opened, {"from": challenger})
    with brownie.reverts("dispute_game: not in a descent"):
        game.reveal(opened, ZERO, ZERO, ZERO, ZERO, 0, [], {"from": solver})
    with brownie.reverts("dispute_game: dispute already resolved"):
        game.resolve(opened, {"from": challenger})


def test_resolve_before_the_end_reverts(system, opened, players, solver, challenger, stranger):
    """Attack: settle a dispute that has not ended (or does not exist) to grab the bond or
    slash the solver early: refused with a reason, at every phase up to the one step."""
    game = system["game"]
    s, c = players
    with brownie.reverts("dispute_game: dispute not ended"):
        game.resolve(opened + 1, {"from": stranger})  # no such dispute
    while _view(game, opened).phase != PHASE_DONE:
        for player, account in ((s, solver), (c, challenger)):
            g = _view(game, opened)
            if g.phase == PHASE_DONE:
                break
            with brownie.reverts("dispute_game: dispute not ended"):
                game.resolve(opened, {"from": account})
            mv = player.move(opened, g, chain.time())
            if mv is not None:
                getattr(game, mv.fn)(*mv.args, {"from": account})
    assert system["registry"].get_task(1)["open_disputes"] == 1  # still open in the registry
    game.resolve(opened, {"from": stranger})
    assert system["registry"].task_status(1) == 7


def test_third_party_resolves_and_the_loser_cannot_block(system, opened, players, solver, challenger,
                                                         stranger, submitter):
    """Attack: the losing solver tries to keep the settlement from happening: it does not
    resolve, tries to move, to time the game out and to withdraw its locked stake between the
    end and the settlement. A third party (no stake, no bond) resolves; the solver is slashed
    and the challenger credited as if the winner had resolved; a second resolve reverts."""
    game, token, stake = system["game"], system["token"], system["stake"]
    _play_to_end(game, players, solver, challenger, opened)
    g = _view(game, opened)
    assert (g.winner, g.reason) == (2, 1)  # the solver lost the one step
    with brownie.reverts("dispute_game: dispute ended"):
        game.timeout(opened, {"from": solver})
    with brownie.reverts("dispute_game: not at one step"):
        game.one_step(opened, ZERO, [], ZERO, [], [], {"from": solver})
    with brownie.reverts("stake_manager: insufficient free stake"):  # the task's stake stays locked
        stake.request_unbond(stake.bonded(solver), {"from": solver})
    before = token.balanceOf(submitter)
    tx = game.resolve(opened, {"from": stranger})
    assert tx.events["DisputeResolved"]["caller"] == stranger and not tx.events["DisputeResolved"]["moot"]
    assert game.resolved(opened) and system["registry"].task_status(1) == 7
    assert token.balanceOf(submitter) == before + 40 * 10**18  # the payment (10) + its stake share (30)
    assert game.credit(challenger) == system["params"].challenger_bond() and game.credit(stranger) == 0
    with brownie.reverts("dispute_game: dispute already resolved"):
        game.resolve(opened, {"from": solver})


def test_timeout_ends_a_stalled_dispute_exactly_once(system, opened, players, solver, challenger, stranger):
    game, token = system["game"], system["token"]
    _move(game, players[0], solver, opened)  # solver moves, then the challenger stalls
    chain.sleep(system["params"].dispute_move_deadline() + 1)
    chain.mine()
    before = token.balanceOf(solver)
    game.timeout(opened, {"from": stranger})
    g = _view(game, opened)
    assert (g.phase, g.winner, g.reason) == (PHASE_DONE, 1, 2)  # solver by timeout
    bond = system["params"].challenger_bond()
    assert game.credit(solver) == 0 and system["registry"].get_task(1)["open_disputes"] == 1
    game.resolve(opened, {"from": stranger})  # anyone settles it
    assert token.balanceOf(solver) == before  # credited, not pushed
    assert game.credit(solver) == bond - bond * 2_000 // 10_000
    game.claim_credit({"from": solver})
    assert token.balanceOf(solver) == before + bond - bond * 2_000 // 10_000
    assert game.credit(solver) == 0
    assert system["registry"].get_task(1)["open_disputes"] == 0
    with brownie.reverts("dispute_game: dispute ended"):
        game.timeout(opened, {"from": stranger})
