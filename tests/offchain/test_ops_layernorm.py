"""Layer norm (LN_RSTD, LN_NORM, LN_SCALE, LN_BWD; docs/reproducible-ops.md 5.2):
fast (numba) == reference (torch) == the micro-trace on every element, on edge
rows (zeros, a constant row: var 0, huge values, subnormals, NaN and inf) and
on realistic values, where the composition also matches a float64 layer norm
and its gradients.
"""

from __future__ import annotations

import numpy as np
import pytest

from offchain.runtime import f32, micro
from offchain.runtime.opcodes import CANONICAL_NAN, Op, Ref
from offchain.runtime.program import Node
from tests.offchain.runtime_oracle import special_bits
from tests.offchain.test_ops_v2 import _check, _program, _realistic

S = Ref.STATE
EPS = f32.to_bits(np.float32(1e-5))


def _f(bits: np.ndarray) -> np.ndarray:
    return bits.view(np.float32).astype(np.float64)


def _edge_rows(rng, R: int, D: int) -> np.ndarray:
    """R rows of D: zeros, a constant row, huge, subnormal, a NaN, an inf, -0, then special_bits."""
    x = special_bits(rng, (R, D))
    x[0, :] = 0
    x[1, :] = f32.to_bits(np.float32(2.5))
    x[2, :] = f32.to_bits(np.float32(3e38))
    x[2, ::2] = f32.to_bits(np.float32(-3e38))
    x[3, :] = rng.integers(1, 0x007FFFFF, D, dtype=np.uint32)  # subnormals
    x[4, :] = _realistic(rng, (D,))
    x[4, D // 2] = CANONICAL_NAN
    x[5, :] = _realistic(rng, (D,))
    x[5, 0] = 0x7F800000
    x[6, :] = 0x80000000
    return x


def _forward(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray):
    """The forward chain, each node checked across backends and the micro-trace."""
    R, D = x.shape
    s = _check(Node(Op.SUM, ((S, 0),), R, 1, k=D, c0=1), [x])
    rstd = _check(Node(Op.LN_RSTD, ((S, 0), (S, 1)), R, 1, k=D, c0=EPS), [x, s])
    xhat = _check(Node(Op.LN_NORM, ((S, 0), (S, 1), (S, 2)), R, D), [x, s, rstd])
    ys = _check(Node(Op.LN_SCALE, ((S, 0), (S, 1)), R, D), [xhat, gamma])
    y = _check(Node(Op.BIAS_ADD, ((S, 0), (S, 1)), R, D), [ys, beta])
    return s, rstd, xhat, y


def _backward(g: np.ndarray, xhat: np.ndarray, rstd: np.ndarray, gamma: np.ndarray):
    R, D = g.shape
    dxhat = _check(Node(Op.LN_SCALE, ((S, 0), (S, 1)), R, D), [g, gamma])
    s1 = _check(Node(Op.SUM, ((S, 0),), R, 1, k=D, c0=1), [dxhat])
    v = _check(Node(Op.LN_BWD, ((S, 0), (S, 1)), R, D), [dxhat, xhat])
    dx = _check(Node(Op.LN_NORM, ((S, 0), (S, 1), (S, 2)), R, D), [v, s1, rstd])
    dgamma = _check(Node(Op.SUM, ((S, 0),), 1, D, k=R, c0=0),
                    [_check(Node(Op.MUL, ((S, 0), (S, 1)), R, D), [g, xhat])])
    dbeta = _check(Node(Op.SUM, ((S, 0),), 1, D, k=R, c0=0), [g])
    return dx, dgamma, dbeta


@pytest.mark.parametrize("D", [1, 2, 7, 16])
def test_edge_rows_every_backend_equals_micro(D):
    rng = np.random.default_rng(300 + D)
    R = 9
    x = _edge_rows(rng, R, D)
    gamma, beta = special_bits(rng, (1, D)), special_bits(rng, (1, D))
    s, rstd, xhat, y = _forward(x, gamma, beta)
    g = special_bits(rng, (R, D))
    _backward(g, xhat, rstd, gamma)
    for out in (s, rstd, xhat, y):
        nan = (out & 0x7FFFFFFF) > 0x7F800000
        assert (out[nan] == CANONICAL_NAN).all()
    # zeros and -0 rows: mean 0, var 0: rstd = 1 / sqrt(eps), xhat = +0
    want = f32.div(f32.ONE, f32.sqrt(f32.add(f32.div(0, f32.from_int(D)), EPS)))
    assert rstd[0, 0] == rstd[6, 0] == want
    assert (xhat[0] == 0).all()
    # a constant row: var exactly 0 (2.5 * D / D == 2.5), xhat +0
    assert rstd[1, 0] == want and (xhat[1] == 0).all()
    # a NaN or an inf in a row makes the whole row NaN
    assert (xhat[4] == CANONICAL_NAN).all() and (xhat[5] == CANONICAL_NAN).all()


@pytest.mark.parametrize("D", [3, 16, 33])
def test_realistic_matches_float64_layernorm(D):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(400 + D)
    R = 8
    x = (rng.standard_normal((R, D)) * 3 + 1).astype(np.float32).view(np.uint32)
    gamma = (rng.standard_normal((1, D)) + 1).astype(np.float32).view(np.uint32)
    beta = rng.standard_normal((1, D)).astype(np.float32).view(np.uint32)
    g = rng.standard_normal((R, D)).astype(np.float32).view(np.uint32)
    s, rstd, xhat, y = _forward(x, gamma, beta)
    dx, dgamma, dbeta = _backward(g, xhat, rstd, gamma)

    xt = torch.tensor(_f(x), requires_grad=True)
    gt = torch.tensor(_f(gamma)[0], requires_grad=True)
    bt = torch.tensor(_f(beta)[0], requires_grad=True)
    yt = torch.nn.functional.layer_norm(xt, (D,), gt, bt, eps=1e-5)
    yt.backward(torch.tensor(_f(g)))
    np.testing.assert_allclose(_f(y), yt.detach().numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(_f(dx), xt.grad.numpy(), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(_f(dgamma)[0], gt.grad.numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(_f(dbeta)[0], bt.grad.numpy(), rtol=1e-6, atol=1e-6)


def test_micro_trace_shapes():
    """K and the operands of each micro-step follow the spec table (section 5.2)."""
    rstd = Node(Op.LN_RSTD, ((S, 0), (S, 1)), 3, 1, k=5, c0=EPS)
    assert micro.num_micro_steps(rstd) == 8
    hd = _program(rstd, [(3, 5), (3, 1)]).header
    assert micro.operand_refs(hd, rstd, 1, 2, 3) == [(S, 0, 2 * 5 + 2), (S, 1, 2)]
    assert micro.operand_refs(hd, rstd, 1, 2, 6) == []
    norm = Node(Op.LN_NORM, ((S, 0), (S, 1), (S, 2)), 3, 4)
    hd = _program(norm, [(3, 4), (3, 1), (3, 1)]).header
    assert micro.num_micro_steps(norm) == 2
    assert micro.operand_refs(hd, norm, 1, 6, 1) == [(S, 1, 1), (S, 0, 6)]
    assert micro.operand_refs(hd, norm, 1, 6, 2) == [(S, 2, 1)]
    bwd = Node(Op.LN_BWD, ((S, 0), (S, 1)), 3, 4)
    assert micro.num_micro_steps(bwd) == 6
    assert [len(micro.operand_refs(hd, bwd, 1, 5, m)) for m in range(1, 7)] == [2, 2, 2, 2, 1, 1]
    assert micro.operand_refs(hd, bwd, 1, 5, 5) == [(S, 1, 5)]
    assert micro.operand_refs(hd, bwd, 1, 5, 6) == [(S, 0, 5)]
    scale = Node(Op.LN_SCALE, ((S, 0), (S, 1)), 3, 4)
    assert micro.operand_refs(hd, scale, 1, 6, 1) == [(S, 0, 6), (S, 1, 2)]


@pytest.mark.parametrize("node, slots, msg", [
    (Node(Op.LN_RSTD, ((S, 0), (S, 1)), 3, 1, k=4, c0=EPS), [(3, 4), (3, 1)], None),
    (Node(Op.LN_RSTD, ((S, 0), (S, 1)), 3, 2, k=4, c0=EPS), [(3, 4), (3, 1)], "LN_RSTD needs"),
    (Node(Op.LN_RSTD, ((S, 0), (S, 1)), 3, 1, k=4, c0=EPS), [(3, 4), (3, 4)], "LN_RSTD needs"),
    (Node(Op.LN_RSTD, ((S, 0), (S, 1)), 3, 1, c0=EPS), [(3, 4), (3, 1)], "k field"),
    (Node(Op.LN_NORM, ((S, 0), (S, 1), (S, 2)), 3, 4), [(3, 4), (3, 1), (3, 4)], "LN_NORM needs"),
    (Node(Op.LN_NORM, ((S, 0), (S, 1)), 3, 4), [(3, 4), (3, 1)], "takes 3 inputs"),
    (Node(Op.LN_NORM, ((S, 0), (S, 1), (S, 2)), 3, 4, c0=1), [(3, 4), (3, 1), (3, 1)], "c0 must be 0"),
    (Node(Op.LN_SCALE, ((S, 0), (S, 1)), 3, 4), [(3, 4), (3, 4)], "LN_SCALE needs"),
    (Node(Op.LN_BWD, ((S, 0), (S, 1)), 3, 4), [(3, 4), (3, 1)], "differ from output size"),
])
def test_validate_rejects_misshapen_layernorm_nodes(node, slots, msg):
    """A layer-norm node reading tensors of other sizes than its record says (the
    one-step verifier's operand counts) is refused with one line."""
    if msg is None:
        _program(node, slots)
        return
    with pytest.raises(ValueError, match=msg):
        _program(node, slots)
