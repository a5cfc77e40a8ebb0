"""Test helpers: special float32 bit patterns, one-node programs, a per-element oracle.

The oracle computes every output element of a node through
`micro.element_trace`, i.e. scalar numpy float32 arithmetic one element at a
time (docs/reproducible-ops.md section 5); the executors vectorise.
"""

from __future__ import annotations

import numpy as np

from offchain.runtime import micro
from offchain.runtime.opcodes import Op, Ref
from offchain.runtime.program import Header, Node, Program

SPECIAL = np.array([
    0x00000000, 0x80000000,  # +0, -0
    0x00000001, 0x80000001, 0x007FFFFF, 0x807FFFFF, 0x00400000,  # subnormals
    0x00800000, 0x80800000,  # smallest normals
    0x7F7FFFFF, 0xFF7FFFFF, 0x7F000000,  # largest finite, 2^127
    0x7F800000, 0xFF800000,  # +-inf
    0x7FC00000, 0xFFC00000, 0x7FC00001, 0x7F800001,  # NaNs: canonical, negative, payload, signalling
    0x3F800000, 0xBF800000, 0x33800000, 0x33800001, 0x3F800001,  # 1, -1, 2^-24 (ties with 1), 1+ulp
    0x34000000, 0x4B000000, 0x4B000001,  # 2^-23, 2^23, 2^23+1 (ties at 0.5)
], dtype=np.uint32)


def special_bits(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """uint32 patterns: a third special values, a third random bits, a third ordinary floats."""
    n = int(np.prod(shape))
    pick = rng.integers(0, 3, n)
    out = rng.standard_normal(n).astype(np.float32).view(np.uint32)
    out = np.where(pick == 0, SPECIAL[rng.integers(0, len(SPECIAL), n)], out)
    out = np.where(pick == 1, rng.integers(0, 2**32, n, dtype=np.uint64).astype(np.uint32), out)
    return out.astype(np.uint32).reshape(shape)


def one_node_program(node: Node, slots: list[tuple[int, int]], data_shape: tuple[int, int] = (1, 1),
                     batch: int = 1, seed: int = 7) -> Program:
    """A valid program whose step 0 is node (slot 0) + INIT_UNIFORMs or whose step 1 starts with `node`.

    State slots have the given shapes; the step program is [node, then one
    SCALE-by-1 node per slot] so that the last n_state nodes are the state.
    """
    init = tuple(Node(Op.INIT_UNIFORM, (), r, c, 0, 0x3F800000) for r, c in slots)
    keep = tuple(Node(Op.SCALE, ((Ref.STATE, s),), r, c, 0, 0x3F800000) for s, (r, c) in enumerate(slots))
    header = Header(len(slots), 1 + len(slots), data_shape[0], data_shape[1], batch, seed)
    return Program(header, init, (node,) + keep)


def checked_program(node: Node, slots: list[tuple[int, int]]) -> Program:
    """`one_node_program(node, slots)`, refused by executor.validate if malformed (raises)."""
    from offchain.runtime import executor

    prog = one_node_program(node, slots)
    executor.validate(prog)
    return prog


def oracle_outputs(program: Program, t: int, state: list[np.ndarray], data: np.ndarray,
                   nodes: list[int] | None = None) -> dict[int, np.ndarray]:
    """Per-element outputs of the chosen nodes of step t (default: all), via micro traces."""
    outs: dict[int, np.ndarray] = {}
    todo = range(len(program.nodes(t))) if nodes is None else nodes
    computed: list[np.ndarray] = []
    for j, node in enumerate(program.nodes(t)):
        def read(kind: Ref, index: int, flat: int) -> int:
            if kind == Ref.NODE:
                return int(computed[index].reshape(-1)[flat])
            if kind == Ref.STATE:
                return int(state[index].reshape(-1)[flat])
            return int(data.reshape(-1)[flat])

        vals = [micro.element_trace(program.header, node, j, t, e, read)[-1] for e in range(node.size)]
        computed.append(np.array(vals, dtype=np.uint32).reshape(node.rows, node.cols))
        if j in todo:
            outs[j] = computed[-1]
        if nodes is not None and j >= max(nodes):
            break
    return outs
