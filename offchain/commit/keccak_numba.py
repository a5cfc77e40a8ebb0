"""Keccak-256 (Ethereum's, pre-SHA3 padding) and Merkle tensor roots, compiled with numba.

Owns the fast hashing path of the commitments: `merkle_root_u32` (the tensor
root of docs/reproducible-ops.md section 6), `merkle_root_leaves` (a root
over 32-byte leaves) and `merkle_roots_u32` (many tensor roots at once, for a
step root). It also owns fast, bit-identical versions of the counter-based
randomness of `offchain/runtime/randomness.py` (`batch_rows`, `init_u24`),
which hash the ABI encoding of three uint256 words. Every function here must
equal `offchain/commit/merkle.py` / `randomness.py` (eth_hash keccak) exactly;
tests/offchain/test_keccak_numba.py checks it.

Hashes are kept inside the tree as four little-endian uint64 Keccak lanes
(the digest bytes are lane 0..3, each little-endian), so inner nodes never
convert to bytes: keccak(left || right) absorbs lanes l0..l3, r0..r3.
A zero leaf is four zero lanes; padded subtrees use precomputed zero hashes.
The public roots hash each tree level 8 pairs at a time with the generated,
vectorised kernels of `keccak_lanes.py`; `_root_u32` / `_root_from_lanes`
here are the scalar versions they are tested against. The scalar permutation
`_keccak_f` is keccak_lanes' generated `_perm1` (one source of the rounds).
"""

from __future__ import annotations

import numba as nb
import numpy as np

from .. import jitcache
from . import keccak_lanes

jitcache.ensure_cache_dir()

# --- Keccak-f[1600]: the permutation is generated with the vectorised one ----------
# (scripts/gen_keccak_lanes.py emits both from one round body into keccak_lanes.py)
_keccak_f = keccak_lanes._perm1
_R8 = np.uint64(8)
_R16 = np.uint64(16)
_R24 = np.uint64(24)
_R32 = np.uint64(32)
_PAD_FIRST = np.uint64(0x01)  # Keccak (not SHA3) domain padding byte
_PAD_LAST = np.uint64(0x8000000000000000)  # final bit of the rate block
_RATE_LANES = 17  # 136-byte rate of keccak-256
_MAX_DEPTH = 64  # tree heights handled (2^64 leaves)

_JIT = dict(nogil=True, cache=True, error_model="numpy")


# --- byte-order helpers -------------------------------------------------------------
_M8 = np.uint64(0xFF)
_M32 = np.uint64(0xFFFFFFFF)


@nb.njit(**_JIT)
def _bswap32(x):
    """Reverse the 4 low bytes of a uint64 (the high half must be zero)."""
    return (
        ((x & _M8) << _R24)
        | (((x >> _R8) & _M8) << _R16)
        | (((x >> _R16) & _M8) << _R8)
        | ((x >> _R24) & _M8)
    )


@nb.njit(**_JIT)
def _bswap64(x):
    return (_bswap32(x & _M32) << _R32) | _bswap32(x >> _R32)


# --- sponge -------------------------------------------------------------------------
@nb.njit(**_JIT)
def _keccak256_bytes(data):
    """keccak256 of a uint8 array; returns the 32-byte digest as uint8[32]."""
    st = np.zeros(25, dtype=np.uint64)
    n = data.shape[0]
    block = np.zeros(136, dtype=np.uint8)
    pos = 0
    while True:
        take = min(136, n - pos)
        block[:] = 0
        block[:take] = data[pos : pos + take]
        last = take < 136
        if last:
            block[take] ^= np.uint8(0x01)
            block[135] ^= np.uint8(0x80)
        for j in range(_RATE_LANES):
            lane = np.uint64(0)
            for q in range(8):
                lane |= np.uint64(block[8 * j + q]) << np.uint64(8 * q)
            st[j] ^= lane
        _keccak_f(st)
        pos += take
        if last:
            break
    out = np.empty(32, dtype=np.uint8)
    for i in range(32):
        out[i] = np.uint8((st[i // 8] >> np.uint64(8 * (i % 8))) & _M8)
    return out


@nb.njit(**_JIT)
def _hash_pair(st, left, right, out):
    """out[0:4] = lanes of keccak256(left || right); left, right, out are 4-lane arrays."""
    for j in range(25):
        st[j] = 0
    for j in range(4):
        st[j] = left[j]
        st[4 + j] = right[j]
    st[8] = _PAD_FIRST
    st[16] = _PAD_LAST
    _keccak_f(st)
    for j in range(4):
        out[j] = st[j]


# --- Merkle trees in lane form ----------------------------------------------------
@nb.njit(**_JIT)
def _root_from_lanes(level):
    """Root (4 lanes) of the zero-padded power-of-two tree over `level` (n, 4) leaves."""
    n = level.shape[0]
    depth = 0
    while (1 << depth) < n:
        depth += 1
    st = np.empty(25, dtype=np.uint64)
    zero = np.zeros(4, dtype=np.uint64)  # root of an all-zero subtree of the current height
    cur = level
    m = n
    for _h in range(depth):
        nxt = np.empty(((m + 1) // 2, 4), dtype=np.uint64)
        for i in range(m // 2):
            _hash_pair(st, cur[2 * i], cur[2 * i + 1], nxt[i])
        if m % 2 == 1:
            _hash_pair(st, cur[m - 1], zero, nxt[m // 2])
        _hash_pair(st, zero, zero, zero)
        cur = nxt
        m = (m + 1) // 2
    out = np.empty(4, dtype=np.uint64)
    out[:] = cur[0]
    return out


@nb.njit(**_JIT)
def _u32_leaf_lanes(words):
    """Pack uint32 words 8 per leaf, lane 0 most significant, into (n_leaves, 4) Keccak lanes."""
    n = words.shape[0]
    n_leaves = max(1, (n + 7) // 8)
    out = np.zeros((n_leaves, 4), dtype=np.uint64)
    full = n // 2
    for p in range(full):  # word pair (2p, 2p+1) fills one Keccak lane
        lo = _bswap32(np.uint64(words[2 * p]))
        hi = _bswap32(np.uint64(words[2 * p + 1]))
        out[p // 4, p % 4] = lo | (hi << _R32)
    if n % 2 == 1:
        out[full // 4, full % 4] = _bswap32(np.uint64(words[n - 1]))
    return out


@nb.njit(**_JIT)
def _byte_leaf_lanes(leaves):
    """(n, 32) uint8 leaves to (n, 4) little-endian Keccak lanes."""
    n = leaves.shape[0]
    out = np.zeros((n, 4), dtype=np.uint64)
    for i in range(n):
        for j in range(4):
            lane = np.uint64(0)
            for q in range(8):
                lane |= np.uint64(leaves[i, 8 * j + q]) << np.uint64(8 * q)
            out[i, j] = lane
    return out


@nb.njit(**_JIT)
def _root_u32(words):
    return _root_from_lanes(_u32_leaf_lanes(words))


def _lanes_to_bytes(lanes: np.ndarray) -> bytes:
    return np.ascontiguousarray(lanes, dtype="<u8").tobytes()


# --- counter-based randomness -------------------------------------------------------
@nb.njit(**_JIT)
def _h3_lanes(st, a, b, c):
    """Keccak lanes of keccak256(abi.encode(uint256 a, uint256 b, uint256 c)) for a, b, c < 2^64."""
    for j in range(25):
        st[j] = 0
    st[3] = _bswap64(a)
    st[7] = _bswap64(b)
    st[11] = _bswap64(c)
    st[12] = _PAD_FIRST
    st[16] = _PAD_LAST
    _keccak_f(st)


@nb.njit(**_JIT)
def _batch_rows(seed, t, batch, data_rows):
    st = np.empty(25, dtype=np.uint64)
    out = np.empty(batch, dtype=np.int64)
    n = np.uint64(data_rows)
    for b in range(batch):
        _h3_lanes(st, seed, np.uint64(t), np.uint64(b))
        r = np.uint64(0)
        for j in range(4):  # the digest as a big-endian integer, 32 bits at a time
            lane = _bswap64(st[j])
            r = ((r << _R32) | (lane >> _R32)) % n
            r = ((r << _R32) | (lane & _M32)) % n
        out[b] = np.int64(r)
    return out


@nb.njit(**_JIT)
def _init_u24(seed, slot, n):
    st = np.empty(25, dtype=np.uint64)
    out = np.empty(n, dtype=np.int32)
    for e in range(n):
        _h3_lanes(st, seed, np.uint64(slot), np.uint64(e))
        lane = st[0]  # digest bytes 0..2 are its low three bytes
        out[e] = np.int32(((lane & _M8) << _R16) | (((lane >> _R8) & _M8) << _R8) | ((lane >> _R16) & _M8))
    return out


# --- public interface ---------------------------------------------------------------
def keccak256(data: bytes) -> bytes:
    """Ethereum keccak256 of `data`."""
    return _keccak256_bytes(np.frombuffer(bytes(data), dtype=np.uint8)).tobytes()


def merkle_root_leaves(leaves: np.ndarray) -> bytes:
    """Merkle root over n >= 1 leaves given as an (n, 32) uint8 array."""
    arr = np.asarray(leaves)
    if arr.dtype != np.uint8 or arr.ndim != 2 or arr.shape[1] != 32:
        raise ValueError("keccak_numba: leaves must be an (n, 32) uint8 array")
    if arr.shape[0] < 1:
        raise ValueError("keccak_numba: a tree needs at least one leaf")
    return _lanes_to_bytes(keccak_lanes.root_lanes(_byte_leaf_lanes(np.ascontiguousarray(arr))))


def merkle_root_u32(words: np.ndarray) -> bytes:
    """Tensor root of a uint32 array (any shape, flattened row-major); one zero leaf if empty."""
    arr = np.asarray(words)
    if arr.dtype == np.float32:
        arr = arr.view(np.uint32)
    if arr.dtype != np.uint32:
        raise ValueError("keccak_numba: tensor words must be uint32 (or float32 bits)")
    return _lanes_to_bytes(keccak_lanes.tensor_root_lanes(np.ascontiguousarray(arr).reshape(-1)))


def merkle_roots_u32(tensors: list[np.ndarray]) -> list[bytes]:
    """Tensor roots of several uint32 arrays, in order."""
    return [merkle_root_u32(t) for t in tensors]


def step_root(tensors: list[np.ndarray]) -> bytes:
    """S_t: the Merkle root over the tensor roots of a step's node outputs, in program order."""
    if not tensors:
        raise ValueError("keccak_numba: a step has at least one node")
    roots = merkle_roots_u32(tensors)
    leaves = np.frombuffer(b"".join(roots), dtype=np.uint8).reshape(len(roots), 32)
    return merkle_root_leaves(leaves)


def batch_rows(seed: int, t: int, batch: int, data_rows: int) -> np.ndarray:
    """Same as randomness.batch_rows (int64 dataset rows of step t's batch), compiled."""
    if not (0 <= seed < 2**64 and 0 <= t < 2**63 and batch >= 0 and 0 < data_rows < 2**32):
        raise ValueError("keccak_numba: seed, t, batch or data_rows out of range")
    return _batch_rows(np.uint64(seed), t, batch, data_rows)


def init_u24(seed: int, slot: int, n: int) -> np.ndarray:
    """Same as randomness.init_u24 (top 24 bits of keccak256(seed, slot, e)), compiled."""
    if not (0 <= seed < 2**64 and 0 <= slot < 2**63 and n >= 0):
        raise ValueError("keccak_numba: seed, slot or n out of range")
    return _init_u24(np.uint64(seed), slot, n)
