"""Op set v2 opcodes: fast (numba) == reference (torch) == the micro-trace, on every element.

Each opcode runs as the first node of a one-node program whose inputs are
state slots filled with edge values (signed zeros, subnormals, infinities,
NaNs, ties), random bit patterns and ordinary floats, then with realistic
values; executor.validate must accept the program. The oracle is
`micro.element_trace` (docs/reproducible-ops.md section 5.1).
"""

from __future__ import annotations

import numpy as np
import pytest

from offchain.runtime import executor, f32, micro
from offchain.runtime.opcodes import CANONICAL_NAN, Op, Ref
from offchain.runtime.program import Header, Node
from tests.offchain.runtime_oracle import checked_program, oracle_outputs, special_bits

S = Ref.STATE


_program = checked_program


def _check(node: Node, state: list[np.ndarray], t: int = 1) -> np.ndarray:
    prog = _program(node, [s.shape for s in state])
    data = np.zeros((1, 1), dtype=np.uint32)
    want = oracle_outputs(prog, t, state, data, nodes=[0])[0]
    for backend in executor.available_backends():
        got = executor.run_step(prog, t, state, data, backend)[0]
        bad = np.argwhere(got != want)
        assert bad.size == 0, f"{backend} {node.op.name}: first mismatch at {bad[0]}"
    return want


def _realistic(rng, shape, scale=3.0):
    return (rng.standard_normal(shape) * scale).astype(np.float32).view(np.uint32)


@pytest.mark.parametrize("op", [Op.DIV, Op.SQRT, Op.RSQRT, Op.EXP, Op.LOG])
def test_elementwise(op):
    rng = np.random.default_rng(int(op))
    R, C = 9, 13
    a = special_bits(rng, (R, C))
    if op == Op.DIV:
        b = special_bits(rng, (R, C))
        out = _check(Node(op, ((S, 0), (S, 1)), R, C), [a, b])
    else:
        out = _check(Node(op, ((S, 0),), R, C), [a])
    nan = ((out & 0x7FFFFFFF) > 0x7F800000)
    assert (out[nan] == CANONICAL_NAN).all()
    ra = _realistic(rng, (R, C))
    if op in (Op.SQRT, Op.RSQRT, Op.LOG):
        ra = ra & 0x7FFFFFFF
    _check(Node(op, ((S, 0), (S, 1)) if op == Op.DIV else ((S, 0),), R, C),
           [ra, _realistic(rng, (R, C))] if op == Op.DIV else [ra])


def test_every_special_pair_div():
    sp = special_bits(np.random.default_rng(0), (1, 1))  # just for the import
    from tests.offchain.runtime_oracle import SPECIAL

    n = len(SPECIAL)
    a = np.repeat(SPECIAL, n).reshape(n, n)
    b = np.tile(SPECIAL, n).reshape(n, n)
    assert sp.dtype == np.uint32
    _check(Node(Op.DIV, ((S, 0), (S, 1)), n, n), [a, b])


@pytest.mark.parametrize("k", [1, 2, 7])
def test_row_max(k):
    rng = np.random.default_rng(k)
    a = special_bits(rng, (11, k))
    a[0, :] = 0x80000000  # all -0: the max keeps -0
    a[1, :] = 0x80000000
    a[1, -1] = 0  # -0s and a +0: +0
    out = _check(Node(Op.ROW_MAX, ((S, 0),), 11, 1, k=k), [a])
    assert out[0, 0] == 0x80000000 and out[1, 0] == 0


def _xent_inputs(rng, R, K, special: bool):
    z = special_bits(rng, (R, K)) if special else _realistic(rng, (R, K))
    y = np.zeros((R, K), dtype=np.float32)
    y[np.arange(R), rng.integers(0, K, R)] = 1.0
    yb = y.view(np.uint32)
    with np.errstate(all="ignore"):
        yz = (y * z.view(np.float32)).view(np.uint32)
        mx = np.max(z.view(np.float32), axis=1, keepdims=True).view(np.uint32)
    return z, yb, yz, mx


@pytest.mark.parametrize("special", [False, True])
def test_softmax_xent_and_grad(special):
    rng = np.random.default_rng(3 + special)
    R, K = 8, 10
    z, y, yz, mx = _xent_inputs(rng, R, K, special)
    loss = _check(Node(Op.SOFTMAX_XENT, ((S, 0), (S, 1), (S, 2)), R, 1, k=K), [z, yz, mx])
    c0 = f32.to_bits(np.float32(1 / R))
    grad = _check(Node(Op.SOFTMAX_XENT_GRAD, ((S, 0), (S, 1), (S, 2)), R, K, k=K, c0=c0), [z, y, mx])
    if not special:  # close to float64 cross-entropy and its gradient
        zf = z.view(np.float32).astype(np.float64)
        p = np.exp(zf - zf.max(1, keepdims=True))
        p /= p.sum(1, keepdims=True)
        yf = y.view(np.float32)
        want_loss = -np.log((p * yf).sum(1))
        np.testing.assert_allclose(loss.view(np.float32)[:, 0], want_loss, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(grad.view(np.float32), (p - yf) / R, rtol=1e-4, atol=1e-7)


@pytest.mark.parametrize("special", [False, True])
def test_softmax_fwd_bwd(special):
    rng = np.random.default_rng(11 + special)
    R, K = 6, 9
    z, _y, _yz, mx = _xent_inputs(rng, R, K, special)
    p = _check(Node(Op.SOFTMAX, ((S, 0), (S, 1)), R, K, k=K), [z, mx])
    g = special_bits(rng, (R, K)) if special else _realistic(rng, (R, K))
    dz = _check(Node(Op.SOFTMAX_BWD, ((S, 0), (S, 1)), R, K, k=K), [g, p])
    if not special:
        zf = z.view(np.float32).astype(np.float64)
        q = np.exp(zf - zf.max(1, keepdims=True))
        q /= q.sum(1, keepdims=True)
        np.testing.assert_allclose(p.view(np.float32), q, rtol=1e-5, atol=1e-7)
        gf = g.view(np.float32).astype(np.float64)
        want = (gf - (gf * q).sum(1, keepdims=True)) * q
        np.testing.assert_allclose(dz.view(np.float32), want, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("special", [False, True])
def test_gelu_fwd_bwd(special):
    rng = np.random.default_rng(21 + special)
    R, C = 8, 11
    x = special_bits(rng, (R, C)) if special else _realistic(rng, (R, C))
    g = special_bits(rng, (R, C)) if special else _realistic(rng, (R, C))
    y = _check(Node(Op.GELU, ((S, 0),), R, C), [x])
    dx = _check(Node(Op.GELU_BWD, ((S, 0), (S, 1)), R, C), [x, g])
    if not special:
        xf = x.view(np.float32).astype(np.float64)
        u = np.sqrt(2 / np.pi) * (xf + 0.044715 * xf**3)
        th = np.tanh(u)
        np.testing.assert_allclose(y.view(np.float32), 0.5 * xf * (1 + th), rtol=1e-5, atol=1e-6)
        slope = 0.5 * (1 + th) + 0.5 * xf * (1 - th**2) * np.sqrt(2 / np.pi) * (1 + 3 * 0.044715 * xf**2)
        np.testing.assert_allclose(dx.view(np.float32), slope * g.view(np.float32), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("t", [1, 2, 1000, 3_000_000])
def test_adam(t):
    rng = np.random.default_rng(t % 1000)
    R, C = 7, 5
    w, g = _realistic(rng, (R, C), 0.5), special_bits(rng, (R, C))
    mo, vo = _realistic(rng, (R, C), 0.1), _realistic(rng, (R, C), 0.01) & 0x7FFFFFFF
    m1 = _check(Node(Op.ADAM_M, ((S, 0), (S, 1)), R, C), [mo, g], t)
    v1 = _check(Node(Op.ADAM_V, ((S, 0), (S, 1)), R, C), [vo, g], t)
    lr, wd = f32.to_bits(np.float32(1e-3)), f32.to_bits(np.float32(1e-2))
    w1 = _check(Node(Op.ADAM, ((S, 0), (S, 1), (S, 2)), R, C, c0=lr, c1=wd), [w, m1, v1], t)
    # ordinary gradients: AdamW in float64 agrees to float32 accuracy
    g = _realistic(rng, (R, C), 0.2)
    m1 = _check(Node(Op.ADAM_M, ((S, 0), (S, 1)), R, C), [mo, g], t)
    v1 = _check(Node(Op.ADAM_V, ((S, 0), (S, 1)), R, C), [vo, g], t)
    w1 = _check(Node(Op.ADAM, ((S, 0), (S, 1), (S, 2)), R, C, c0=lr, c1=wd), [w, m1, v1], t)
    f = lambda b: b.view(np.float32).astype(np.float64)  # noqa: E731
    mh = f(m1) / (1 - 0.9 ** min(t, 2**20))
    vh = f(v1) / (1 - 0.999 ** min(t, 2**20))
    want = f(w) - 1e-3 * (mh / (np.sqrt(vh) + 1e-8) + 1e-2 * f(w))
    np.testing.assert_allclose(f(w1), want, rtol=1e-5, atol=1e-6)


def test_adam_micro_trace_shape():
    node = Node(Op.ADAM, ((S, 0), (Ref.NODE, 1), (Ref.NODE, 2)), 2, 2, c0=0x3A83126F)
    assert micro.num_micro_steps(node) == 10
    hd = Header(3, 6, 1, 1, 1, 7)
    reads = {m: micro.operand_refs(hd, node, 1, 3, m) for m in range(1, 11)}
    assert reads[3] == [(Ref.NODE, 2, 3)] and reads[6] == [(Ref.NODE, 1, 3)]
    assert reads[8] == reads[10] == [(S, 0, 3)]
    assert all(reads[m] == [] for m in (1, 2, 4, 5, 7, 9))


@pytest.mark.parametrize("node, slots, msg", [
    (Node(Op.ROW_MAX, ((S, 0),), 3, 2, k=4), [(3, 4)], "ROW_MAX needs output"),
    (Node(Op.SOFTMAX_XENT, ((S, 0), (S, 1), (S, 2)), 3, 1, k=4), [(3, 4), (3, 4), (1, 3)], None),
    (Node(Op.SOFTMAX_XENT, ((S, 0), (S, 1), (S, 0)), 3, 1, k=4), [(3, 4), (3, 4)], "SOFTMAX_XENT needs"),
    (Node(Op.SOFTMAX_XENT_GRAD, ((S, 0), (S, 1), (S, 2)), 3, 4, k=3), [(3, 4), (3, 4), (3, 1)], "needs k = cols"),
    (Node(Op.SOFTMAX_XENT_GRAD, ((S, 0), (S, 1), (S, 2)), 3, 4, k=4), [(3, 4), (3, 4), (4, 1)], "row max"),
    (Node(Op.ADAM, ((S, 0), (S, 1)), 3, 4, c0=1), [(3, 4), (3, 4)], "takes 3 inputs"),
    (Node(Op.ADAM_M, ((S, 0), (S, 1)), 3, 4, c0=1), [(3, 4), (3, 4)], "c0 must be 0"),
    (Node(Op.DIV, ((S, 0), (S, 1)), 3, 4), [(3, 4), (4, 4)], "differ from output size"),
    (Node(Op.SOFTMAX, ((S, 0), (S, 1)), 3, 4, k=4), [(3, 4), (3, 4)], "SOFTMAX needs"),
    (Node(Op.SOFTMAX_BWD, ((S, 0), (S, 1)), 3, 4, k=4), [(3, 4), (3, 1)], "SOFTMAX_BWD needs"),
    (Node(Op.GELU_BWD, ((S, 0),), 3, 4), [(3, 4)], "takes 2 inputs"),
])
def test_validate_rejects_misshapen_v2_nodes(node, slots, msg):
    """A program whose v2 node reads tensors of other sizes than the node's record says
    (the one-step verifier's operand counts) is refused with one line."""
    if msg is None:  # the XENT row max of 3 rows stored (1, 3): same 3 words, accepted
        _program(node, slots)
        return
    with pytest.raises(ValueError, match=msg):
        _program(node, slots)


@pytest.mark.parametrize("loss, optimizer", [("xent", "adam"), ("xent", "sgd"), ("mse", "adam")])
def test_v2_mlp_every_node_identical_across_backends_and_micro(loss, optimizer):
    """The compiled MLP with the v2 loss / optimizer: fast == reference on every node of
    every step, and the micro-trace oracle agrees on the v2 nodes of the last step."""
    from offchain.runtime import compiler, dataset

    data = dataset.load("digits")
    cfg = compiler.MLPConfig((64, 6, 10), 3, 0.01 if optimizer == "adam" else 0.5, 5, loss, optimizer, 0.01)
    prog = compiler.compile_mlp(cfg, data.rows, data.cols)
    backends = executor.available_backends()
    runs = {b: list(executor.run_steps(prog, data.train, 0, 4, [], b)) for b in backends}
    for b in backends[1:]:
        for (t, outs), (_t, ref) in zip(runs[b], runs[backends[0]], strict=True):
            for j, (x, y) in enumerate(zip(outs, ref, strict=True)):
                assert np.array_equal(x, y), f"{b} step {t} node {j}"
    t, outs = runs[backends[0]][-1]
    state = executor.state_after(prog, t - 1, runs[backends[0]][-2][1])
    v2 = [j for j, n in enumerate(prog.step) if n.op >= Op.DIV]
    assert v2
    want = oracle_outputs(prog, t, state, data.train, nodes=v2)
    for j in v2:
        assert np.array_equal(want[j], outs[j]), f"micro-trace differs at node {j}"


def test_v1_program_unchanged_by_v2_options():
    """--loss mse --optimizer sgd compiles exactly the v1 program (same records, same root)."""
    from offchain.runtime import compiler, dataset

    data = dataset.load("digits")
    v1 = compiler.compile_mlp(compiler.MLPConfig((64, 16, 10), 8, 0.5, 3), data.rows, data.cols)
    same = compiler.compile_mlp(compiler.MLPConfig((64, 16, 10), 8, 0.5, 3, "mse", "sgd", 0.0), data.rows,
                                data.cols)
    assert same.root() == v1.root() and same.meta == v1.meta
    assert all(n.op < Op.DIV for n in v1.step)
    spec = compiler.TrainSpec("mlp", 8, 0.5, 3, (16,))
    assert compiler.compile_model(spec, data).root() == v1.root()
    with pytest.raises(ValueError, match="for the MLP"):
        compiler.compile_model(compiler.TrainSpec("cnn", loss="xent"), data)
    with pytest.raises(ValueError, match="unknown loss"):
        compiler.compile_mlp(compiler.MLPConfig((64, 16, 10), loss="hinge"), data.rows, data.cols)
