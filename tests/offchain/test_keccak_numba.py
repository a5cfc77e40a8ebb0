"""The numba keccak256 and Merkle roots (offchain/commit/keccak_numba.py) equal eth_hash and merkle.py.

Also checks the compiled batch sampler and init bits against
offchain/runtime/randomness.py.
"""

from __future__ import annotations

import numpy as np
import pytest
from eth_hash.auto import keccak

from offchain.commit import keccak_numba, merkle
from offchain.runtime import randomness


def reference_tensor_root(words: np.ndarray) -> bytes:
    """Spec section 6 with merkle.py: 8 big-endian words per leaf, last leaf zero-filled."""
    raw = np.asarray(words, dtype=">u4").reshape(-1).tobytes()
    raw += b"\x00" * ((-len(raw)) % 32)
    raw = raw or b"\x00" * 32
    return merkle.root([raw[i : i + 32] for i in range(0, len(raw), 32)])


def random_words(n: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 2**32, n, dtype=np.uint64).astype(np.uint32)


# --- keccak256 --------------------------------------------------------------------
@pytest.mark.parametrize("n", [0, 1, 31, 32, 55, 64, 96, 135, 136, 137, 271, 272, 273, 1000])
def test_keccak256_matches_eth_hash(n):
    data = bytes(np.random.default_rng(n).integers(0, 256, n, dtype=np.uint8))
    assert keccak_numba.keccak256(data) == keccak(data)


def test_keccak256_known_vectors():
    # Ethereum keccak256 (not SHA3-256) of the empty string and of "abc"
    assert keccak_numba.keccak256(b"").hex() == "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"
    assert keccak_numba.keccak256(b"abc").hex() == "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45"


# --- Merkle roots -----------------------------------------------------------------
@pytest.mark.parametrize("n", list(range(1, 71)) + [128, 256, 512, 1024, 4096, 8193])
def test_tensor_root_matches_merkle_py(n):
    words = random_words(n, n)
    assert keccak_numba.merkle_root_u32(words) == reference_tensor_root(words)


def test_tensor_root_large():
    words = random_words(100_003, 7)
    assert keccak_numba.merkle_root_u32(words) == reference_tensor_root(words)


def test_tensor_root_accepts_shapes_and_float32():
    words = random_words(6 * 7, 3)
    want = reference_tensor_root(words)
    assert keccak_numba.merkle_root_u32(words.reshape(6, 7)) == want
    assert keccak_numba.merkle_root_u32(words.reshape(6, 7).view(np.float32)) == want
    assert keccak_numba.merkle_root_u32(words.reshape(7, 6).T.copy().T) == want


def test_tensor_root_of_one_leaf_is_the_leaf():
    words = np.arange(1, 9, dtype=np.uint32)
    assert keccak_numba.merkle_root_u32(words) == b"".join(int(w).to_bytes(4, "big") for w in words)
    assert keccak_numba.merkle_root_u32(np.array([5], dtype=np.uint32)) == (5).to_bytes(4, "big") + b"\x00" * 28


def test_tensor_root_depends_on_every_word():
    words = random_words(37, 11)
    root = keccak_numba.merkle_root_u32(words)
    for e in (0, 7, 8, 36):
        changed = words.copy()
        changed[e] ^= 1
        assert keccak_numba.merkle_root_u32(changed) != root


@pytest.mark.parametrize("n", [1, 2, 3, 5, 8, 13, 64, 100])
def test_root_over_leaves_matches_merkle_py(n):
    leaves = np.random.default_rng(n).integers(0, 256, (n, 32), dtype=np.uint8)
    assert keccak_numba.merkle_root_leaves(leaves) == merkle.root([bytes(row) for row in leaves])


def test_step_root_is_root_over_tensor_roots():
    tensors = [random_words(n, n).reshape(1, n) for n in (3, 64, 9, 1, 130)]
    want = merkle.root([reference_tensor_root(t) for t in tensors])
    assert keccak_numba.step_root(tensors) == want


def test_rejects_bad_input():
    with pytest.raises(ValueError, match="keccak_numba: leaves must be an \\(n, 32\\) uint8 array"):
        keccak_numba.merkle_root_leaves(np.zeros((2, 31), dtype=np.uint8))
    with pytest.raises(ValueError, match="keccak_numba: a tree needs at least one leaf"):
        keccak_numba.merkle_root_leaves(np.zeros((0, 32), dtype=np.uint8))
    with pytest.raises(ValueError, match="keccak_numba: tensor words must be uint32"):
        keccak_numba.merkle_root_u32(np.zeros(3, dtype=np.int64))
    with pytest.raises(ValueError, match="keccak_numba: a step has at least one node"):
        keccak_numba.step_root([])


# --- randomness -------------------------------------------------------------------
@pytest.mark.parametrize("seed", [0, 1, 0xDEADBEEF, 2**64 - 1])
def test_batch_rows_match_randomness(seed):
    for t, n_rows in ((1, 1797), (2, 1), (1000, 2**32 - 1), (7, 60_000)):
        got = keccak_numba.batch_rows(seed, t, 33, n_rows)
        assert got.dtype == np.int64
        assert (got == randomness.batch_rows(seed, t, 33, n_rows)).all()


@pytest.mark.parametrize("seed", [0, 12345, 2**64 - 1])
def test_init_u24_matches_randomness(seed):
    for slot in (0, 3):
        got = keccak_numba.init_u24(seed, slot, 70)
        assert got.dtype == np.int32
        assert (got == randomness.init_u24(seed, slot, 70)).all()


def test_randomness_rejects_out_of_range():
    with pytest.raises(ValueError, match="keccak_numba: seed, t, batch or data_rows out of range"):
        keccak_numba.batch_rows(2**64, 1, 3, 10)
    with pytest.raises(ValueError, match="keccak_numba: seed, slot or n out of range"):
        keccak_numba.init_u24(-1, 0, 3)


def test_matches_commit_tensor_python_path():
    """The plain-Python tensor root of offchain/commit/tensor.py agrees too."""
    from offchain.commit import tensor

    for n in (1, 8, 9, 77, 1000):
        words = random_words(n, 100 + n)
        assert keccak_numba.merkle_root_u32(words) == tensor.python_tensor_root(words)


# --- vectorised levels (offchain/commit/keccak_lanes.py) ----------------------------
def test_lanes_module_is_generated_from_its_script():
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    done = subprocess.run([sys.executable, "scripts/gen_keccak_lanes.py", "--check"], cwd=root,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_one_generated_permutation_and_its_block_form_agree_with_the_known_answer():
    """keccak_numba's scalar permutation is the generated one (one source of the rounds), it
    gives Keccak-f[1600]'s published answer on the zero state, and the vectorised block form
    (8 lane-major states) gives the scalar result on each of 8 random states."""
    from offchain.commit import keccak_lanes

    assert keccak_numba._keccak_f is keccak_lanes._perm1
    st = np.zeros(25, dtype=np.uint64)
    keccak_lanes._perm1(st)
    assert int(st[0]) == 0xF1258F7940E1DDE7 and int(st[24]) == 0xEAF1FF7B5CECA249  # Keccak team's KAT
    states = np.random.default_rng(7).integers(0, 2**63, (8, 25), dtype=np.uint64) * np.uint64(3)
    block = states.T.reshape(-1).copy()  # S[i * 8 + q]: lane i of state q
    keccak_lanes._perm_block(block)
    for q in range(8):
        one = states[q].copy()
        keccak_lanes._perm1(one)
        assert (block.reshape(25, 8)[:, q] == one).all()


@pytest.mark.parametrize("n", [0, 1, 8, 9, 15, 16, 17, 24, 40, 47, 48, 63, 127, 128, 129, 136, 255, 257,
                               16 * 8 * 64 - 1, 16 * 4096 - 5, 16 * 4096, 16 * 4096 + 9, 16 * 8 * 64 * 3 + 17])
def test_vectorised_tensor_root_equals_scalar(n):
    """Block edges (8 pairs), the scalar tail (< 3 pairs), the parallel cut (4096 pairs), odd levels."""
    from offchain.commit import keccak_lanes

    words = random_words(n, 1000 + n)
    assert (keccak_lanes.tensor_root_lanes(words) == keccak_numba._root_u32(words)).all()


@pytest.mark.parametrize("m", list(range(1, 40)) + [8191, 8193])
def test_vectorised_root_over_nodes_equals_scalar(m):
    from offchain.commit import keccak_lanes

    level = np.random.default_rng(m).integers(0, 2**63, (m, 4), dtype=np.uint64)
    assert (keccak_lanes.root_lanes(level) == keccak_numba._root_from_lanes(level)).all()


def test_tensor_root_is_the_same_for_any_thread_count():
    import numba

    words = random_words(16 * 4096 * 2 + 77, 5)
    want = reference_tensor_root(words)
    before = numba.get_num_threads()
    try:
        for threads in sorted({1, numba.config.NUMBA_NUM_THREADS}):
            numba.set_num_threads(threads)
            assert keccak_numba.merkle_root_u32(words) == want
    finally:
        numba.set_num_threads(before)
