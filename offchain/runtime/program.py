"""Program format: header and node records, their 256-bit encoding and program_root.

A program (docs/reproducible-ops.md section 3) is a header, the
initialisation nodes (one per state slot; step 0) and the training-step
nodes (steps 1..T; the last n_state of them are the new state slots in
order). Records are 256-bit words laid out by `opcodes.NODE_FIELDS` and
`opcodes.HEADER_FIELDS`; the program tree's leaves are
[header, init nodes..., step nodes...].
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..commit import merkle
from .opcodes import HEADER_SHIFTS, NODE_SHIFTS, PROGRAM_VERSION, Op, Ref


def _pack(values: dict[str, int], shifts: dict[str, tuple[int, int]]) -> int:
    word = 0
    for name, (shift, width) in shifts.items():
        v = values[name]
        if not 0 <= v < (1 << width):
            raise ValueError(f"program: field {name}={v} does not fit in {width} bits")
        word |= v << shift
    return word


def _unpack(word: int, shifts: dict[str, tuple[int, int]]) -> dict[str, int]:
    return {name: (word >> shift) & ((1 << width) - 1) for name, (shift, width) in shifts.items()}


@dataclass(frozen=True)
class Node:
    """One node: out (rows, cols) = op(inputs); k, c0, c1 as the opcode defines."""

    op: Op
    inputs: tuple[tuple[Ref, int], ...]  # up to three (kind, index) references
    rows: int
    cols: int
    k: int = 0
    c0: int = 0
    c1: int = 0

    @property
    def size(self) -> int:
        return self.rows * self.cols

    def encode(self) -> int:
        ins = list(self.inputs) + [(Ref.NONE, 0)] * (3 - len(self.inputs))
        if len(ins) != 3:
            raise ValueError("program: a node has at most three inputs")
        vals = {"opcode": int(self.op), "rows": self.rows, "cols": self.cols,
                "k": self.k, "c0": self.c0, "c1": self.c1}
        for i, (kind, index) in enumerate(ins):
            vals[f"in{i}_kind"] = int(kind)
            vals[f"in{i}_index"] = index
        return _pack(vals, NODE_SHIFTS)

    @classmethod
    def decode(cls, word: int) -> Node:
        v = _unpack(word, NODE_SHIFTS)
        ins = []
        for i in range(3):
            kind = Ref(v[f"in{i}_kind"])
            if kind != Ref.NONE:
                ins.append((kind, v[f"in{i}_index"]))
        return cls(Op(v["opcode"]), tuple(ins), v["rows"], v["cols"], v["k"], v["c0"], v["c1"])


@dataclass(frozen=True)
class Header:
    n_state: int
    n_step: int
    data_rows: int
    data_cols: int
    batch: int
    seed: int
    version: int = PROGRAM_VERSION

    def encode(self) -> int:
        return _pack(self.__dict__, HEADER_SHIFTS)

    @classmethod
    def decode(cls, word: int) -> Header:
        return cls(**_unpack(word, HEADER_SHIFTS))


@dataclass(frozen=True)
class Program:
    header: Header
    init: tuple[Node, ...]
    step: tuple[Node, ...]
    meta: dict = field(default_factory=dict, compare=False, hash=False)

    def leaves(self) -> list[bytes]:
        words = [self.header.encode()] + [n.encode() for n in self.init] + [n.encode() for n in self.step]
        return [w.to_bytes(32, "big") for w in words]

    def root(self) -> bytes:
        """program_root: Merkle root over [header, init nodes, step nodes]."""
        return merkle.root(self.leaves())

    def leaf_index(self, t: int, j: int) -> int:
        """Leaf of node j of step t in the program tree."""
        return 1 + j if t == 0 else 1 + self.header.n_state + j

    def nodes(self, t: int) -> tuple[Node, ...]:
        return self.init if t == 0 else self.step

    def state_node(self, t: int, slot: int) -> int:
        """Index (within step t's nodes) of the node holding state `slot` after step t."""
        return slot if t == 0 else self.header.n_step - self.header.n_state + slot

    def insert_step_nodes(self, q: int, extra: list[Node]) -> Program:
        """This program with the nodes `extra` inserted into the training step at index q.

        References of the existing step nodes to nodes >= q move up by len(extra);
        `extra`'s own NODE references are absolute (in the new numbering). The caller
        validates the result (executor.validate): inserted nodes must be metric nodes or
        the state slots, the last n_state nodes, no longer line up.
        """
        k = len(extra)
        shifted = [Node(n.op, tuple((kd, i + k if kd == Ref.NODE and i >= q else i) for kd, i in n.inputs),
                        n.rows, n.cols, n.k, n.c0, n.c1) for n in self.step]
        step = tuple(shifted[:q] + list(extra) + shifted[q:])
        h = self.header
        return Program(Header(h.n_state, len(step), h.data_rows, h.data_cols, h.batch, h.seed, h.version),
                       self.init, step, self.meta)
