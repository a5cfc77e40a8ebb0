"""Tensor, step, run and micro-trace roots follow the byte layout of the spec."""

from __future__ import annotations

import numpy as np
import pytest
from eth_hash.auto import keccak

from offchain.commit import merkle, roots, tensor


def _manual_root(words: list[int]) -> bytes:
    padded = words + [0] * (-len(words) % 8)
    leaves = [b"".join(w.to_bytes(4, "big") for w in padded[i:i + 8]) for i in range(0, len(padded), 8)]
    return merkle.root(leaves)


@pytest.mark.parametrize("n", [1, 7, 8, 9, 17, 64, 100])
def test_tensor_root_layout(n):
    rng = np.random.default_rng(n)
    words = rng.integers(0, 2**32, n, dtype=np.uint64).astype(np.uint32)
    want = _manual_root([int(w) for w in words])
    assert tensor.tensor_root(words) == want
    assert tensor.python_tensor_root(words) == want
    assert tensor.tensor_root(words.reshape(1, n)) == want  # only the flat order counts


def test_single_leaf_and_lane_order():
    words = np.array([1, 2], np.uint32)
    leaf = (1).to_bytes(4, "big") + (2).to_bytes(4, "big") + bytes(24)
    assert tensor.tensor_root(words) == leaf  # a one-leaf tree is its leaf
    assert tensor.leaf_lane(leaf, 0) == 1 and tensor.leaf_lane(leaf, 1) == 2
    assert tensor.tensor_root(np.array([2, 1], np.uint32)) != leaf


def test_tensor_root_rejects_bad_words():
    with pytest.raises(ValueError, match="must be uint32"):
        tensor.tensor_root(np.zeros(3, np.float32))
    with pytest.raises(ValueError, match="empty tensor"):
        tensor.tensor_root(np.zeros(0, np.uint32))


def test_step_and_run_roots():
    outs = [np.arange(n, dtype=np.uint32).reshape(1, n) for n in (3, 9, 1)]
    node_roots = [tensor.tensor_root(o) for o in outs]
    s = roots.step_root(outs)
    assert s == merkle.root(node_roots)
    assert s == keccak(keccak(node_roots[0] + node_roots[1]) + keccak(node_roots[2] + merkle.ZERO32))
    assert roots.run_root([s]) == s
    assert roots.run_root([s, s, s]) == merkle.root([s, s, s])
    with pytest.raises(ValueError, match="at least step 0"):
        roots.run_root([])


def test_trace_root_is_tensor_root():
    states = [0, 0x3F800000, 0x40000000]
    assert roots.trace_root(np.array(states, np.uint32)) == _manual_root(states)
