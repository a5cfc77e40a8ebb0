"""Helpers of the incentive-layer tests: a 7-step run with real step roots
(so Merkle proofs work), its forced-error twin, the final model of each
(leaf T, with its exact-depth proof), and the moves of a verifier and a
solver through the incentive phases."""

import os

from eth_hash.auto import keccak
from lifecycle import ARTIFACT_URI, E18, sleep_past

from offchain.commit import merkle
from offchain.incentives import rules

NUM_STEPS = 7
SAMPLES = 3
SECRET = b"\x5e" * 32
STEP_ROOTS = [keccak(bytes([t]) * 32) for t in range(NUM_STEPS + 1)]
TRUE_ROOT = merkle.root(STEP_ROOTS)
WRONG_ROOTS = rules.wrong_step_roots(STEP_ROOTS, SECRET)
WRONG_ROOT = merkle.root(WRONG_ROOTS)
SALT = b"\x5a" * 32
# the final model is S_T, leaf T of the run root (commit_result checks it)
TRUE_MODEL = STEP_ROOTS[NUM_STEPS]
TRUE_PROOF = merkle.proof(merkle.levels(STEP_ROOTS), NUM_STEPS)
WRONG_MODEL = WRONG_ROOTS[NUM_STEPS]
WRONG_PROOF = merkle.proof(merkle.levels(WRONG_ROOTS), NUM_STEPS)
#: forced-error rate of the test claims (the governance bound): a claim seed is
#: drawn until the task is (or is not) forced, see `draw_claim_seed`
RATE_PPM = 100_000
#: stake each test verifier bonds (above the pool's verifier stake of a test task)
BOND = 2_000 * E18


def claim(registry, parameters, governance, solver, task_id, chain, forced):
    """Claims so that the task is (forced=True) or is not a forced-error task:
    the claim seed blockhash(claim_block + 1) is drawn until it decides so."""
    if parameters.forced_error_rate_ppm() != RATE_PPM:
        parameters.set_parameter("forced_error_rate_ppm", RATE_PPM, {"from": governance})
    registry.claim_task(task_id, keccak(SECRET), {"from": solver})
    draw_claim_seed(RATE_PPM, forced)


def draw_claim_seed(rate_ppm, forced, secret=SECRET):
    """Mines the block after the claim again and again (evm_snapshot /
    evm_revert, a different timestamp each time, no transaction so that no
    account's nonce moves behind brownie's back) until its hash makes the
    claim forced or not."""
    from brownie import web3

    base = web3.eth.get_block("latest")["timestamp"] + 1
    for i in range(400):
        snap = web3.provider.make_request("evm_snapshot", [])["result"]
        web3.provider.make_request("evm_mine", [base + i])
        seed = bytes(web3.eth.get_block("latest")["hash"])
        if rules.is_forced(secret, seed, rate_ppm) == forced:
            return seed
        web3.provider.make_request("evm_revert", [snap])
    raise RuntimeError("incentive_helpers: no claim seed found")


def mine_many(n):
    """Mines n empty blocks in one RPC call (past the 256-block blockhash window)."""
    from brownie import web3

    web3.provider.make_request("anvil_mine", [n])


def attest(pool, chain, task_id, verifier, step_roots, flag=False):
    """Joins, commits the values of `step_roots` at the verifier's samples; returns them."""
    ensure_free_stake(pool, verifier, pool.verifier_stake(task_id))
    pool.join(task_id, {"from": verifier})
    chain.mine(2)  # the seed block, and one more so that calls see it
    steps = pool.sample_steps(task_id, verifier)
    values = [step_roots[t] for t in steps]
    pool.commit_attestation(task_id, rules.commitment(task_id, verifier.address, values, SALT),
                            {"from": verifier})
    if flag:
        pool.flag(task_id, {"from": verifier})
    return steps, values


def past_attest(registry, chain, task_id):
    sleep_past(chain, registry.incentive(task_id)["attest_deadline"])


def past_reveal(registry, chain, task_id):
    sleep_past(chain, registry.incentive(task_id)["reveal_deadline"])


def reveal_secret(registry, chain, solver, task_id, forced):
    past_reveal(registry, chain, task_id)
    root = TRUE_ROOT
    return registry.reveal_secret(task_id, SECRET, root, TRUE_MODEL, TRUE_PROOF, ARTIFACT_URI, {"from": solver})


def finalize(registry, chain, task_id):
    sleep_past(chain, registry.get_task(task_id)["challenge_deadline"])
    return registry.finalize(task_id, {"from": registry.get_task(task_id)["submitter"]})


def proofs_for(step_roots, steps):
    return [[bytes(p) for p in pr] for pr in rules.step_proofs(step_roots, steps)]


def random_leaf():
    return os.urandom(32)


def ensure_free_stake(pool, who, amount):
    """Bonds what `who` lacks of `amount` free stake (minting it: a test token)."""
    from brownie.network.state import _find_contract

    sm, token = _find_contract(pool.STAKE_MANAGER()), _find_contract(pool.TOKEN())
    free = sm.free_stake(who)
    if free < amount:
        token.mint(who, amount - free, {"from": who})
        token.approve(sm, amount - free, {"from": who})
        sm.bond(amount - free, {"from": who})


def prove(pool, task_id, verifier, step_roots, steps):
    """`prove` of the verifier's values against `step_roots`."""
    return pool.prove(task_id, proofs_for(step_roots, steps), {"from": verifier})


def prove_mismatch(pool, task_id, verifier, steps, k=0):
    """`prove_mismatch` at sample k against the committed wrong root."""
    return pool.prove_mismatch(task_id, k, WRONG_ROOTS[steps[k]], proofs_for(WRONG_ROOTS, [steps[k]])[0],
                               {"from": verifier})


def past_report_window(pool, chain, task_id):
    sleep_past(chain, pool.round_of(task_id)["finalized_at"] + pool.terms_of(task_id)["reveal_window"])
