"""Op set v2 on chain: chaining the contract's micro-steps reproduces micro.element_trace.

One element of each v2 opcode with realistic values (so the traces go through
exp, log, div and sqrt on their ordinary paths), every micro-step on chain.
"""

import random

import numpy as np
import pytest

from offchain.runtime import f32, micro
from offchain.runtime.opcodes import Op, Ref
from offchain.runtime.program import Header, Node

N, S = Ref.NODE, Ref.STATE


def _f(x: float) -> int:
    return f32.to_bits(np.float32(x))


CASES = [
    Node(Op.DIV, ((N, 1), (S, 0)), 3, 4),
    Node(Op.SQRT, ((N, 1),), 3, 4),
    Node(Op.RSQRT, ((N, 1),), 3, 4),
    Node(Op.EXP, ((N, 1),), 3, 4),
    Node(Op.LOG, ((N, 1),), 3, 4),
    Node(Op.ROW_MAX, ((N, 1),), 3, 1, k=4),
    Node(Op.SOFTMAX_XENT, ((N, 1), (N, 2), (N, 3)), 3, 1, k=4),
    Node(Op.SOFTMAX_XENT_GRAD, ((N, 1), (N, 2), (N, 3)), 3, 4, k=4, c0=_f(1 / 3)),
    Node(Op.ADAM_M, ((S, 0), (N, 2)), 3, 4),
    Node(Op.ADAM_V, ((S, 0), (N, 2)), 3, 4),
    Node(Op.ADAM, ((S, 0), (N, 2), (N, 3)), 3, 4, c0=_f(1e-3), c1=_f(1e-2)),
    Node(Op.SOFTMAX, ((N, 1), (N, 3)), 3, 4, k=4),
    Node(Op.SOFTMAX_BWD, ((N, 2), (N, 1)), 3, 4, k=4),
    Node(Op.GELU, ((N, 1),), 3, 4),
    Node(Op.GELU_BWD, ((N, 1), (N, 2)), 3, 4),
    Node(Op.LN_RSTD, ((N, 1), (N, 2)), 3, 1, k=4, c0=_f(1e-5)),
    Node(Op.LN_NORM, ((N, 1), (N, 2), (N, 3)), 3, 4),
    Node(Op.LN_SCALE, ((N, 1), (S, 0)), 3, 4),
    Node(Op.LN_BWD, ((N, 1), (N, 2)), 3, 4),
]


@pytest.mark.parametrize("node", CASES, ids=lambda n: n.op.name)
def test_full_trace_on_chain(verifier, node):
    rng = random.Random(int(node.op))
    header = Header(2, 6, 10, 4, 2, 99)
    data = {(kind, i): [_f(abs(rng.gauss(0, 2)) + 0.01) for _ in range(64)] for kind, i in
            ((N, 1), (N, 2), (N, 3), (S, 0))}
    if node.op in (Op.SOFTMAX_XENT, Op.SOFTMAX_XENT_GRAD, Op.SOFTMAX):
        z = data[(N, 1)]
        data[(N, 3)] = [max(z[r * 4:(r + 1) * 4], key=lambda b: f32.to_f32(b)) for r in range(3)]
    t = 37
    for e in (0, node.rows * node.cols - 1):
        trace = micro.element_trace(header, node, 5, t, e, lambda k, i, f: data[(k, i)][f])
        s = 0
        for m in range(1, len(trace)):
            ops = [data[(k, i)][f] for k, i, f in micro.operand_refs(header, node, t, e, m)]
            s = verifier.next_state(header.encode(), node.encode(), 5, t, e, m, s, ops)
            assert s == trace[m], (node.op.name, e, m)
        assert np.isfinite(f32.to_f32(s))
