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
#: forced_error_rate_ppm used to make a forced task (the highest allowed)
FORCED_RATE = 100_000
VERIFIER_STAKE = 10 * E18


def claim(registry, parameters, governance, solver, task_id, chain, forced):
    """Claims so that the task is (forced=True) or is not a forced-error task,
    and records the claim seed. A forced task is found by trying: at the
    highest rate, claim, mine the seed block, and roll the chain back (one
    more empty block each time, so the seed block changes) until
    keccak(SECRET || seed) is forced."""
    from brownie import web3
    from brownie.network.state import _notify_registry

    if not forced:
        parameters.set_parameter("forced_error_rate_ppm", 0, {"from": governance})
        registry.claim_task(task_id, keccak(SECRET), {"from": solver})
        chain.mine()  # the claim seed block
        registry.record_claim_seed(task_id, {"from": solver})
        return
    parameters.set_parameter("forced_error_rate_ppm", FORCED_RATE, {"from": governance})
    for i in range(400):
        height = chain.height
        snap = web3.provider.make_request("evm_snapshot", [])["result"]
        # a distinct gas limit per try: a rolled-back transaction is never resent as is
        tx = registry.claim_task(task_id, keccak(SECRET), {"from": solver, "gas_limit": 1_000_000 + i})
        chain.mine()
        seed = bytes(chain[tx.block_number + 1].hash)
        if rules.is_forced(SECRET, seed, FORCED_RATE):
            registry.record_claim_seed(task_id, {"from": solver})
            return
        web3.provider.make_request("evm_revert", [snap])
        _notify_registry(height)  # brownie forgets the rolled-back transactions
        chain.mine()
    raise AssertionError("no forced claim seed in 400 tries")


def mine_many(n):
    """Mines n empty blocks in one RPC call (past the 256-block blockhash window)."""
    from brownie import web3

    web3.provider.make_request("anvil_mine", [n])


def attest(pool, chain, task_id, verifier, step_roots, flag=False):
    """Joins, commits the values of `step_roots` at the verifier's samples; returns them."""
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
