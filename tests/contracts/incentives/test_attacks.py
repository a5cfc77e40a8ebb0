"""Regression tests of the incentive-layer attacks of issue 10 (attack 4, the
verifier part of 6, 8 and the pool items of 9). Each one tries the attack
against the pool and shows it no longer pays; the old pool (whole jackpot
to the flaggers, live reveal_window, fee hook only for a fee above 0, pot
split over every reveal, pushed payouts, min_verifier_stake locked whatever
the fee) failed each of them."""

import brownie
import pytest
from eth_hash.auto import keccak
from incentive_helpers import (
    NUM_STEPS,
    SALT,
    SECRET,
    STEP_ROOTS,
    TRUE_MODEL,
    TRUE_PROOF,
    TRUE_ROOT,
    WRONG_MODEL,
    WRONG_PROOF,
    WRONG_ROOT,
    WRONG_ROOTS,
    attest,
    claim,
    draw_claim_seed,
    ensure_free_stake,
    finalize,
    past_attest,
    past_report_window,
    proofs_for,
    prove,
    prove_mismatch,
    random_leaf,
    reveal_secret,
)
from lifecycle import ARTIFACT_URI, E18, SOLVER_STAKE, create_args, sleep_past

from offchain.incentives import rules

DONATION = 5_000 * E18


def _worth(token, stake_manager, pool, accounts):
    """Wallets, bonded and unbonding stake and pool credit of `accounts` together."""
    return sum(token.balanceOf(a) + stake_manager.bonded(a) + stake_manager.unbonding(a) + pool.credit(a)
               for a in accounts)


def _donate(pool, token, donor, amount=DONATION):
    token.mint(donor, amount, {"from": donor})
    token.approve(pool, amount, {"from": donor})
    pool.fund_jackpot(amount, {"from": donor})


def _reveal(pool, registry, chain, tid, entries):
    past_attest(registry, chain, tid)
    for v, (_, values) in entries.items():
        pool.reveal(tid, values, SALT, {"from": v})


def _new_task(registry, parameters, governance, submitter, solver, chain, forced, **over):
    tid = registry.create_task(*create_args(num_steps=NUM_STEPS, checkpoint_interval=1, **over),
                               {"from": submitter}).return_value
    claim(registry, parameters, governance, solver, tid, chain, forced)
    if forced:
        registry.commit_result(tid, WRONG_ROOT, WRONG_MODEL, WRONG_PROOF, ARTIFACT_URI, {"from": solver})
    else:
        registry.commit_result(tid, TRUE_ROOT, TRUE_MODEL, TRUE_PROOF, ARTIFACT_URI, {"from": solver})
    return tid


def test_attack_self_forced_jackpot(pool, registry, parameters, governance, chain, token, stake_manager,
                                    submitter, solver, verifiers, stranger, funded, bonded, staked):
    """One actor (submitter, solver, two verifier accounts) forces its own task and flags it: it gets
    back at most what it put in for the task, the donated jackpot stays, and a flagger whose values do
    not prove a mismatch gets nothing."""
    _donate(pool, token, stranger)
    flagger, junk = verifiers[0], verifiers[1]
    actor = [submitter, solver, flagger, junk]
    before = _worth(token, stake_manager, pool, actor)
    tid = _new_task(registry, parameters, governance, submitter, solver, chain, forced=True)
    entries = {flagger: attest(pool, chain, tid, flagger, STEP_ROOTS, flag=True),
               junk: attest(pool, chain, tid, junk, {t: random_leaf() for t in range(NUM_STEPS + 1)}, flag=True)}
    _reveal(pool, registry, chain, tid, entries)
    reveal_secret(registry, chain, solver, tid, forced=True)
    finalize(registry, chain, tid)
    prove(pool, tid, flagger, STEP_ROOTS, entries[flagger][0])
    prove_mismatch(pool, tid, flagger, entries[flagger][0])
    with brownie.reverts("verifier_pool: bad proof"):  # junk values do not prove
        prove(pool, tid, junk, STEP_ROOTS, entries[junk][0])
    with brownie.reverts("verifier_pool: values not proven"):
        prove_mismatch(pool, tid, junk, entries[junk][0])
    past_report_window(pool, chain, tid)
    for v in (flagger, junk):
        pool.settle(tid, {"from": v})
    assert pool.credit(junk) == 0
    pool.claim_credit({"from": flagger})
    assert _worth(token, stake_manager, pool, actor) <= before
    assert pool.jackpot() >= DONATION
    assert pool.total_reserved() == 0  # the whole award went to the one catcher


def test_attack_self_report(pool, registry, parameters, governance, chain, token, stake_manager, submitter,
                            solver, verifiers, funded, bonded, staked):
    """A lazy verifier of a forced task cannot report itself, and through a second account it recovers
    only the bounded bounty of its slash; nobody flagged, so the rest joins the jackpot."""
    lazy, sybil = verifiers[0], verifiers[1]
    tid = _new_task(registry, parameters, governance, submitter, solver, chain, forced=True)
    entries = {lazy: attest(pool, chain, tid, lazy, WRONG_ROOTS)}  # copies the solver's (wrong) roots
    stake = pool.verifier_stake(tid)
    _reveal(pool, registry, chain, tid, entries)
    reveal_secret(registry, chain, solver, tid, forced=True)
    finalize(registry, chain, tid)
    steps = entries[lazy][0]
    args = (tid, lazy, 0, STEP_ROOTS[steps[0]], proofs_for(STEP_ROOTS, steps[:1])[0])
    with brownie.reverts("verifier_pool: cannot report itself"):
        pool.report(*args, {"from": lazy})
    before = _worth(token, stake_manager, pool, [lazy, sybil])
    jackpot = pool.jackpot()
    pool.report(*args, {"from": sybil})
    bounty = stake * pool.REPORT_BOUNTY_BPS() // 10_000
    assert _worth(token, stake_manager, pool, [lazy, sybil]) == before - stake + bounty
    assert bounty * 10 <= stake  # at most a tenth of the slash comes back
    assert pool.jackpot() == jackpot + stake - bounty


def test_attack_junk_reveal_dilution(pool, registry, parameters, governance, chain, token, submitter, solver,
                                     verifiers, funded, bonded, staked):
    """Two accounts reveal junk next to one honest verifier: the honest one still gets the whole pot."""
    honest, junk1, junk2 = verifiers
    tid = _new_task(registry, parameters, governance, submitter, solver, chain, forced=False)
    noise = {t: random_leaf() for t in range(NUM_STEPS + 1)}
    entries = {honest: attest(pool, chain, tid, honest, STEP_ROOTS),
               junk1: attest(pool, chain, tid, junk1, noise), junk2: attest(pool, chain, tid, junk2, noise)}
    _reveal(pool, registry, chain, tid, entries)
    reveal_secret(registry, chain, solver, tid, forced=False)
    finalize(registry, chain, tid)
    prove(pool, tid, honest, STEP_ROOTS, entries[honest][0])
    past_report_window(pool, chain, tid)
    pot = pool.round_of(tid)["pot"]
    assert pot > 0 and pool.round_of(tid)["revealed"] == 3
    for v in verifiers:
        pool.settle(tid, {"from": v})
    assert pool.credit(honest) == pot
    assert pool.credit(junk1) == pool.credit(junk2) == 0


def test_attack_zero_fee_disables_report(pool, registry, parameters, governance, chain, submitter, solver,
                                         verifiers, stake_manager, funded, bonded, staked):
    """A task whose fee rounds to 0 (fee share 0): its lazy attesters are still reported."""
    parameters.set_parameter("verification_fee_bps", 0, {"from": governance})
    lazy, whistleblower = verifiers[0], verifiers[1]
    tid = _new_task(registry, parameters, governance, submitter, solver, chain, forced=True)
    assert registry.get_task(tid)["fee"] == 0
    entries = {lazy: attest(pool, chain, tid, lazy, WRONG_ROOTS)}
    stake = pool.verifier_stake(tid)
    _reveal(pool, registry, chain, tid, entries)
    reveal_secret(registry, chain, solver, tid, forced=True)
    finalize(registry, chain, tid)
    assert pool.round_of(tid)["finalized_at"] > 0
    steps = entries[lazy][0]
    tx = pool.report(tid, lazy, 0, STEP_ROOTS[steps[0]], proofs_for(STEP_ROOTS, steps[:1])[0],
                     {"from": whistleblower})
    assert tx.events["AttesterSlashed"]["amount"] == stake
    assert stake_manager.locked_for_task(lazy, tid) == 0


def test_attack_reveal_window_changed_mid_task(pool, registry, parameters, governance, chain, submitter, solver,
                                               verifiers, funded, bonded, staked):
    """Governance shortens reveal_window after the verifiers joined (to cut the report window) and then
    lengthens it (to hold their stake): the task keeps the window it started with."""
    lazy, whistleblower = verifiers[0], verifiers[1]
    tid = _new_task(registry, parameters, governance, submitter, solver, chain, forced=True)
    window = parameters.reveal_window()
    entries = {lazy: attest(pool, chain, tid, lazy, WRONG_ROOTS),
               whistleblower: attest(pool, chain, tid, whistleblower, STEP_ROOTS)}
    parameters.set_parameter("reveal_window", 600, {"from": governance})
    _reveal(pool, registry, chain, tid, entries)
    reveal_secret(registry, chain, solver, tid, forced=True)
    finalize(registry, chain, tid)
    assert pool.terms_of(tid)["reveal_window"] == window
    sleep_past(chain, pool.round_of(tid)["finalized_at"] + 1_200)  # past the new, short window
    steps = entries[lazy][0]
    pool.report(tid, lazy, 0, STEP_ROOTS[steps[0]], proofs_for(STEP_ROOTS, steps[:1])[0], {"from": whistleblower})
    parameters.set_parameter("reveal_window", 3 * 86_400, {"from": governance})
    with brownie.reverts("verifier_pool: report window open"):
        pool.settle(tid, {"from": whistleblower})
    sleep_past(chain, pool.round_of(tid)["finalized_at"] + window)
    assert pool.settle(tid, {"from": whistleblower}).events["VerifierSettled"]


def test_pool_credit_pull_with_blocking_token(BlockingToken, Parameters, StakeManager, TaskRegistry, VerifierPool,
                                              accounts, governance, treasury, submitter, solver, chain):
    """A verifier the token refuses to pay settles all the same (stake unlocked, share credited); only
    its own claim fails, and it can take the credit to another address. Another verifier is paid."""
    token = BlockingToken.deploy({"from": governance})
    params = Parameters.deploy(treasury, {"from": governance})
    sm = StakeManager.deploy(token, params, {"from": governance})
    reg = TaskRegistry.deploy(token, params, sm, {"from": governance})
    pool = VerifierPool.deploy(token, params, sm, reg, {"from": governance})
    sm.wire_verifier_pool(pool, {"from": governance})
    reg.wire_verifier_pool(pool, {"from": governance})
    sm.wire(reg, brownie.ZERO_ADDRESS, {"from": governance})
    reg.wire(brownie.ZERO_ADDRESS, {"from": governance})
    params.set_parameter("sample_count", 3, {"from": governance})
    for who in (submitter, solver):
        token.mint(who, 10_000 * E18, {"from": who})
        token.approve(sm, 2**256 - 1, {"from": who})
        token.approve(reg, 2**256 - 1, {"from": who})
    sm.bond(SOLVER_STAKE, {"from": solver})
    tid = _new_task(reg, params, governance, submitter, solver, chain, forced=False)
    blocked, other, elsewhere = accounts[7], accounts[8], accounts[9]
    entries = {v: attest(pool, chain, tid, v, STEP_ROOTS) for v in (blocked, other)}
    _reveal(pool, reg, chain, tid, entries)
    reveal_secret(reg, chain, solver, tid, forced=False)
    finalize(reg, chain, tid)
    for v in (blocked, other):
        prove(pool, tid, v, STEP_ROOTS, entries[v][0])
    past_report_window(pool, chain, tid)
    token.set_blocked(blocked, True, {"from": governance})
    pot = pool.round_of(tid)["pot"]
    pool.settle(tid, {"from": blocked})
    pool.settle(tid, {"from": other})
    assert sm.locked_for_task(blocked, tid) == 0 and pool.credit(blocked) == pot // 2
    with brownie.reverts("verifier_pool: token transfer failed"):
        pool.claim_credit({"from": blocked})
    before = token.balanceOf(other)
    pool.claim_credit({"from": other})
    assert token.balanceOf(other) - before == pot // 2
    pool.claim_credit(elsewhere, {"from": blocked})
    assert token.balanceOf(elsewhere) == pot // 2 and pool.credit(blocked) == 0


def _lazy_loses(stake, pot, rate_ppm, bounty_bps):
    """Expected gain of a lazy verifier that takes the whole pot of every task not forced and,
    reporting itself through a sybil, loses its stake minus the bounty on a forced one: < 0."""
    loss = stake - stake * bounty_bps // 10_000
    return pot == 0 or rate_ppm * loss > (rules.PPM - rate_ppm) * pot


def test_defaults_incentive_compatible(pool, registry, parameters, governance, chain, submitter, solver,
                                       verifiers, funded, bonded, staked):
    """At the default parameters, for payments from 1 base unit to 1e30, the stake a verifier locks
    makes lazy verification lose money; no combination governance can set breaks it (the extremes of
    every bound the relation depends on), and a task created at such an extreme locks such a stake."""
    p = {n: getattr(parameters, n)() for n in ("verification_fee_bps", "forced_error_rate_ppm",
                                                "jackpot_share_bps", "min_verifier_stake")}
    bounty = pool.REPORT_BOUNTY_BPS()
    assert p["forced_error_rate_ppm"] > 0
    for payment in (1, 10**6, E18, 1_000 * E18, 10**30):
        fee = payment * p["verification_fee_bps"] // 10_000
        stake = pool.stake_for(fee, p["forced_error_rate_ppm"], p["jackpot_share_bps"], p["min_verifier_stake"])
        pot = fee - fee * p["jackpot_share_bps"] // 10_000
        assert _lazy_loses(stake, pot, p["forced_error_rate_ppm"], bounty), payment
        assert stake == rules.verifier_stake(fee, p["forced_error_rate_ppm"], p["jackpot_share_bps"],
                                             p["min_verifier_stake"])
    for rate in (0, 1, 10_000, 100_000):
        for share in (0, 2_000, 10_000):
            for fee_bps in (0, 500, 3_000):
                for min_stake in (1, 10 * E18):
                    fee = 1_000 * E18 * fee_bps // 10_000
                    stake = pool.stake_for(fee, rate, share, min_stake)
                    pot = 0 if rate == 0 else fee - fee * share // 10_000
                    assert _lazy_loses(stake, pot, rate, bounty), (rate, share, fee_bps, min_stake)
    # governance at the worst corner: 1 ppm forced errors, no jackpot share, 30 % fee, stake 1
    for name, value in (("forced_error_rate_ppm", 1), ("jackpot_share_bps", 0), ("verification_fee_bps", 3_000),
                        ("min_verifier_stake", 1)):
        parameters.set_parameter(name, value, {"from": governance})
    tid = registry.create_task(*create_args(num_steps=NUM_STEPS, checkpoint_interval=1, payment=E18),
                               {"from": submitter}).return_value
    registry.claim_task(tid, keccak(SECRET), {"from": solver})
    draw_claim_seed(1, forced=False)
    registry.commit_result(tid, TRUE_ROOT, TRUE_MODEL, TRUE_PROOF, ARTIFACT_URI, {"from": solver})
    v = verifiers[0]
    stake = pool.verifier_stake(tid)
    ensure_free_stake(pool, v, stake)
    pool.join(tid, {"from": v})
    assert pool.attestation(tid, v)["stake"] == stake > 1
    fee = registry.get_task(tid)["fee"]
    assert _lazy_loses(stake, fee, 1, bounty) and not _lazy_loses(1, fee, 1, bounty)


@pytest.mark.parametrize("payment", [1, 3, 1_000 * E18])
def test_stake_for_matches_python(pool, payment):
    for rate in (1, 999, 10_000, 100_000, rules.PPM):
        fee = payment * 500 // 10_000
        assert pool.stake_for(fee, rate, 2_000, 10 * E18) == rules.verifier_stake(fee, rate, 2_000, 10 * E18)
