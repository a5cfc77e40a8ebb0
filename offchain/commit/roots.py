"""Step, run and micro-trace roots (docs/reproducible-ops.md section 6).

S_t is the Merkle root over the tensor roots of the node outputs of step t in
program order; the run root R is the Merkle root over S_0..S_T; the
micro-trace root of an element is the tensor root of its K + 1 states.
"""

from __future__ import annotations

import numpy as np

from . import merkle
from .tensor import levels_of, tensor_root


def node_roots(outputs: list[np.ndarray]) -> list[bytes]:
    """Tensor roots of every node output of one step, in program order."""
    return [tensor_root(out) for out in outputs]


def step_root_of(roots: list[bytes]) -> bytes:
    """S_t from the node output roots of step t."""
    return merkle.root(list(roots))


def step_root(outputs: list[np.ndarray]) -> bytes:
    """S_t from the node outputs of step t."""
    return step_root_of(node_roots(outputs))


def run_root(step_roots: list[bytes]) -> bytes:
    """R from S_0, S_1, ..., S_T."""
    if not step_roots:
        raise ValueError("roots: a run has at least step 0")
    return levels_of(list(step_roots))[-1][0]


def final_model(step_roots: list[bytes]) -> tuple[bytes, list[bytes]]:
    """(S_T, its proof as leaf T of the run tree): the final model hash and the
    exact-depth proof that commit_result and reveal_secret require."""
    tree = levels_of(list(step_roots))
    t = len(step_roots) - 1
    return step_roots[t], merkle.proof(tree, t)


def trace_root(states: np.ndarray) -> bytes:
    """Micro-trace root: the tensor root of the uint32 states s_0..s_K."""
    return tensor_root(np.asarray(states, dtype=np.uint32))
