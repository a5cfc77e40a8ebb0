"""Tensor roots: uint32 words packed 8 per 32-byte leaf, keccak256 Merkle tree.

Element e of a tensor (its flat row-major index) sits in leaf e // 8, lane
e % 8, lane 0 being the most significant 4 bytes; the last leaf is
zero-filled (docs/reproducible-ops.md section 6). `tensor_root` is the single
entry point used by every commitment; `tensor_levels` keeps the whole tree
for proofs. Leaves are packed with numpy and hashed with the C keccak of
pysha3 when present (eth_hash otherwise); the numba Merkle root of
`offchain.commit.keccak_numba` is used when that module is installed.
"""

from __future__ import annotations

import numpy as np

from . import merkle

try:  # C keccak256: about 7x faster per call than eth_hash's default backend
    import sha3 as _sha3

    def _keccak(data: bytes) -> bytes:
        return _sha3.keccak_256(data).digest()
except ImportError:  # pragma: no cover - eth_hash is always installed
    from eth_hash.auto import keccak as _keccak

LANES = 8  # uint32 words per 32-byte leaf


def _as_words(words: np.ndarray) -> np.ndarray:
    arr = np.asarray(words)
    if arr.dtype != np.uint32:
        raise ValueError(f"tensor: words must be uint32 bit patterns, got {arr.dtype}")
    if arr.size == 0:
        raise ValueError("tensor: an empty tensor has no root")
    return arr.reshape(-1)


def pack_leaves(words: np.ndarray) -> list[bytes]:
    """The 32-byte leaves of a tensor: big-endian words, 8 per leaf, zero-padded."""
    flat = _as_words(words)
    n_leaves = -(-flat.size // LANES)
    padded = np.zeros(n_leaves * LANES, dtype=">u4")
    padded[: flat.size] = flat
    buf = padded.tobytes()
    return [buf[i : i + 32] for i in range(0, len(buf), 32)]


def leaf_lane(leaf: bytes, lane: int) -> int:
    """The uint32 word in lane `lane` (0 = most significant) of a 32-byte leaf."""
    if len(leaf) != 32 or not 0 <= lane < LANES:
        raise ValueError("tensor: bad leaf or lane")
    return int.from_bytes(leaf[4 * lane : 4 * lane + 4], "big")


def levels_of(leaves: list[bytes]) -> list[list[bytes]]:
    """All levels of the padded Merkle tree over `leaves` (same tree as merkle.levels)."""
    level = list(leaves) + [merkle.ZERO32] * (merkle.next_pow2(len(leaves)) - len(leaves))
    out = [level]
    while len(level) > 1:
        level = [_keccak(level[i] + level[i + 1]) for i in range(0, len(level), 2)]
        out.append(level)
    return out


def tensor_levels(words: np.ndarray) -> list[list[bytes]]:
    """The whole tensor tree, leaves first, root last (for proofs)."""
    return levels_of(pack_leaves(words))


def _python_root(words: np.ndarray) -> bytes:
    return tensor_levels(words)[-1][0]


try:
    from .keccak_numba import merkle_root_u32 as _fast_root
except ImportError:
    _fast_root = None


def tensor_root(words: np.ndarray) -> bytes:
    """The tensor root of uint32 words (any shape; the flat row-major order counts)."""
    flat = _as_words(words)
    if _fast_root is not None:
        return bytes(_fast_root(np.ascontiguousarray(flat)))
    return _python_root(flat)


def python_tensor_root(words: np.ndarray) -> bytes:
    """The tensor root computed by the plain-Python path (an oracle for faster ones)."""
    return _python_root(_as_words(words))
