"""VerifierPool.on_fee, on_forced_error, settle, report, sweep, fund_jackpot:
every path of the fee, the jackpot and verifier slashing."""

import brownie
from incentive_helpers import (
    SALT,
    STEP_ROOTS,
    WRONG_ROOTS,
    attest,
    finalize,
    past_attest,
    past_report_window,
    proofs_for,
    prove,
    prove_mismatch,
    reveal_secret,
)
from lifecycle import PAYMENT, sleep_past


def _reveal_all(pool, registry, chain, task_id, entries):
    past_attest(registry, chain, task_id)
    for v, (_, values) in entries.items():
        pool.reveal(task_id, values, SALT, {"from": v})


def _after_reports(registry, pool, parameters, chain, task_id):
    past_report_window(pool, chain, task_id)


def _claim(pool, token, who):
    before = token.balanceOf(who)
    pool.claim_credit({"from": who})
    return token.balanceOf(who) - before


def test_honest_round_pays_fee(pool, registry, parameters, chain, token, stake_manager, honest_task,
                               verifiers, solver):
    a, b, lazy = verifiers
    entries = {a: attest(pool, chain, honest_task, a, STEP_ROOTS), b: attest(pool, chain, honest_task, b, STEP_ROOTS)}
    pool.join(honest_task, {"from": lazy})  # joins, never commits
    _reveal_all(pool, registry, chain, honest_task, entries)
    reveal_secret(registry, chain, solver, honest_task, forced=False)
    fee = registry.get_task(honest_task)["fee"]
    with brownie.reverts("verifier_pool: task not finalized"):
        prove(pool, honest_task, a, STEP_ROOTS, entries[a][0])
    tx = finalize(registry, chain, honest_task)
    pot = fee - fee * parameters.jackpot_share_bps() // 10_000
    assert tx.events["FeeReceived"]["pot"] == pot and tx.events["FeeReceived"]["award"] == 0
    assert pool.jackpot() == fee - pot and pool.total_reserved() == pot
    with brownie.reverts("verifier_pool: report window open"):
        pool.settle(honest_task, {"from": a})
    with brownie.reverts("verifier_pool: bad proof"):
        prove(pool, honest_task, a, WRONG_ROOTS, entries[a][0])
    with brownie.reverts("verifier_pool: wrong number of proofs"):
        pool.prove(honest_task, proofs_for(STEP_ROOTS, entries[a][0])[:1], {"from": a})
    with brownie.reverts("verifier_pool: not revealed"):
        pool.prove(honest_task, [], {"from": lazy})
    prove(pool, honest_task, a, STEP_ROOTS, entries[a][0])
    prove(pool, honest_task, b, STEP_ROOTS, entries[b][0])
    with brownie.reverts("verifier_pool: already proven"):
        prove(pool, honest_task, a, STEP_ROOTS, entries[a][0])
    with brownie.reverts("verifier_pool: task not forced"):
        prove_mismatch(pool, honest_task, a, entries[a][0])
    _after_reports(registry, pool, parameters, chain, honest_task)
    with brownie.reverts("verifier_pool: report window closed"):
        prove(pool, honest_task, a, STEP_ROOTS, entries[a][0])
    tx = pool.settle(honest_task, {"from": a})
    assert tx.events["VerifierSettled"]["fee_share"] == pot // 2
    assert pool.credit(a) == pot // 2 and token.balanceOf(pool) == pool.jackpot() + pot
    assert _claim(pool, token, a) == pot // 2
    with brownie.reverts("verifier_pool: nothing to claim"):
        pool.claim_credit({"from": a})
    assert stake_manager.locked_for_task(a, honest_task) == 0
    with brownie.reverts("verifier_pool: already settled"):
        pool.settle(honest_task, {"from": a})
    pool.settle(honest_task, {"from": lazy})  # no fee, stake back
    assert stake_manager.locked_for_task(lazy, honest_task) == 0
    # b never settles: its share returns to the jackpot at the sweep
    with brownie.reverts("verifier_pool: claim window open"):
        pool.sweep(honest_task, {"from": lazy})
    sleep_past(chain, pool.round_of(honest_task)["finalized_at"] + 2 * pool.terms_of(honest_task)["reveal_window"])
    jackpot = pool.jackpot()
    tx = pool.sweep(honest_task, {"from": lazy})
    assert tx.events["TaskSwept"]["amount"] == pot - pot // 2
    assert pool.jackpot() == jackpot + pot - pot // 2 and pool.total_reserved() == 0
    with brownie.reverts("verifier_pool: already swept"):
        pool.sweep(honest_task, {"from": lazy})
    pool.settle(honest_task, {"from": b})  # after the sweep: no fee
    assert token.balanceOf(pool) == pool.jackpot()


def test_false_flag_forfeits_stake(pool, registry, parameters, chain, stake_manager, honest_task, verifiers,
                                   solver):
    a = verifiers[0]
    entries = {a: attest(pool, chain, honest_task, a, STEP_ROOTS, flag=True)}
    stake = pool.verifier_stake(honest_task)
    bonded = stake_manager.bonded(a)
    _reveal_all(pool, registry, chain, honest_task, entries)
    reveal_secret(registry, chain, solver, honest_task, forced=False)
    finalize(registry, chain, honest_task)
    _after_reports(registry, pool, parameters, chain, honest_task)
    jackpot = pool.jackpot()
    tx = pool.settle(honest_task, {"from": a})
    assert tx.events["VerifierSettled"]["forfeited"] == stake
    assert pool.jackpot() == jackpot + stake
    assert stake_manager.bonded(a) == bonded - stake


def test_forced_error_pays_award_and_slashes_lazy(pool, registry, parameters, chain, token, stake_manager,
                                                  forced_task, verifiers, solver, governance):
    """The award of a forced task is its fee minus the pot plus its lazy attesters' slashes minus
    bounties; the jackpot (donations) is not touched."""
    token.mint(governance, 100 * 10**18, {"from": governance})
    token.approve(pool, 2**256 - 1, {"from": governance})
    with brownie.reverts("verifier_pool: zero amount"):
        pool.fund_jackpot(0, {"from": governance})
    pool.fund_jackpot(100 * 10**18, {"from": governance})
    honest, lazy, idle = verifiers
    entries = {honest: attest(pool, chain, forced_task, honest, STEP_ROOTS, flag=True),
               lazy: attest(pool, chain, forced_task, lazy, WRONG_ROOTS)}  # copies the solver
    stake = pool.verifier_stake(forced_task)
    _reveal_all(pool, registry, chain, forced_task, entries)
    tx = reveal_secret(registry, chain, solver, forced_task, forced=True)
    assert tx.events["ForcedErrorCaught"]["flaggers"] == 1
    assert pool.jackpot() == 100 * 10**18
    steps = entries[lazy][0]
    with brownie.reverts("verifier_pool: task not finalized"):
        pool.report(forced_task, lazy, 0, STEP_ROOTS[steps[0]], proofs_for(STEP_ROOTS, steps[:1])[0],
                    {"from": idle})
    fee = registry.get_task(forced_task)["fee"]
    pot = fee - fee * parameters.jackpot_share_bps() // 10_000
    tx = finalize(registry, chain, forced_task)
    assert tx.events["FeeReceived"]["award"] == fee - pot and pool.jackpot() == 100 * 10**18
    with brownie.reverts("verifier_pool: attested value is right"):
        pool.report(forced_task, honest, 0, STEP_ROOTS[entries[honest][0][0]],
                    proofs_for(STEP_ROOTS, entries[honest][0][:1])[0], {"from": idle})
    with brownie.reverts("verifier_pool: bad proof"):
        pool.report(forced_task, lazy, 0, STEP_ROOTS[steps[0]], proofs_for(STEP_ROOTS, steps[:1])[0][:-1],
                    {"from": idle})
    with brownie.reverts("verifier_pool: sample out of range"):
        pool.report(forced_task, lazy, 9, STEP_ROOTS[steps[0]], [], {"from": idle})
    with brownie.reverts("verifier_pool: not revealed"):
        pool.report(forced_task, idle, 0, STEP_ROOTS[steps[0]], [], {"from": honest})
    tx = pool.report(forced_task, lazy, 0, STEP_ROOTS[steps[0]], proofs_for(STEP_ROOTS, steps[:1])[0],
                     {"from": idle})
    bounty = stake * pool.REPORT_BOUNTY_BPS() // 10_000
    ev = tx.events["AttesterSlashed"]
    assert (ev["amount"], ev["bounty"], ev["to_award"]) == (stake, bounty, stake - bounty)
    assert pool.credit(idle) == bounty and _claim(pool, token, idle) == bounty
    assert stake_manager.locked_for_task(lazy, forced_task) == 0
    with brownie.reverts("verifier_pool: already settled"):
        pool.report(forced_task, lazy, 0, STEP_ROOTS[steps[0]], proofs_for(STEP_ROOTS, steps[:1])[0],
                    {"from": idle})
    with brownie.reverts("verifier_pool: values not proven"):
        prove_mismatch(pool, forced_task, honest, entries[honest][0])
    prove(pool, forced_task, honest, STEP_ROOTS, entries[honest][0])
    with brownie.reverts("verifier_pool: bad proof"):  # a proof one level short
        pool.prove_mismatch(forced_task, 0, WRONG_ROOTS[entries[honest][0][0]],
                            proofs_for(WRONG_ROOTS, entries[honest][0][:1])[0][:-1], {"from": honest})
    prove_mismatch(pool, forced_task, honest, entries[honest][0])
    with brownie.reverts("verifier_pool: already caught"):
        prove_mismatch(pool, forced_task, honest, entries[honest][0])
    _after_reports(registry, pool, parameters, chain, forced_task)
    with brownie.reverts("verifier_pool: report window closed"):
        pool.report(forced_task, lazy, 0, STEP_ROOTS[steps[0]], [], {"from": idle})
    tx = pool.settle(forced_task, {"from": honest})
    award = fee - pot + stake - bounty
    assert tx.events["VerifierSettled"]["award_share"] == award
    assert tx.events["VerifierSettled"]["fee_share"] == pot  # the only prover
    assert _claim(pool, token, honest) == award + pot
    assert stake_manager.locked_for_task(honest, forced_task) == 0
    assert pool.jackpot() == 100 * 10**18 and pool.total_reserved() == 0


def test_report_needs_forced_task(pool, registry, chain, honest_task, verifiers, solver):
    a = verifiers[0]
    with brownie.reverts("verifier_pool: task not forced"):
        pool.report(honest_task, a, 0, STEP_ROOTS[1], [], {"from": verifiers[1]})


def test_settle_before_end_and_unjoined(pool, honest_task, verifiers):
    with brownie.reverts("verifier_pool: not joined"):
        pool.settle(honest_task, {"from": verifiers[0]})
    pool.join(honest_task, {"from": verifiers[0]})
    with brownie.reverts("verifier_pool: task not ended"):
        pool.settle(honest_task, {"from": verifiers[0]})
    with brownie.reverts("verifier_pool: task not ended"):
        pool.sweep(honest_task, {"from": verifiers[0]})


def test_rejected_task_releases_verifiers(pool, registry, chain, stake_manager, honest_task, verifiers, stranger):
    a = verifiers[0]
    pool.join(honest_task, {"from": a})
    sleep_past(chain, registry.incentive(honest_task)["secret_deadline"])
    registry.slash_unrevealed(honest_task, {"from": stranger})
    with brownie.reverts("verifier_pool: task not finalized"):
        pool.prove(honest_task, proofs_for(STEP_ROOTS, [1]), {"from": a})
    pool.settle(honest_task, {"from": a})
    assert stake_manager.locked_for_task(a, honest_task) == 0
    assert PAYMENT > 0


def test_hooks_are_registry_only(pool, stranger):
    with brownie.reverts("verifier_pool: caller is not the registry"):
        pool.on_fee(1, 1, {"from": stranger})
    with brownie.reverts("verifier_pool: caller is not the registry"):
        pool.on_forced_error(1, {"from": stranger})


def test_constructor_checks(VerifierPool, token, parameters, stake_manager, registry, governance, stranger):
    with brownie.reverts("verifier_pool: token is not a contract"):
        VerifierPool.deploy(stranger, parameters, stake_manager, registry, {"from": governance})
    with brownie.reverts("verifier_pool: zero registry"):
        VerifierPool.deploy(token, parameters, stake_manager, brownie.ZERO_ADDRESS, {"from": governance})


def test_flagger_that_won_its_dispute_keeps_stake(pool, registry, chain, stake_manager, token, honest_task,
                                                  verifiers, solver, dispute_game):
    """A real fault: the flagger of a task revealed not forced opens the dispute and wins it;
    the task is rejected, so settle unlocks the flagger's stake (nothing forfeited, no fee)."""
    a = verifiers[0]
    entries = {a: attest(pool, chain, honest_task, a, WRONG_ROOTS, flag=True)}
    _reveal_all(pool, registry, chain, honest_task, entries)
    reveal_secret(registry, chain, solver, honest_task, forced=False)
    registry.on_dispute_opened(honest_task, a, {"from": dispute_game})
    registry.on_solver_lost(honest_task, a, 1, {"from": dispute_game})
    assert registry.get_task(honest_task)["status"] == 7  # REJECTED
    jackpot, balance, bonded = pool.jackpot(), token.balanceOf(a), stake_manager.bonded(a)
    assert stake_manager.locked_for_task(a, honest_task) == pool.verifier_stake(honest_task)
    tx = pool.settle(honest_task, {"from": a})
    ev = tx.events["VerifierSettled"]
    assert (ev["fee_share"], ev["award_share"], ev["forfeited"]) == (0, 0, 0)
    assert stake_manager.locked_for_task(a, honest_task) == 0
    assert stake_manager.bonded(a) == bonded  # unlocked, not slashed
    assert token.balanceOf(a) == balance
    assert pool.jackpot() == jackpot


def test_flagger_that_lost_its_dispute_forfeits_stake(pool, registry, parameters, chain, stake_manager, honest_task,
                                                      verifiers, solver, dispute_game):
    """The flagger disputed but lost: the task finalizes without a forced error, so it forfeits."""
    a = verifiers[0]
    entries = {a: attest(pool, chain, honest_task, a, WRONG_ROOTS, flag=True)}
    _reveal_all(pool, registry, chain, honest_task, entries)
    reveal_secret(registry, chain, solver, honest_task, forced=False)
    registry.on_dispute_opened(honest_task, a, {"from": dispute_game})
    registry.on_dispute_closed(honest_task, {"from": dispute_game})
    finalize(registry, chain, honest_task)
    _after_reports(registry, pool, parameters, chain, honest_task)
    bonded, stake = stake_manager.bonded(a), pool.verifier_stake(honest_task)
    tx = pool.settle(honest_task, {"from": a})
    assert tx.events["VerifierSettled"]["forfeited"] == stake
    assert stake_manager.locked_for_task(a, honest_task) == 0
    assert stake_manager.bonded(a) == bonded - stake
