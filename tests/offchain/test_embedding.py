"""EMBEDDING and EMBEDDING_BWD (docs/reproducible-ops.md section 5.3), off chain.

fast (numba) == reference (torch) == the micro-trace on every element, with
token bit patterns of every class an attacker can put in the token tensor
(+0, -0, negatives, fractions, subnormals, infinities, NaNs, integers at and
past the vocabulary, random bits); `idx` agrees across the three executors
and a float64 oracle; EMBEDDING's micro-step 2 names the row that the agreed
s_1 names, and the dispute's operand proofs follow it.
"""

from __future__ import annotations

import numpy as np
import pytest

from offchain.commit import trace
from offchain.runtime import executor, fast_v2, micro, reference
from offchain.runtime.opcodes import CANONICAL_NAN, Op, Ref
from offchain.runtime.program import Header, Node
from tests.offchain.runtime_oracle import SPECIAL, checked_program, oracle_outputs, special_bits

S = Ref.STATE
V, D, R = 17, 5, 40  # vocabulary, embedding width, tokens

#: one token of every class, with the row it names (NO_ROW = -1) for V = 17
TOKEN_CLASSES = {
    0x00000000: 0,  # +0 is row 0
    0x80000000: -1,  # -0 is not from_int(0)
    0x3F800000: 1,
    0x41800000: 16,  # V - 1
    0x41880000: -1,  # 17 = V
    0x4F000000: -1,  # 2^31
    0x4F800000: -1,  # 2^32
    0x7F7FFFFF: -1,  # largest finite
    0x3F000000: -1,  # 0.5
    0x3FC00000: -1,  # 1.5
    0x40100000: -1,  # 2.25
    0x00000001: -1,  # subnormal
    0xBF800000: -1,  # -1
    0xC1800000: -1,  # -16
    0x7F800000: -1,  # +inf
    0xFF800000: -1,  # -inf
    0x7FC00000: -1,  # NaN
    0x7F800001: -1,  # signalling NaN
    0xFFC00000: -1,  # negative NaN
}


def _oracle_index(x: int, vocab: int) -> int:
    """The spec's idx by float64 arithmetic: x == from_int(v) for an integer 0 <= v < vocab."""
    if x == 0x80000000:
        return -1
    f = float(np.array([x], dtype=np.uint32).view(np.float32)[0])
    if not np.isfinite(f) or f < 0 or f != int(f) or int(f) >= vocab:
        return -1
    return int(f)


def _tokens(rng: np.random.Generator, n: int, vocab: int) -> np.ndarray:
    """Every token class, valid integers, near-integers and random bits."""
    classes = np.array(list(TOKEN_CLASSES), dtype=np.uint32)
    ints = np.arange(vocab + 3, dtype=np.float32).view(np.uint32)
    near = (ints.view(np.float32) + np.float32(0.25)).view(np.uint32)
    rnd = special_bits(rng, (n,)).reshape(-1)
    pool = np.concatenate([classes, ints, near, ints + 1, rnd])
    return np.concatenate([pool, rng.choice(pool, max(0, n - len(pool)))])[:n].astype(np.uint32)


_program = checked_program


def _check(node: Node, state: list[np.ndarray]) -> np.ndarray:
    """fast == reference == micro-trace on every element; returns the output."""
    prog = _program(node, [s.shape for s in state])
    data = np.zeros((1, 1), dtype=np.uint32)
    want = oracle_outputs(prog, 1, state, data, nodes=[0])[0]
    backends = executor.available_backends()
    assert "fast" in backends
    for backend in backends:
        got = executor.run_step(prog, 1, state, data, backend)[0]
        bad = np.argwhere(got != want)
        assert bad.size == 0, f"{backend} {node.op.name}: first mismatch at {bad[0]}"
    return want


def test_every_token_class_names_the_spec_row_in_every_executor():
    """micro, fast and reference idx agree with the float64 oracle on every class."""
    rng = np.random.default_rng(5)
    toks = np.concatenate([_tokens(rng, 600, V), SPECIAL])
    import torch

    rows, valid = reference.embed_rows(torch.from_numpy(toks.view(np.int32)).view(torch.float32), V)
    for i, x in enumerate(toks.tolist()):
        want = _oracle_index(x, V)
        if x in TOKEN_CLASSES:
            assert TOKEN_CLASSES[x] == want, hex(x)
        assert micro.embed_index(x, V) == want, hex(x)
        assert fast_v2.embed_index(np.uint32(x), V) == want, hex(x)
        assert (int(rows[i]) if bool(valid[i]) else -1) == want, hex(x)


def test_large_integer_tokens():
    """Integers past 2^24 (exact floats, shifted mantissas) and a vocabulary near 2^32."""
    for v in (0, 1, (1 << 24) - 1, 1 << 24, (1 << 24) + 2, (1 << 31) + 256, 0xFFFFFF00):
        bits = int(np.array([v], dtype=np.float64).astype(np.float32).view(np.uint32)[0])
        assert micro.embed_index(bits, 0xFFFFFFFF) == v
        assert fast_v2.embed_index(np.uint32(bits), 0xFFFFFFFF) == v
        assert micro.embed_index(bits, v) == -1  # v itself is past a vocabulary of v rows
    assert micro.embed_index(0x4B800001, 1 << 30) == (1 << 24) + 2  # 2^24 + 2: mantissa shifted once


@pytest.mark.parametrize("special_table", [False, True])
def test_embedding_forward_fast_reference_micro(special_table):
    rng = np.random.default_rng(11 + special_table)
    tok = _tokens(rng, R, V).reshape(R, 1)
    w = special_bits(rng, (V, D)) if special_table else rng.standard_normal((V, D)).astype(np.float32).view(np.uint32)
    out = _check(Node(Op.EMBEDDING, ((S, 0), (S, 1)), R, D, k=V), [tok, w])
    for r in range(R):
        v = micro.embed_index(int(tok[r, 0]), V)
        if v < 0:
            assert (out[r] == CANONICAL_NAN).all(), f"token {int(tok[r, 0]):#x} names no row: canonical NaN"
        else:
            wv = w[v]
            nan = (wv & 0x7FFFFFFF) > 0x7F800000
            assert (out[r] == np.where(nan, CANONICAL_NAN, wv)).all()


@pytest.mark.parametrize("special_grad", [False, True])
def test_embedding_bwd_fast_reference_micro(special_grad):
    rng = np.random.default_rng(21 + special_grad)
    tok = _tokens(rng, R, V).reshape(R, 1)
    tok[:6, 0] = np.float32(3.0).view(np.uint32)  # a row hit many times: the order matters
    g = special_bits(rng, (R, D)) if special_grad else rng.standard_normal((R, D)).astype(np.float32).view(np.uint32)
    if not special_grad:
        g[0, :] = 0x80000000  # -0 into an empty row: +0 + -0 = +0
    dw = _check(Node(Op.EMBEDDING_BWD, ((S, 0), (S, 1)), V, D, k=R), [tok, g])
    # the spec's select-accumulate, row by row, in float32
    want = np.zeros((V, D), dtype=np.float32)
    gf = g.view(np.float32)
    with np.errstate(all="ignore"):
        for r in range(R):
            v = micro.embed_index(int(tok[r, 0]), V)
            if v >= 0:
                want[v] = want[v] + gf[r]
    wb = want.view(np.uint32)
    wb = np.where((wb & 0x7FFFFFFF) > 0x7F800000, CANONICAL_NAN, wb)
    assert (dw == wb).all()
    hit = {micro.embed_index(int(x), V) for x in tok[:, 0]}
    for v in set(range(V)) - hit:
        assert (dw[v] == 0).all(), "a row no token names stays +0"


def test_embedding_micro_step_two_follows_the_agreed_token():
    """operand_refs(m=2) reads tok[r] and W[idx(s_1) * D + d]; without prev it refuses;
    s_1 naming no row reads no W element and s_2 is the canonical NaN."""
    hd = Header(2, 3, 1, 1, 1, 7)
    node = Node(Op.EMBEDDING, ((S, 0), (S, 1)), R, D, k=V)
    e = 3 * D + 2
    assert micro.operand_refs(hd, node, 1, e, 1) == [(S, 0, 3)]
    five = int(np.float32(5).view(np.uint32))
    assert micro.operand_refs(hd, node, 1, e, 2, five) == [(S, 0, 3), (S, 1, 5 * D + 2)]
    with pytest.raises(ValueError, match="pass prev"):
        micro.operand_refs(hd, node, 1, e, 2)
    for bad in (0x80000000, 0x41880000, 0x7FC00000, 0x3FC00000, 0xBF800000):
        assert micro.operand_refs(hd, node, 1, e, 2, bad) == [(S, 0, 3)]
        assert micro.next_state(hd, node, 0, 1, e, 2, bad, [bad]) == CANONICAL_NAN
    assert micro.next_state(hd, node, 0, 1, e, 2, five, [five, 0x7F800001]) == CANONICAL_NAN
    assert micro.next_state(hd, node, 0, 1, e, 2, five, [five, 0x80000000]) == 0x80000000
    with pytest.raises(ValueError, match="expected 2 operands"):
        micro.next_state(hd, node, 0, 1, e, 2, five, [five])
    bwd = Node(Op.EMBEDDING_BWD, ((S, 0), (S, 1)), V, D, k=R)
    assert micro.num_micro_steps(bwd) == R and micro.num_micro_steps(node) == 2
    assert micro.operand_refs(hd, bwd, 1, 4 * D + 1, 7) == [(S, 0, 6), (S, 1, 6 * D + 1)]


def test_embedding_operand_proofs_follow_the_token():
    """prove_operands at m = 2 proves W at the token's row, against the W root in S_{t-1}."""
    from offchain.commit.tensor import tensor_root

    rng = np.random.default_rng(3)
    tok = np.array([[np.float32(v).view(np.uint32)] for v in (4, 0, 16, 2)], dtype=np.uint32)
    tok[1, 0] = 0x80000000  # -0: no row
    w = rng.standard_normal((V, D)).astype(np.float32).view(np.uint32)
    node = Node(Op.EMBEDDING, ((S, 0), (S, 1)), 4, D, k=V)
    prog = _program(node, [tok.shape, w.shape])
    data = np.zeros((1, 1), dtype=np.uint32)
    outs = executor.run_step(prog, 1, [tok, w], data)
    view = trace.StepView(prog, 1, outs, [tok, w, tok, w], data)
    from offchain.commit import merkle

    s_t = merkle.root([tensor_root(x) for x in outs])
    s_prev = merkle.root([tensor_root(x) for x in view.prev])
    for r, row in ((0, 4), (2, 16), (3, 2)):
        ops = trace.prove_operands(view, 0, r * D + 1, 2)
        assert [(o.kind, o.index, o.flat) for o in ops] == [(S, 0, r), (S, 1, row * D + 1)]
        assert ops[1].value == w[row, 1]
        for o in ops:
            assert trace.verify_operand(prog, 1, o, step_root_t=s_t, step_root_prev=s_prev, data_root=b"\0" * 32)
        assert trace.micro_trace(view, 0, r * D + 1) == [0, int(tok[r, 0]), int(w[row, 1])]
    ops = trace.prove_operands(view, 0, 1 * D + 1, 2)
    assert [(o.kind, o.index, o.flat) for o in ops] == [(S, 0, 1)]
    assert trace.micro_trace(view, 0, D + 1) == [0, 0x80000000, CANONICAL_NAN]
    # a prev that is not the view's own s_1 names another row: the caller's agreed value wins
    three = int(np.float32(3).view(np.uint32))
    assert trace.prove_operands(view, 0, 1, 2, three)[1].flat == 3 * D + 1


@pytest.mark.parametrize("node, slots, msg", [
    (Node(Op.EMBEDDING, ((S, 0), (S, 1)), 4, D, k=V), [(4, 1), (V, D)], None),
    (Node(Op.EMBEDDING, ((S, 0), (S, 1)), 4, D, k=V), [(4, 1), (V - 1, D)], "EMBEDDING needs"),
    (Node(Op.EMBEDDING, ((S, 0), (S, 1)), 4, D, k=V), [(5, 1), (V, D)], "EMBEDDING needs"),
    (Node(Op.EMBEDDING, ((S, 0), (S, 1)), 4, D), [(4, 1), (V, D)], "k field"),
    (Node(Op.EMBEDDING, ((S, 0),), 4, D, k=V), [(4, 1)], "takes 2 inputs"),
    (Node(Op.EMBEDDING, ((S, 0), (S, 1)), 4, D, k=V, c0=1), [(4, 1), (V, D)], "c0 must be 0"),
    (Node(Op.EMBEDDING_BWD, ((S, 0), (S, 1)), V, D, k=4), [(4, 1), (4, D)], None),
    (Node(Op.EMBEDDING_BWD, ((S, 0), (S, 1)), V, D, k=4), [(4, 1), (4, D + 1)], "EMBEDDING_BWD needs"),
    (Node(Op.EMBEDDING_BWD, ((S, 0), (S, 1)), V, D, k=4), [(3, 1), (4, D)], "EMBEDDING_BWD needs"),
])
def test_validate_rejects_misshapen_embedding_nodes(node, slots, msg):
    """A table or gradient of another size than the record says (the one-step verifier's
    operand counts: tokens R or k, then k * cols) is refused with one line."""
    if msg is None:
        _program(node, slots)
        return
    with pytest.raises(ValueError, match=msg):
        _program(node, slots)
