"""Fault injection for tests and demos: one flipped mantissa bit, or faked steps.

`Fault(step, node, element)` flips the lowest mantissa bit of one element of
one node output after computing it; later nodes of the step and later steps
carry on from the faulty value. `skip_steps = F` fakes a fraction F of the
steps t >= 1: no work is done, the state slots are copied from the previous
step and every other node output is left zero. Which steps are faked is
drawn from keccak(skip_seed, task_id, t), so a run is repeatable.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import torch
from eth_hash.auto import keccak

from ..runtime import executor, reference
from ..runtime.program import Program


@dataclass(frozen=True)
class Fault:
    step: int
    node: int
    element: int

    @classmethod
    def parse(cls, text: str) -> Fault:
        """'step=T,node=J,element=E' -> Fault (ValueError with one line on bad input)."""
        m = re.fullmatch(r"\s*step=(\d+)\s*,\s*node=(\d+)\s*,\s*element=(\d+)\s*", text or "")
        if not m:
            raise ValueError(f"fault: expected step=T,node=J,element=E, got {text!r}")
        return cls(int(m[1]), int(m[2]), int(m[3]))

    def check(self, program: Program, steps: int) -> None:
        if not 0 <= self.step <= steps:
            raise ValueError(f"fault: step {self.step} outside 0..{steps}")
        nodes = program.nodes(self.step)
        if self.node >= len(nodes):
            raise ValueError(f"fault: node {self.node} outside 0..{len(nodes) - 1}")
        if self.element >= nodes[self.node].size:
            raise ValueError(f"fault: element {self.element} outside node {self.node}")


def is_skipped(skip: float, seed: int, task_id: int, t: int) -> bool:
    """Whether step t is faked under --skip-steps `skip` (never step 0)."""
    if skip <= 0 or t == 0:
        return False
    h = int.from_bytes(keccak(b"skip" + seed.to_bytes(32, "big") + task_id.to_bytes(32, "big")
                              + t.to_bytes(32, "big")), "big")
    return h < int(skip * 2**256)


def faked_step(program: Program, t: int, state: list[np.ndarray]) -> list[np.ndarray]:
    """Outputs of a faked step: state copied, everything else zero."""
    nodes = program.nodes(t)
    outs = [np.zeros((n.rows, n.cols), dtype=np.uint32) for n in nodes]
    for s, arr in enumerate(state):
        outs[program.state_node(t, s)] = np.array(arr, dtype=np.uint32).reshape(outs[program.state_node(t, s)].shape)
    return outs


def faulty_step(program: Program, t: int, state: list[np.ndarray], data: np.ndarray,
                fault: Fault) -> list[np.ndarray]:
    """Step t on the reference executor with the fault applied and carried forward."""
    executor.check_inputs(program, t, state, data)
    dev = torch.device("cpu")
    nodes = program.nodes(t)
    st = [] if t == 0 else [reference._to_torch(s, dev) for s in state]
    outs: list[torch.Tensor] = []
    for j, node in enumerate(nodes):
        x = reference._eval(program, t, j, node, outs, st, data, dev).reshape(node.rows, node.cols)
        if j == fault.node:
            bits = x.contiguous().view(torch.int32).clone().reshape(-1)
            bits[fault.element] ^= 1  # the lowest mantissa bit
            x = bits.view(torch.float32).reshape(node.rows, node.cols)
        outs.append(x)
    return [reference._to_numpy(x, n.rows, n.cols) for x, n in zip(outs, nodes, strict=True)]
