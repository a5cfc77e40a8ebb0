"""Constants and helpers of the money-contract tests: the default task terms,
the status codes, and time travel to just before or past a deadline.
Test modules import these by name (`from lifecycle import PAYMENT`).

PROGRAM_ROOT is the root of a real (small) program tree, and create_args
passes its real header with the header's proof as leaf 0 (create_task
checks both)."""

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
RUN_ROOT = "0x" + "44" * 32
MODEL_HASH = "0x" + "55" * 32
ARTIFACT_URI = "http://127.0.0.1:8000/artifacts/"

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
