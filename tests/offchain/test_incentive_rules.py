"""offchain.incentives.rules: the forced-error rule, sampling, commitments and
the wrong root, against independent recomputation (the contracts are checked
against the same functions in tests/contracts/incentives)."""

import pytest
from eth_abi import encode
from eth_hash.auto import keccak

from offchain.commit import merkle
from offchain.incentives import rules

SECRET = b"\x07" * 32
VERIFIER = "0x" + "ab" * 20


def test_unrecorded_seed_is_forced():
    assert rules.is_forced(SECRET, bytes(32), 0)


def test_forced_rate_is_respected():
    seeds = [keccak(i.to_bytes(32, "big")) for i in range(2_000)]
    hits = sum(rules.is_forced(SECRET, s, 100_000) for s in seeds)
    assert 140 <= hits <= 260  # 10 % of 2,000, well within binomial noise
    assert not any(rules.is_forced(SECRET, s, 0) for s in seeds)
    assert all(rules.is_forced(SECRET, s, 1_000_000) for s in seeds)


def test_samples_in_range_and_deterministic():
    seed = keccak(b"seed")
    a = rules.sample_steps(seed, VERIFIER, 5, 9, 16)
    assert a == rules.sample_steps(seed, VERIFIER, 5, 9, 16)
    assert all(1 <= t <= 9 for t in a) and len(a) == 16
    assert a != rules.sample_steps(seed, "0x" + "cd" * 20, 5, 9, 16)
    with pytest.raises(ValueError, match="at least one step"):
        rules.sample_steps(seed, VERIFIER, 5, 0, 3)


def test_commitment_is_abi_encoding():
    values = [b"\x01" * 32, b"\x02" * 32]
    want = keccak(encode(["uint256", "address", "bytes32[]", "bytes32"], [3, VERIFIER, values, SECRET]))
    assert rules.commitment(3, VERIFIER, values, SECRET) == want
    assert rules.commitment(3, VERIFIER, values[::-1], SECRET) != want


def test_wrong_root_differs_at_every_step():
    roots = [keccak(bytes([t]) * 32) for t in range(5)]
    wrong = rules.wrong_step_roots(roots, SECRET)
    assert all(a != b for a, b in zip(roots, wrong, strict=True))
    proofs = rules.step_proofs(roots, [0, 4])
    assert merkle.verify(merkle.root(roots), roots[4], 4, proofs[1])


def test_secret_must_be_32_bytes():
    with pytest.raises(ValueError, match="32 bytes"):
        rules.secret_hash(b"short")
