"""The incentive layer's on-chain formulas, in Python, bit for bit:

- forced error: keccak256(secret || seed) mod 1e6 < rate_ppm (no seed: forced);
- a verifier's sample i: 1 + keccak256(abi_encode(seed, verifier, task_id, i)) mod T;
- an attestation commitment: keccak256(abi_encode(task_id, verifier, values, salt));
- the deliberately wrong run root of a forced task: every S_t replaced by
  keccak256(S_t || secret), so every sampled step differs;
- the provers' pot of a fee and the verifier stake of a task
  (VerifierPool.stake_for): lazy verification loses money at every payment.
"""

from __future__ import annotations

from eth_abi import encode
from eth_hash.auto import keccak

from ..commit import merkle
from ..commit.roots import boundaries

PPM = 1_000_000
BPS = 10_000
#: VerifierPool.REPORT_BOUNTY_BPS: the reporter's share of a reported verifier's stake
REPORT_BOUNTY_BPS = 1_000
#: VerifierPool.STAKE_MARGIN: the verifier stake over the break-even stake of lazy verification
STAKE_MARGIN = 2


def pot(fee: int, jackpot_share_bps: int, rate_ppm: int) -> int:
    """The provers' pot of a fee (VerifierPool._pot): none when no task can be forced."""
    return 0 if rate_ppm == 0 else fee - fee * jackpot_share_bps // BPS


def verifier_stake(fee: int, rate_ppm: int, jackpot_share_bps: int, min_stake: int) -> int:
    """VerifierPool.stake_for: max(min_stake, STAKE_MARGIN * ceil(pot * (1e6 - rate) / rate))."""
    p = pot(fee, jackpot_share_bps, rate_ppm)
    if p == 0 or rate_ppm >= PPM:
        return min_stake
    return max(min_stake, STAKE_MARGIN * (-(-p * (PPM - rate_ppm) // rate_ppm)))


def secret_hash(secret: bytes) -> bytes:
    """keccak256(secret), what claim_task takes."""
    _check32(secret, "secret")
    return keccak(secret)


def is_forced(secret: bytes, seed: bytes, rate_ppm: int) -> bool:
    """TaskRegistry._is_forced: an unrecorded (zero) seed means forced."""
    _check32(secret, "secret")
    if seed == bytes(32):
        return True
    return int.from_bytes(keccak(secret + seed), "big") % PPM < rate_ppm


def sample_steps(seed: bytes, verifier: str, task_id: int, num_steps: int, samples: int,
                 interval: int = 1) -> list[int]:
    """VerifierPool.sample_steps: `samples` boundary indices i in 1..n_b - 1 of the run tree
    (n_b = ceil(T / interval) + 1; i = the step t when the interval is 1), in draw order,
    repeats allowed. The verifier attests S_b(i), b(i) = min(i * interval, T)."""
    if num_steps < 1:
        raise ValueError("incentives: a task has at least one step")
    if interval < 1:
        raise ValueError("incentives: the checkpoint interval is at least 1")
    n = len(boundaries(num_steps, interval)) - 1
    return [1 + int.from_bytes(keccak(encode(["bytes32", "address", "uint256", "uint256"],
                                             [seed, verifier, task_id, i])), "big") % n
            for i in range(samples)]


def commitment(task_id: int, verifier: str, values: list[bytes], salt: bytes) -> bytes:
    """VerifierPool.commit_attestation's hash."""
    return keccak(encode(["uint256", "address", "bytes32[]", "bytes32"], [task_id, verifier, list(values), salt]))


def wrong_step_roots(step_roots: list[bytes], secret: bytes) -> list[bytes]:
    """The forced error: every boundary step root S_b(i) replaced by keccak256(S_b(i) || secret)."""
    return [keccak(bytes(s) + secret) for s in step_roots]


def run_tree(step_roots: list[bytes]) -> list[list[bytes]]:
    """Merkle levels over the boundary step roots S_b(0)..S_b(n_b-1) (the run root is the
    last level's only node)."""
    return merkle.levels(list(step_roots))


def step_proofs(step_roots: list[bytes], steps: list[int]) -> list[list[bytes]]:
    """Merkle proofs of leaf i (S_b(i)) for each boundary index i in `steps` against the run root."""
    tree = run_tree(step_roots)
    return [merkle.proof(tree, t) for t in steps]


def _check32(b: bytes, what: str) -> None:
    if not isinstance(b, (bytes, bytearray)) or len(b) != 32:
        raise ValueError(f"incentives: {what} must be 32 bytes")
