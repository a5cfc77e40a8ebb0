"""Which steps a verifier checks: drawn from block randomness that did not exist
when the result was committed (the hash of the block after the commit), mixed
with the verifier's address so verifiers check different steps. The verifier
passes the number of segments n_b - 1 as `num_steps`: what it draws are the
boundary indices i of the run tree (b(i) = min(i * c, T))."""

from __future__ import annotations

from eth_hash.auto import keccak


def sample_steps(block_hash: bytes, verifier: str, task_id: int, num_steps: int, samples: int) -> list[int]:
    """`samples` distinct steps in 1..num_steps (all of them when samples >= num_steps), sorted."""
    if num_steps < 1:
        raise ValueError("sampling: a task has at least one step")
    if samples >= num_steps:
        return list(range(1, num_steps + 1))
    seed = keccak(bytes(block_hash) + bytes.fromhex(verifier[2:].lower()) + task_id.to_bytes(32, "big"))
    out: list[int] = []
    i = 0
    while len(out) < samples:
        h = int.from_bytes(keccak(seed + i.to_bytes(32, "big")), "big")
        t = 1 + h % num_steps
        if t not in out:
            out.append(t)
        i += 1
    return sorted(out)


def detection_probability(fraction: float, samples: int) -> float:
    """1 - (1 - F)^s: the chance that s sampled steps hit a fraction F of faked steps."""
    return 1.0 - (1.0 - fraction) ** samples
