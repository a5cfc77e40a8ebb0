"""Micro-traces of one output element and the proofs a one-step check needs.

Given the node outputs of steps t-1 and t (and the dataset), this module
builds the micro-trace s_0..s_K of element e of node j (semantics from
`offchain.runtime.micro`), its root (a tensor root over the K + 1 words),
proofs of any s_m in it, and, for micro-step m, every operand with its
proof chain: element in the input tensor root, that root in S_t (a node
of the same step, left of j) or in S_{t-1} (a state slot), or the element
in the dataset root (DATA). `verify_operand` checks such a chain.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..runtime import micro
from ..runtime.opcodes import Ref
from ..runtime.program import Program
from .proofs import (
    ElementProof,
    LeafProof,
    prove_element,
    prove_leaves,
    verify_element,
    verify_leaf,
)
from .roots import trace_root
from .tensor import tensor_root


@dataclass(frozen=True)
class StepView:
    """What a trace reads: node outputs of step t and t-1 (None at t = 0), the dataset."""

    program: Program
    t: int
    outputs: list[np.ndarray]  # node outputs of step t
    prev: list[np.ndarray] | None  # node outputs of step t-1
    data: np.ndarray  # (N, D) uint32

    def tensor(self, kind: Ref, index: int) -> np.ndarray:
        """The input tensor that a reference of node j at step t names."""
        if kind == Ref.NODE:
            return self.outputs[index]
        if kind == Ref.STATE:
            if self.prev is None:
                raise ValueError("trace: step 0 has no state input")
            return self.prev[self.program.state_node(self.t - 1, index)]
        if kind == Ref.DATA:
            return self.data
        raise ValueError(f"trace: no tensor for reference kind {kind}")

    def read(self, kind: Ref, index: int, flat: int) -> int:
        return int(self.tensor(kind, index).reshape(-1)[flat])


def micro_trace(view: StepView, j: int, e: int) -> list[int]:
    """s_0..s_K of element e of node j at step view.t (uint32 bits)."""
    node = view.program.nodes(view.t)[j]
    return micro.element_trace(view.program.header, node, j, view.t, e, view.read)


def micro_trace_root(trace: list[int]) -> bytes:
    """Root of a micro-trace (tensor root of its K + 1 words)."""
    return trace_root(np.array(trace, dtype=np.uint32))


def prove_trace_state(trace: list[int], m: int) -> ElementProof:
    """Proof of s_m in the micro-trace tree."""
    return prove_element(np.array(trace, dtype=np.uint32), m)


@dataclass(frozen=True)
class OperandProof:
    """One operand of a micro-step and how it is bound to a committed root.

    kind/index/flat name the operand (as `micro.operand_refs`). `element`
    proves the value in the input tensor whose root is `tensor_root` (for
    DATA, `tensor_root` is data_root). `root_in_step` proves tensor_root as
    leaf `index` of S_t (NODE) or leaf `state_node(t-1, index)` of S_{t-1}
    (STATE); None for DATA.
    """

    kind: Ref
    index: int
    flat: int
    value: int
    tensor_root: bytes
    element: ElementProof
    root_in_step: LeafProof | None


def prove_operands(view: StepView, j: int, e: int, m: int, prev: int | None = None) -> list[OperandProof]:
    """Operands of micro-step m of element e of node j, with their proofs.

    `prev` is s_{m-1} (the agreed micro-state that EMBEDDING's row reference
    depends on, `micro.needs_prev`); when not given and the node needs it, it
    is taken from this view's own micro-trace.
    """
    program, t = view.program, view.t
    node = program.nodes(t)[j]
    if prev is None and micro.needs_prev(node):
        prev = micro_trace(view, j, e)[m - 1]
    out = []
    for kind, index, flat in micro.operand_refs(program.header, node, t, e, m, prev):
        tensor = view.tensor(kind, index)
        elem = prove_element(tensor, flat)
        if kind == Ref.NODE:
            roots = [tensor_root(x) for x in view.outputs]
            in_step = prove_leaves(roots, index)
        elif kind == Ref.STATE:
            assert view.prev is not None
            roots = [tensor_root(x) for x in view.prev]
            in_step = prove_leaves(roots, program.state_node(t - 1, index))
        else:
            in_step = None
        out.append(OperandProof(kind, index, flat, elem.value, tensor_root(tensor), elem, in_step))
    return out


def verify_operand(program: Program, t: int, proof: OperandProof, *, step_root_t: bytes,
                   step_root_prev: bytes | None, data_root: bytes, j: int | None = None) -> bool:
    """True when the operand's value is bound to S_t, S_{t-1} or data_root as its kind says.

    With `j`, a NODE operand must also come from a node left of j.
    """
    if proof.element.value != proof.value or proof.element.e != proof.flat:
        return False
    if not verify_element(proof.tensor_root, proof.element):
        return False
    if proof.kind == Ref.DATA:
        return proof.tensor_root == data_root and proof.root_in_step is None
    if proof.root_in_step is None or proof.root_in_step.leaf != proof.tensor_root:
        return False
    if proof.kind == Ref.NODE:
        if j is not None and not proof.index < j:
            return False
        return proof.root_in_step.index == proof.index and verify_leaf(step_root_t, proof.root_in_step)
    if proof.kind == Ref.STATE:
        if step_root_prev is None or t < 1:
            return False
        leaf = program.state_node(t - 1, proof.index)
        return proof.root_in_step.index == leaf and verify_leaf(step_root_prev, proof.root_in_step)
    return False
