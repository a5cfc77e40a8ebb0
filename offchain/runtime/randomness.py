"""Counter-based randomness shared by every executor and by the contracts.

`batch_rows` is the batch sampler and `init_u24` the source of initial
weights (docs/reproducible-ops.md section 4). Both hash the ABI encoding of
three uint256 words with keccak256, exactly as the contracts do.
"""

from __future__ import annotations

import numpy as np
from eth_hash.auto import keccak


def _h3(a: int, b: int, c: int) -> int:
    return int.from_bytes(keccak(a.to_bytes(32, "big") + b.to_bytes(32, "big") + c.to_bytes(32, "big")), "big")


def batch_row(seed: int, t: int, b: int, data_rows: int) -> int:
    """Dataset row of batch element b at step t."""
    return _h3(seed, t, b) % data_rows


def batch_rows(seed: int, t: int, batch: int, data_rows: int) -> np.ndarray:
    """Dataset rows of the whole batch of step t, as int64 indices."""
    return np.array([batch_row(seed, t, b, data_rows) for b in range(batch)], dtype=np.int64)


def init_u24(seed: int, slot: int, n: int) -> np.ndarray:
    """Top 24 bits of keccak256(seed, slot, e) for e in 0..n-1, as int32."""
    return np.array([_h3(seed, slot, e) >> 232 for e in range(n)], dtype=np.int32)
