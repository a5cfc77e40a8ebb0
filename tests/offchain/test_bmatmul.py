"""Batched MATMUL with transposes and a causal mask (BMATMUL, docs/reproducible-ops.md 5.4).

fast (numba) == reference (torch) == the micro-trace oracle on every element,
for every transpose combination, causal on and off, one batch and several,
on edge values (NaN, inf, -0, subnormals) and ordinary floats; a whole
attention forward/backward chain through ROW_MAX, SOFTMAX and SOFTMAX_BWD
with -inf scores; and executor.validate refusing malformed records with one
line.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from offchain.runtime import executor, f32, micro
from offchain.runtime import opcodes as oc
from offchain.runtime.opcodes import CANONICAL_NAN, Op, Ref
from offchain.runtime.program import Header, Node, Program
from tests.offchain.runtime_oracle import SPECIAL, oracle_outputs, special_bits

S, N = Ref.STATE, Ref.NODE
NEG_INF = 0xFF800000


def _program(nodes: tuple[Node, ...], slots: list[tuple[int, int]]) -> Program:
    init = tuple(Node(Op.INIT_UNIFORM, (), r, c, 0, 0x3F800000) for r, c in slots)
    base = len(nodes)
    keep = tuple(Node(Op.SCALE, ((S, s),), r, c, 0, 0x3F800000) for s, (r, c) in enumerate(slots))
    prog = Program(Header(len(slots), base + len(slots), 1, 1, 1, 7), init, nodes + keep)
    executor.validate(prog)
    return prog


def _run_all(nodes: tuple[Node, ...], state: list[np.ndarray]) -> list[np.ndarray]:
    """Outputs of `nodes` on every backend, each equal to the micro-trace oracle."""
    prog = _program(nodes, [s.shape for s in state])
    data = np.zeros((1, 1), dtype=np.uint32)
    idx = list(range(len(nodes)))
    want = oracle_outputs(prog, 1, state, data, nodes=idx)
    backends = executor.available_backends()
    assert "reference" in backends
    for backend in backends:
        got = executor.run_step(prog, 1, state, data, backend)
        for j in idx:
            bad = np.argwhere(got[j] != want[j])
            assert bad.size == 0, f"{backend} node {j} ({nodes[j].op.name}): first mismatch at {bad[0]}"
    return [want[j] for j in idx]


def _shapes(nb: int, R: int, C: int, K: int, ta: bool, tb: bool) -> tuple[tuple[int, int], tuple[int, int]]:
    return ((nb * K, R) if ta else (nb * R, K)), ((nb * C, K) if tb else (nb * K, C))


def _float64_bmm(a: np.ndarray, b: np.ndarray, nb: int, R: int, C: int, K: int, flags: int) -> np.ndarray:
    af = a.view(np.float32).astype(np.float64)
    bf = b.view(np.float32).astype(np.float64)
    a3 = af.reshape(nb, K, R).transpose(0, 2, 1) if flags & 1 else af.reshape(nb, R, K)
    b3 = bf.reshape(nb, C, K).transpose(0, 2, 1) if flags & 2 else bf.reshape(nb, K, C)
    out = a3 @ b3
    if flags & 4:
        out[:, np.triu(np.ones((R, C), dtype=bool), 1)] = -np.inf
    return out.reshape(nb * R, C)


@pytest.mark.parametrize("nb", [1, 3])
@pytest.mark.parametrize("flags", range(8))
def test_bmatmul_every_flag_combination(flags, nb):
    """Every transpose combination, causal on/off, 1 and 3 batches: edge values, then
    ordinary floats (also close to float64)."""
    rng = np.random.default_rng(100 * nb + flags)
    R, C, K = 4, 5, 3  # C > R: with the mask, the columns past R are masked on every row
    sa, sb = _shapes(nb, R, C, K, bool(flags & 1), bool(flags & 2))
    node = Node(Op.BMATMUL, ((S, 0), (S, 1)), nb * R, C, k=K, c0=flags, c1=nb)
    a, b = special_bits(rng, sa), special_bits(rng, sb)
    out = _run_all((node,), [a, b])[0]
    nan = (out & 0x7FFFFFFF) > 0x7F800000
    assert (out[nan] == CANONICAL_NAN).all()
    a, b = (rng.standard_normal(sa) * 2).astype(np.float32), (rng.standard_normal(sb) * 2).astype(np.float32)
    out = _run_all((node,), [a.view(np.uint32), b.view(np.uint32)])[0]
    want = _float64_bmm(a.view(np.uint32), b.view(np.uint32), nb, R, C, K, flags)
    got = out.view(np.float32).astype(np.float64)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
    if flags & oc.BMM_CAUSAL:
        i, j = np.divmod(np.arange(nb * R * C), C)[0] % R, np.arange(nb * R * C) % C
        masked = (j > i).reshape(nb * R, C)
        assert (out[masked] == NEG_INF).all() and np.isfinite(got[~masked]).all()


def test_bmatmul_special_pairs_and_signed_zero_sums():
    """Every pair of special values as a one-term product (k = 1), and sums of signed zeros:
    -0 * x + (+0 start) stays +0 exactly as the micro-trace says."""
    n = len(SPECIAL)
    a = np.repeat(SPECIAL, n).reshape(n * n, 1)  # batch n*n of (1, 1) @ (1, 1)
    b = np.tile(SPECIAL, n).reshape(n * n, 1)
    out = _run_all((Node(Op.BMATMUL, ((S, 0), (S, 1)), n * n, 1, k=1, c0=0, c1=n * n),), [a, b])[0]
    assert out[1, 0] == 0  # +0 + (+0 * -0) = +0 + -0 = +0
    negz = np.full((2, 3), 0x80000000, dtype=np.uint32)
    out = _run_all((Node(Op.BMATMUL, ((S, 0), (S, 1)), 2, 1, k=3, c0=0, c1=1),),
                   [negz, np.full((3, 1), 0x3F800000, dtype=np.uint32)])[0]
    assert (out == 0).all()


def test_bmatmul_k_and_rows_of_one():
    """k = 1, one row per batch (every column past 0 masked), a single column."""
    rng = np.random.default_rng(5)
    for R, C, K, nb in ((1, 4, 1, 2), (3, 1, 2, 2), (2, 2, 1, 1)):
        for flags in (0, 3, 4, 7):
            sa, sb = _shapes(nb, R, C, K, bool(flags & 1), bool(flags & 2))
            node = Node(Op.BMATMUL, ((S, 0), (S, 1)), nb * R, C, k=K, c0=flags, c1=nb)
            _run_all((node,), [special_bits(rng, sa), special_bits(rng, sb)])


def test_masked_element_trace_is_minus_inf_without_operands():
    """A masked element reads nothing and every micro-state is -inf; column 0 is never masked."""
    hd = Header(2, 4, 1, 1, 1, 7)
    node = Node(Op.BMATMUL, ((S, 0), (S, 1)), 6, 3, k=4, c0=oc.BMM_CAUSAL | oc.BMM_TRANSPOSE_B, c1=2)
    assert micro.num_micro_steps(node) == 4
    for e in range(node.size):
        rr, j = divmod(e, 3)
        i = rr % 3
        refs = [micro.operand_refs(hd, node, 1, e, m) for m in range(1, 5)]
        if j > i:
            assert all(r == [] for r in refs)
            trace = micro.element_trace(hd, node, 0, 1, e, lambda *_: pytest.fail("masked element read"))
            assert trace == [0] + [NEG_INF] * 4
            with pytest.raises(ValueError, match="expected 0 operands"):
                micro.next_state(hd, node, 0, 1, e, 1, 0, [0x3F800000, 0x3F800000])
        else:
            b = rr // 3
            assert refs[1] == [(S, 0, b * 12 + i * 4 + 1), (S, 1, b * 12 + j * 4 + 1)]


@pytest.mark.parametrize("flags", [0, 1, 2, 3])
def test_bmatmul_operand_counts_match_input_sizes(flags):
    """micro.input_count (the on-chain proof heights) is the true size of both inputs, and
    every operand index lies inside it, for every element and micro-step."""
    nb, R, C, K = 2, 3, 4, 5
    sa, sb = _shapes(nb, R, C, K, bool(flags & 1), bool(flags & 2))
    node = Node(Op.BMATMUL, ((S, 0), (S, 1)), nb * R, C, k=K, c0=flags, c1=nb)
    hd = Header(2, 3, 1, 1, 1, 7)
    assert micro.input_count(hd, node, 0, S) == sa[0] * sa[1]
    assert micro.input_count(hd, node, 1, S) == sb[0] * sb[1]
    seen = [set(), set()]
    for e in range(node.size):
        for m in range(1, K + 1):
            for pos, (_kind, _idx, flat) in enumerate(micro.operand_refs(hd, node, 1, e, m)):
                seen[pos].add(flat)
    assert seen[0] == set(range(sa[0] * sa[1])) and seen[1] == set(range(sb[0] * sb[1]))


def _attention_nodes(nb: int, T: int, d: int, scale: int) -> tuple[Node, ...]:
    """Single-head causal attention forward and backward over state slots Q, K, V, dO (nb*T, d)."""
    TB, TA = oc.BMM_TRANSPOSE_B, oc.BMM_TRANSPOSE_A
    R = nb * T
    return (
        Node(Op.BMATMUL, ((S, 0), (S, 1)), R, T, k=d, c0=TB | oc.BMM_CAUSAL, c1=nb),  # 0: Q K^T, masked
        Node(Op.SCALE, ((N, 0),), R, T, c0=scale),  # 1: scores
        Node(Op.ROW_MAX, ((N, 1),), R, 1, k=T),  # 2
        Node(Op.SOFTMAX, ((N, 1), (N, 2)), R, T, k=T),  # 3: P
        Node(Op.BMATMUL, ((N, 3), (S, 2)), R, d, k=T, c0=0, c1=nb),  # 4: O = P V
        Node(Op.BMATMUL, ((S, 3), (S, 2)), R, T, k=d, c0=TB, c1=nb),  # 5: dP = dO V^T
        Node(Op.SOFTMAX_BWD, ((N, 5), (N, 3)), R, T, k=T),  # 6: dS (of the scaled scores)
        Node(Op.SCALE, ((N, 6),), R, T, c0=scale),  # 7: d(QK^T)
        Node(Op.BMATMUL, ((N, 7), (S, 1)), R, d, k=T, c0=0, c1=nb),  # 8: dQ = dS K
        Node(Op.BMATMUL, ((N, 7), (S, 0)), R, d, k=T, c0=TA, c1=nb),  # 9: dK = dS^T Q
        Node(Op.BMATMUL, ((N, 3), (S, 3)), R, d, k=T, c0=TA, c1=nb),  # 10: dV = P^T dO
    )


@pytest.mark.parametrize("nb", [1, 2])
def test_causal_attention_forward_backward(nb):
    """Masked scores are -inf, SOFTMAX gives them exactly +0 (exp(-inf) = +0; column 0 is
    never masked, so no row is all -inf), SOFTMAX_BWD gives them a signed zero that adds
    nothing to dQ / dK; every node agrees across backends and the micro-trace, and the
    gradients agree with float64 autograd of masked attention."""
    T, d = 5, 4
    rng = np.random.default_rng(40 + nb)
    q, k, v, do = ((rng.standard_normal((nb * T, d)) * 0.7).astype(np.float32) for _ in range(4))
    scale = f32.to_bits(np.float32(1 / np.sqrt(d)))
    nodes = _attention_nodes(nb, T, d, scale)
    outs = _run_all(nodes, [x.view(np.uint32) for x in (q, k, v, do)])
    mask = np.tile(np.triu(np.ones((T, T), dtype=bool), 1), (nb, 1))
    assert (outs[0][mask] == NEG_INF).all() and (outs[1][mask] == NEG_INF).all()
    assert (outs[3][mask] == 0).all()  # P: exactly +0
    assert ((outs[6][mask] & 0x7FFFFFFF) == 0).all()  # dS: +-0 (the sign of g - sum g p)
    assert np.isfinite(outs[3].view(np.float32)).all() and np.isfinite(outs[10].view(np.float32)).all()

    def t64(x):
        return torch.tensor(x.astype(np.float64).reshape(nb, T, d), requires_grad=True)

    tq, tk, tv = t64(q), t64(k), t64(v)
    sc = (tq @ tk.transpose(1, 2)) / np.sqrt(d)
    sc = sc.masked_fill(torch.from_numpy(np.triu(np.ones((T, T), dtype=bool), 1)), float("-inf"))
    p = torch.softmax(sc, -1)
    o = p @ tv
    o.backward(torch.from_numpy(do.astype(np.float64).reshape(nb, T, d)))
    f = lambda j: outs[j].view(np.float32).astype(np.float64).reshape(nb, T, -1)  # noqa: E731
    np.testing.assert_allclose(f(3), p.detach().numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(f(4), o.detach().numpy(), rtol=1e-5, atol=1e-6)
    for j, grad in ((8, tq.grad), (9, tk.grad), (10, tv.grad)):
        np.testing.assert_allclose(f(j), grad.numpy(), rtol=1e-4, atol=1e-5, err_msg=f"node {j}")


_A, _B = (S, 0), (S, 1)


@pytest.mark.parametrize("node, slots, msg", [
    (Node(Op.BMATMUL, (_A, _B), 6, 4, k=3, c0=0, c1=0), [(6, 3), (6, 4)], "batch count c1=0"),
    (Node(Op.BMATMUL, (_A, _B), 6, 4, k=3, c0=0, c1=4), [(6, 3), (12, 4)], "must be >= 1 and divide rows=6"),
    (Node(Op.BMATMUL, (_A, _B), 6, 4, k=3, c0=8, c1=2), [(6, 3), (6, 4)], "holds only the transpose-A"),
    (Node(Op.BMATMUL, (_A, _B), 6, 4, k=3, c0=1 << 31, c1=2), [(6, 3), (6, 4)], "holds only"),
    (Node(Op.BMATMUL, (_A, _B), 6, 4, k=3, c0=0, c1=2), [(6, 3), (3, 4)], r"need \[18, 24\]"),
    (Node(Op.BMATMUL, (_A, _B), 6, 4, k=3, c0=0, c1=2), [(3, 3), (6, 4)], "do not fit 2 x"),
    (Node(Op.BMATMUL, (_A, _B), 6, 4, k=3, c0=0, c1=1), [(6, 3), (6, 4)], r"need \[18, 12\]"),
    (Node(Op.BMATMUL, (_A, _B), 6, 4, k=0, c0=0, c1=2), [(6, 3), (6, 4)], "k field must be >= 1"),
    (Node(Op.BMATMUL, (_A,), 6, 4, k=3, c0=0, c1=2), [(6, 3)], "takes 2 inputs, got 1"),
    (Node(Op.BMATMUL, (_A, _B, _A), 6, 4, k=3, c0=0, c1=2), [(6, 3), (6, 4)], "takes 2 inputs, got 3"),
    (Node(Op.BMATMUL, (_A, (S, 5)), 6, 4, k=3, c0=0, c1=2), [(6, 3), (6, 4)], "STATE reference 5"),
])
def test_validate_rejects_malformed_bmatmul(node, slots, msg):
    """Malformed BMATMUL records (batch count 0 or not dividing rows, unknown flag bits,
    inputs of other sizes than the record implies, no k, wrong arity, a bad reference) are
    refused with one line naming the problem."""
    with pytest.raises(ValueError, match=msg) as err:
        _program((node,), slots)
    assert "\n" not in str(err.value) and str(err.value).startswith("executor: step node 0:")


def test_malformed_bmatmul_record_never_crashes_micro_or_fast():
    """A raw record a party could send on chain with c1 = 0 or c1 not dividing rows gets a
    'micro:' ValueError (no ZeroDivisionError), and the fast kernel refuses it too."""
    hd = Header(2, 3, 1, 1, 1, 7)
    for c1 in (0, 4):
        word = Node(Op.BMATMUL, (_A, _B), 6, 4, k=3, c0=0, c1=c1).encode()
        with pytest.raises(ValueError, match="micro: BMATMUL batch count"):
            micro.operand_refs(hd, word, 1, 0, 1)
    with pytest.raises(ValueError, match="micro: BMATMUL c0=0x10"):
        micro.operand_refs(hd, Node(Op.BMATMUL, (_A, _B), 6, 4, k=3, c0=16, c1=2).encode(), 1, 0, 1)
    if "fast" in executor.available_backends():
        from offchain.runtime import fast_v2

        bad = Node(Op.BMATMUL, (_A, _B), 6, 4, k=3, c0=0, c1=0)
        with pytest.raises(ValueError, match="fast: node 0"):
            fast_v2.exec_v2(bad, 0, [np.zeros(18, np.uint32), np.zeros(12, np.uint32)], 1)


def test_bmatmul_equals_matmul_per_batch():
    """Batch b of a BMATMUL is bit-identical to a plain MATMUL of that batch's operands
    (same flags), so attention reuses MATMUL's proven accumulation order."""
    rng = np.random.default_rng(9)
    nb, R, C, K = 3, 4, 2, 6
    for flags in range(4):
        sa, sb = _shapes(nb, R, C, K, bool(flags & 1), bool(flags & 2))
        a, b = special_bits(rng, sa), special_bits(rng, sb)
        nodes = (Node(Op.BMATMUL, ((S, 0), (S, 1)), nb * R, C, k=K, c0=flags, c1=nb),)
        whole = _run_all(nodes, [a, b])[0].reshape(nb, R, C)
        for bi in range(nb):
            ab = a.reshape(nb, -1)[bi].reshape(sa[0] // nb, sa[1])
            bb = b.reshape(nb, -1)[bi].reshape(sb[0] // nb, sb[1])
            one = _run_all((Node(Op.MATMUL, ((S, 0), (S, 1)), R, C, k=K, c0=flags),), [ab, bb])[0]
            assert np.array_equal(one, whole[bi]), (flags, bi)

