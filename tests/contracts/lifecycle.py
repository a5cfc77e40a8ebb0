"""Constants and helpers of the money-contract tests: the default task terms,
the status codes, a run root whose leaf T is the final model (with its
proof), and time travel to just before or past a deadline.
Test modules import these by name (`from lifecycle import PAYMENT`).

PROGRAM_ROOT is the root of a real (small) program tree, and create_args
passes its real header with the header's proof as leaf 0 (create_task
checks both)."""

from eth_hash.auto import keccak

from offchain.commit import merkle
from offchain.commit.roots import boundaries
from offchain.dispute.tiny import tiny_task

E18 = 10**18
PAYMENT = 1_000 * E18
SOLVER_STAKE = 100 * E18
CLAIM_PERIOD = 3_600
SOLVE_PERIOD = 86_400
NUM_STEPS = 1_000
CHECKPOINT_INTERVAL = 100
SPEC_HASH = "0x" + "11" * 32
_ROOT, HEADER, HEADER_PROOF = tiny_task()
PROGRAM_ROOT = "0x" + _ROOT.hex()
DATA_ROOT = "0x" + "33" * 32
MODEL_HASH = "0x" + "55" * 32
ARTIFACT_URI = "http://127.0.0.1:8000/artifacts/"



def run_with_model(num_steps, final_model_hash, salt=b"run", interval=CHECKPOINT_INTERVAL):
    """(run_root, proof): a run tree of n_b = ceil(T / interval) + 1 boundary leaves whose
    last leaf (S_T) is `final_model_hash`, its other leaves made up from `salt`, and the
    exact-depth proof of that last leaf (what commit_result requires)."""
    h = bytes.fromhex(final_model_hash[2:]) if isinstance(final_model_hash, str) else bytes(final_model_hash)
    last = len(boundaries(num_steps, interval)) - 1
    leaves = [keccak(salt + t.to_bytes(8, "big")) for t in range(last)] + [h]
    tree = merkle.levels(leaves)
    return "0x" + tree[-1][0].hex(), ["0x" + p.hex() for p in merkle.proof(tree, last)]


RUN_ROOT, MODEL_PROOF = run_with_model(NUM_STEPS, MODEL_HASH)

OPEN, CLAIMED, COMMITTED, FINALIZED, CANCELLED, EXPIRED, REJECTED = range(1, 8)


def create_args(**over):
    """Positional arguments of create_task, defaults overridable by name."""
    args = dict(
        spec_hash=SPEC_HASH,
        program_root=PROGRAM_ROOT,
        data_root=DATA_ROOT,
        num_steps=NUM_STEPS,
        checkpoint_interval=CHECKPOINT_INTERVAL,
        payment=PAYMENT,
        solver_stake=SOLVER_STAKE,
        claim_period=CLAIM_PERIOD,
        solve_period=SOLVE_PERIOD,
        header=HEADER,
        header_proof=HEADER_PROOF,
    )
    args.update(over)
    return list(args.values())


def sleep_past(chain, deadline):
    """Moves chain time to just after `deadline`."""
    now = chain.time()
    if deadline >= now:
        chain.sleep(deadline - now + 2)
    chain.mine()


def sleep_until_before(chain, deadline, margin=5):
    """Moves chain time to a few seconds before `deadline`."""
    chain.sleep(deadline - chain.time() - margin)
