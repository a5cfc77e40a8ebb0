"""Step, run, segment and micro-trace roots (docs/reproducible-ops.md section 6).

S_t is the Merkle root over the tensor roots of the node outputs of step t in
program order. With the task's checkpoint interval c, the boundary steps are
b(i) = min(i * c, T) for i = 0..n_b - 1, n_b = ceil(T / c) + 1 (`boundaries`);
the run root R is the Merkle root over the boundary step roots S_b(0)..S_b(n_b-1)
(`run_root`), so a solver hashes a step's outputs only every c steps. A
segment root (`segment_root`) is the Merkle root over S_b(i-1), ..., S_b(i),
computed on demand in a dispute. The micro-trace root of an element is the
tensor root of its K + 1 states. With c = 1 the run root is the root over
S_0..S_T.
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


def boundaries(steps: int, interval: int) -> list[int]:
    """The boundary steps b(0..n_b-1) = min(i * c, T) of a run of T = `steps` steps with
    checkpoint interval c = `interval`: the steps whose roots are the run tree's leaves."""
    if steps < 0:
        raise ValueError("roots: steps must be >= 0")
    if interval < 1:
        raise ValueError("roots: checkpoint interval must be >= 1")
    n = -(-steps // interval) + 1
    return [min(i * interval, steps) for i in range(n)]


def is_boundary(t: int, steps: int, interval: int) -> bool:
    """Whether step t is a boundary step (its S_t is a leaf of the run tree)."""
    return t % interval == 0 or t == steps


def segment_of(t: int, interval: int) -> int:
    """The segment i >= 1 that holds step t >= 1 after its first leaf: b(i-1) < t <= b(i)."""
    return -(-t // interval)


def run_root(boundary_roots: list[bytes]) -> bytes:
    """R from the boundary step roots S_b(0), ..., S_b(n_b-1) (S_0..S_T when c = 1)."""
    if not boundary_roots:
        raise ValueError("roots: a run has at least step 0")
    return levels_of(list(boundary_roots))[-1][0]


def segment_root(segment_step_roots: list[bytes]) -> bytes:
    """A segment root: the Merkle root over S_b(i-1), S_b(i-1)+1, ..., S_b(i) (L + 1 >= 2 leaves)."""
    if len(segment_step_roots) < 2:
        raise ValueError("roots: a segment has at least two step roots")
    return levels_of(list(segment_step_roots))[-1][0]


def final_model(boundary_roots: list[bytes]) -> tuple[bytes, list[bytes]]:
    """(S_T, its proof as the last leaf n_b - 1 of the run tree): the final model hash
    and the exact-depth proof that commit_result and reveal_secret require."""
    tree = levels_of(list(boundary_roots))
    i = len(boundary_roots) - 1
    return boundary_roots[i], merkle.proof(tree, i)


def trace_root(states: np.ndarray) -> bytes:
    """Micro-trace root: the tensor root of the uint32 states s_0..s_K."""
    return tensor_root(np.asarray(states, dtype=np.uint32))
