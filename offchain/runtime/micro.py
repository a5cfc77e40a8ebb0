"""Per-element micro-programs of op sets v1 and v2 (docs/reproducible-ops.md section 5).

This module owns the meaning of one micro-step: for an output element e of
a node and a micro-step m (1 <= m <= K), which input elements are its
operands (`operand_refs`), and how s_m follows from s_{m-1} and those
operands (`next_state`). Operand references depend on (header, node, t, e,
m) and, for EMBEDDING's micro-step 2 only (`needs_prev`), on s_{m-1}, the
micro-state both parties agree on when a dispute reaches m (section 5.3:
the row the token s_1 names, `embed_index`). `element_trace` chains them into s_0..s_K, and
`input_location` says where an input's tensor root is committed (the leaf a
dispute must prove it against). It is
the oracle of the on-chain one-step verifier (contracts/modules/onestep.vy),
which mirrors it line by line, and the source of micro-traces for disputes.

Headers and nodes are accepted either decoded (`Header`, `Node`) or as their
256-bit record words. Bad input raises `ValueError("micro: ...")`.
"""

from __future__ import annotations

from collections.abc import Callable

from . import f32
from . import opcodes as oc
from .opcodes import FIXED_MICRO_STEPS, XENT_GRAD_EXTRA_STEPS, Op, Ref
from .program import Header, Node
from .randomness import _h3, batch_row

#: an operand reference: (input kind, input index, flat element index)
OperandRef = tuple[Ref, int, int]

#: where an input's tensor root is committed (`input_location`): the step
#: root S_t of the step being executed, S_{t-1}, or the dataset root
SOURCE_STEP, SOURCE_PREV_STEP, SOURCE_DATA = 0, 1, 2

#: 2^-23 as float32 bits: INIT_UNIFORM scales u24 by 2 * 2^-24
TWO_POW_M23 = 0x34000000


def _node(node: Node | int) -> Node:
    return Node.decode(node) if isinstance(node, int) else node


def _header(header: Header | int) -> Header:
    return Header.decode(header) if isinstance(header, int) else header


def num_micro_steps(node: Node | int) -> int:
    """K, the number of micro-steps of every output element of `node`."""
    n = _node(node)
    if n.op in (Op.MATMUL, Op.SUM, Op.ROW_MAX):
        return n.k
    if n.op == Op.SOFTMAX_XENT:
        return 2 * n.k
    if n.op == Op.SOFTMAX_XENT_GRAD:
        return n.k + XENT_GRAD_EXTRA_STEPS
    if n.op == Op.SOFTMAX:
        return n.k + 1
    if n.op == Op.SOFTMAX_BWD:
        return n.k + 2
    if n.op == Op.LN_RSTD:
        return n.k + oc.LN_RSTD_EXTRA_STEPS
    if n.op == Op.LN_BWD:
        return n.cols + oc.LN_BWD_EXTRA_STEPS
    if n.op in (Op.BMATMUL, Op.EMBEDDING_BWD):  # batched MATMUL (5.4); EMBEDDING_BWD: one select-accumulate per token
        return n.k
    return FIXED_MICRO_STEPS[n.op]


def phase_steps(node: Node | int) -> list[int]:
    """Micro-steps that together show every operand position and input of the node
    (for checks that depend only on which tensors are read, e.g. operand counts)."""
    n = _node(node)
    k = num_micro_steps(n)
    if k < 1:
        return []
    if n.op in (Op.SOFTMAX_XENT, Op.SOFTMAX_XENT_GRAD, Op.SOFTMAX, Op.SOFTMAX_BWD):
        return sorted({1, n.k + 1, min(n.k + 2, k), k})
    if n.op == Op.ADAM:
        return [3, 6, 8, 10]
    if n.op == Op.LN_BWD:
        return sorted({1, n.cols + 1, k})
    return sorted({1, k})


def _input(n: Node, i: int) -> tuple[Ref, int]:
    """The i-th input reference of n, (Ref.NONE, 0) when absent."""
    return n.inputs[i] if i < len(n.inputs) else (Ref.NONE, 0)


def _check(n: Node, e: int, m: int) -> int:
    size = n.rows * n.cols
    if not 0 <= e < size:
        raise ValueError(f"micro: element {e} out of range for a {n.rows}x{n.cols} node")
    k = num_micro_steps(n)
    if not 1 <= m <= k:
        raise ValueError(f"micro: micro-step {m} out of range 1..{k}")
    return k


def im2col_params(c0: int) -> tuple[int, int, int, int]:
    """(H, W, KH, KW) from an IM2COL node's c0; rejects empty patch grids."""
    h, w, kh, kw = (c0 >> 24) & 0xFF, (c0 >> 16) & 0xFF, (c0 >> 8) & 0xFF, c0 & 0xFF
    if kh == 0 or kw == 0 or kh > h or kw > w:
        raise ValueError("micro: bad im2col shape")
    return h, w, kh, kw


def _batch_row(hd: Header, t: int, b: int) -> int:
    if hd.data_rows == 0:
        raise ValueError("micro: empty dataset")
    return batch_row(hd.seed, t, b, hd.data_rows)


def operand_refs(
    header: Header | int, node: Node | int, t: int, e: int, m: int, prev: int | None = None
) -> list[OperandRef]:
    """Operands of micro-step m of element e: (input kind, input index, flat index) each.

    For a DATA operand the flat index is into the (N, D) dataset matrix.
    `prev` is s_{m-1}, the micro-state both parties agree on when a dispute
    reaches m: EMBEDDING's micro-step 2 reads the row that s_1 (the token)
    names (`needs_prev`); every other operand reference ignores it. Asking
    for a prev-dependent reference without prev raises ValueError.
    """
    hd, n = _header(header), _node(node)
    _check(n, e, m)
    r, c = divmod(e, n.cols)
    a, b = _input(n, 0), _input(n, 1)
    op = n.op
    if op in (Op.EMBEDDING, Op.EMBEDDING_BWD):
        return _embedding_refs(n, r, c, m, prev)
    if op == Op.INIT_UNIFORM:
        return []
    if op == Op.GATHER:
        row = _batch_row(hd, t, r)
        return [(a[0], a[1], row * hd.data_cols + n.c0 + c)]
    if op == Op.IM2COL:
        h, w, kh, kw = im2col_params(n.c0)
        pw = w - kw + 1
        patches = (h - kh + 1) * pw
        bi, p = divmod(r, patches)
        py, px = divmod(p, pw)
        ky, kx = divmod(c, kw)
        row = _batch_row(hd, t, bi)
        return [(a[0], a[1], row * hd.data_cols + n.c1 + (py + ky) * w + (px + kx))]
    if op == Op.MATMUL:
        i = m - 1
        ia = i * n.rows + r if n.c0 & 1 else r * n.k + i  # (R, K) or stored transposed (K, R)
        ib = c * n.k + i if n.c0 & 2 else i * n.cols + c  # (K, C) or stored transposed (C, K)
        return [(a[0], a[1], ia), (b[0], b[1], ib)]
    if op in (Op.ADD, Op.SUB, Op.MUL, Op.RELU_BWD):
        return [(a[0], a[1], e), (b[0], b[1], e)]
    if op in (Op.SCALE, Op.RELU):
        return [(a[0], a[1], e)]
    if op == Op.BIAS_ADD:
        return [(a[0], a[1], e), (b[0], b[1], c)]
    if op == Op.SUM:
        if n.c0 == 0:  # (K, C) -> (1, C)
            return [(a[0], a[1], (m - 1) * n.cols + c)]
        if n.c0 == 1:  # (R, K) -> (R, 1)
            return [(a[0], a[1], r * n.k + (m - 1))]
        raise ValueError(f"micro: bad sum axis {n.c0}")
    if op == Op.MSE_GRAD:
        return [(a[0], a[1], e), (b[0], b[1], e)] if m == 1 else []
    if op == Op.SGD:
        return [(b[0], b[1], e)] if m == 1 else [(a[0], a[1], e)]
    # --- op set v2 ---
    i2 = _input(n, 2)
    if op == Op.DIV:
        return [(a[0], a[1], e), (b[0], b[1], e)]
    if op in (Op.SQRT, Op.EXP, Op.LOG):
        return [(a[0], a[1], e)]
    if op == Op.RSQRT:
        return [(a[0], a[1], e)] if m == 1 else []
    if op == Op.ROW_MAX:
        return [(a[0], a[1], r * n.k + (m - 1))]
    if op == Op.SOFTMAX_XENT:  # z = in0, yz = in1 (R, k); row max = in2 (R, 1)
        if m <= n.k:
            return [(a[0], a[1], r * n.k + (m - 1)), (i2[0], i2[1], r)]
        if m == n.k + 1:
            return [(b[0], b[1], r * n.k), (i2[0], i2[1], r)]
        return [(b[0], b[1], r * n.k + (m - n.k - 1))]
    if op == Op.SOFTMAX_XENT_GRAD:  # z = in0, y = in1 (R, C = k); row max = in2 (R, 1)
        if m <= n.k:
            return [(a[0], a[1], r * n.k + (m - 1)), (i2[0], i2[1], r)]
        if m == n.k + 1:
            return [(a[0], a[1], e), (i2[0], i2[1], r)]
        if m == n.k + 2:
            return [(b[0], b[1], e)]
        return []
    if op in (Op.ADAM_M, Op.ADAM_V):  # moment = in0, gradient = in1
        return [(a[0], a[1], e)] if m == 1 else [(b[0], b[1], e)]
    if op == Op.ADAM:  # w = in0, m' = in1, v' = in2
        if m == 3:
            return [(i2[0], i2[1], e)]
        if m == 6:
            return [(b[0], b[1], e)]
        if m in (8, 10):
            return [(a[0], a[1], e)]
        return []
    if op == Op.SOFTMAX:  # z = in0 (R, C = k), row max = in1 (R, 1)
        if m <= n.k:
            return [(a[0], a[1], r * n.k + (m - 1)), (b[0], b[1], r)]
        return [(a[0], a[1], e), (b[0], b[1], r)]
    if op == Op.SOFTMAX_BWD:  # g = in0, p = in1 (R, C = k)
        if m <= n.k:
            return [(a[0], a[1], r * n.k + (m - 1)), (b[0], b[1], r * n.k + (m - 1))]
        return [(a[0], a[1], e)] if m == n.k + 1 else [(b[0], b[1], e)]
    if op == Op.GELU:  # x = in0
        return [(a[0], a[1], e)] if m in (1, 4) else []
    if op == Op.GELU_BWD:  # x = in0, g = in1
        if m in (1, 3):
            return [(a[0], a[1], e)]
        return [(b[0], b[1], e)] if m == 4 else []
    if op == Op.LN_RSTD:  # x = in0 (R, k), row sum s = in1 (R, 1)
        return [(a[0], a[1], r * n.k + (m - 1)), (b[0], b[1], r)] if m <= n.k else []
    if op == Op.LN_NORM:  # x = in0 (R, C), row sum s = in1 (R, 1), rstd = in2 (R, 1)
        c2 = _input(n, 2)
        return [(b[0], b[1], r), (a[0], a[1], e)] if m == 1 else [(c2[0], c2[1], r)]
    if op == Op.LN_SCALE:  # a = in0 (R, C), gamma = in1 (1, C)
        return [(a[0], a[1], e), (b[0], b[1], c)]
    if op == Op.LN_BWD:  # dxhat = in0, xhat = in1 (R, C)
        if m <= n.cols:
            return [(a[0], a[1], r * n.cols + (m - 1)), (b[0], b[1], r * n.cols + (m - 1))]
        return [(b[0], b[1], e)] if m == n.cols + 1 else [(a[0], a[1], e)]
    if op == Op.BMATMUL:  # batched MATMUL (section 5.4)
        return bmm_operand_refs(n, e, m)
    raise ValueError(f"micro: unknown opcode {op}")


# --- EMBEDDING (docs/reproducible-ops.md section 5.3) ---------------------------

#: embed_index's answer for a token that names no row
NO_ROW = -1


def embed_index(x: int, vocab: int) -> int:
    """idx(x): the row named by token bits x, or NO_ROW.

    x names row v exactly when it is the binary32 encoding of the integer v
    (the bits of from_int(v)) with 0 <= v < vocab: +0 is row 0; -0, negative
    values, non-integers, subnormals, infinities, NaNs and v >= vocab name no
    row. Integer bit operations only, the same in every executor and on chain.
    """
    x &= 0xFFFFFFFF
    if x == 0:
        return 0 if vocab > 0 else NO_ROW
    if x >> 31:
        return NO_ROW  # -0 and negatives
    ex = (x >> 23) & 0xFF
    if ex < 127 or ex >= 127 + 32:
        return NO_ROW  # below 1 (non-zero fractions, subnormals) or >= 2^32 > any vocab (inf, NaN)
    mant = (x & 0x7FFFFF) | 0x800000  # value = mant * 2^(ex - 150)
    if ex < 150:
        low = 150 - ex
        if mant & ((1 << low) - 1):
            return NO_ROW  # a fraction
        v = mant >> low
    else:
        v = mant << (ex - 150)
    return v if v < vocab else NO_ROW


def needs_prev(node: Node | int) -> bool:
    """True when some operand reference of the node depends on s_{m-1} (EMBEDDING)."""
    return _node(node).op == Op.EMBEDDING


def _embedding_refs(n: Node, r: int, c: int, m: int, prev: int | None) -> list[OperandRef]:
    """EMBEDDING: m=1 tok[r]; m=2 tok[r] and, when idx(s_1) names a row, W[idx * cols + c].
    EMBEDDING_BWD: micro-step m reads tok[m-1] and g[(m-1) * cols + c]."""
    a, b = _input(n, 0), _input(n, 1)
    if n.op == Op.EMBEDDING_BWD:
        return [(a[0], a[1], m - 1), (b[0], b[1], (m - 1) * n.cols + c)]
    if m == 1:
        return [(a[0], a[1], r)]
    if prev is None:
        raise ValueError("micro: EMBEDDING micro-step 2 reads the row s_1 names: pass prev")
    v = embed_index(prev, n.k)
    if v == NO_ROW:
        return [(a[0], a[1], r)]
    return [(a[0], a[1], r), (b[0], b[1], v * n.cols + c)]


def _embedding_next(n: Node, r: int, m: int, prev: int, x: list[int]) -> int:
    """s_m of EMBEDDING (m=1: the token bits; m=2: the row's value, NaN canonical, or the
    canonical NaN when s_1 names no row) and EMBEDDING_BWD (select-accumulate)."""
    if n.op == Op.EMBEDDING:
        if m == 1:
            return x[0]
        if embed_index(prev, n.k) == NO_ROW:
            return oc.CANONICAL_NAN
        return f32.max_(x[1], x[1])  # the value, a NaN made canonical
    if embed_index(x[0], n.rows) == r:
        return f32.add(prev, x[1])
    return prev


# --- end EMBEDDING ---------------------------------------------------------------


def gelu_inner(x: int) -> int:
    """u = sqrt(2/pi) * (x + 0.044715 x^3): mul(add(x, mul(C, mul(mul(x, x), x))), S2PI)."""
    return f32.mul(f32.add(x, f32.mul(oc.GELU_C, f32.mul(f32.mul(x, x), x))), oc.GELU_SQRT_2_OVER_PI)


def gelu_slope(t: int, x: int) -> int:
    """GELU'(x) from t = tanh(u): 0.5 (1 + t) + 0.5 x (1 - t^2) sqrt(2/pi) (1 + 3C x^2), in this order."""
    left = f32.mul(f32.HALF, f32.add(f32.ONE, t))
    right = f32.mul(f32.mul(f32.mul(f32.HALF, x), f32.sub(f32.ONE, f32.mul(t, t))),
                    f32.mul(oc.GELU_SQRT_2_OVER_PI, f32.add(f32.ONE, f32.mul(oc.GELU_3C, f32.mul(x, x)))))
    return f32.add(left, right)


def adam_power(t: int, ln_beta: int) -> int:
    """beta^t as the spec defines it: exp(mul(from_int(min(t, 2^20)), ln beta))."""
    return f32.exp(f32.mul(f32.from_int(min(t, oc.ADAM_T_CAP)), ln_beta))


def next_state(
    header: Header | int,
    node: Node | int,
    slot_or_j: int,
    t: int,
    e: int,
    m: int,
    prev: int,
    operands: list[int],
) -> int:
    """s_m of element e from s_{m-1} = prev and the operand bits (in operand_refs order).

    slot_or_j is the node's index within its program; for INIT_UNIFORM it is
    the state slot whose initial value is drawn.
    """
    hd, n = _header(header), _node(node)
    refs = operand_refs(hd, n, t, e, m, prev & 0xFFFFFFFF)
    if len(operands) != len(refs):
        raise ValueError(f"micro: expected {len(refs)} operands, got {len(operands)}")
    x = [v & 0xFFFFFFFF for v in operands]
    prev &= 0xFFFFFFFF
    op = n.op
    if op == Op.INIT_UNIFORM:
        if m == 1:
            return f32.from_int(_h3(hd.seed, slot_or_j, e) >> 232)  # init_u24 of one element
        if m == 2:
            return f32.mul(prev, TWO_POW_M23)
        if m == 3:
            return f32.sub(prev, f32.ONE)
        return f32.mul(prev, n.c0)
    if op in (Op.GATHER, Op.IM2COL):
        return x[0]
    if op == Op.MATMUL:
        return f32.add(prev, f32.mul(x[0], x[1]))
    if op in (Op.ADD, Op.BIAS_ADD):
        return f32.add(x[0], x[1])
    if op == Op.SUB:
        return f32.sub(x[0], x[1])
    if op == Op.MUL:
        return f32.mul(x[0], x[1])
    if op == Op.SCALE:
        return f32.mul(x[0], n.c0)
    if op == Op.RELU:
        return f32.max_(x[0], f32.POS_ZERO)
    if op == Op.RELU_BWD:
        return x[1] if f32.gt(x[0], f32.POS_ZERO) else f32.POS_ZERO
    if op == Op.SUM:
        return f32.add(prev, x[0])
    if op == Op.MSE_GRAD:
        return f32.sub(x[0], x[1]) if m == 1 else f32.mul(prev, n.c0)
    if op == Op.SGD:
        return f32.mul(x[0], n.c0) if m == 1 else f32.sub(x[0], prev)
    if op in (Op.EMBEDDING, Op.EMBEDDING_BWD):
        return _embedding_next(n, e // n.cols, m, prev, x)  # the output row of e
    return _next_state_v2(n, t, m, prev, x)


def _next_state_v2(n: Node, t: int, m: int, prev: int, x: list[int]) -> int:
    """s_m of the op set v2 opcodes (docs/reproducible-ops.md section 5.1)."""
    op = n.op
    if op == Op.DIV:
        return f32.div(x[0], x[1])
    if op == Op.SQRT:
        return f32.sqrt(x[0])
    if op == Op.RSQRT:
        return f32.sqrt(x[0]) if m == 1 else f32.div(f32.ONE, prev)
    if op == Op.EXP:
        return f32.exp(x[0])
    if op == Op.LOG:
        return f32.log(x[0])
    if op == Op.ROW_MAX:
        return f32.max_(x[0], x[0]) if m == 1 else f32.max_(prev, x[0])
    if op in (Op.SOFTMAX_XENT, Op.SOFTMAX_XENT_GRAD) and m <= n.k:
        return f32.add(prev, f32.exp(f32.sub(x[0], x[1])))
    if op == Op.SOFTMAX_XENT:
        if m == n.k + 1:
            return f32.sub(f32.add(f32.log(prev), x[1]), x[0])
        return f32.sub(prev, x[0])
    if op == Op.SOFTMAX_XENT_GRAD:
        if m == n.k + 1:
            return f32.div(f32.exp(f32.sub(x[0], x[1])), prev)
        if m == n.k + 2:
            return f32.sub(prev, x[0])
        return f32.mul(prev, n.c0)
    if op == Op.ADAM_M:
        return f32.mul(x[0], oc.ADAM_B1) if m == 1 else f32.add(prev, f32.mul(x[0], oc.ADAM_ONE_MINUS_B1))
    if op == Op.ADAM_V:
        if m == 1:
            return f32.mul(x[0], oc.ADAM_B2)
        return f32.add(prev, f32.mul(f32.mul(x[0], x[0]), oc.ADAM_ONE_MINUS_B2))
    if op == Op.ADAM:
        if m == 1:
            return adam_power(t, oc.ADAM_LN_B2)
        if m == 2:
            return f32.sub(f32.ONE, prev)
        if m == 3:
            return f32.div(x[0], prev)
        if m == 4:
            return f32.sqrt(prev)
        if m == 5:
            return f32.add(prev, oc.ADAM_EPS)
        if m == 6:
            return f32.div(x[0], prev)
        if m == 7:
            return f32.div(prev, f32.sub(f32.ONE, adam_power(t, oc.ADAM_LN_B1)))
        if m == 8:
            return f32.add(prev, f32.mul(x[0], n.c1))
        if m == 9:
            return f32.mul(prev, n.c0)
        return f32.sub(x[0], prev)
    if op == Op.SOFTMAX:
        if m <= n.k:
            return f32.add(prev, f32.exp(f32.sub(x[0], x[1])))
        return f32.div(f32.exp(f32.sub(x[0], x[1])), prev)
    if op == Op.SOFTMAX_BWD:
        if m <= n.k:
            return f32.add(prev, f32.mul(x[0], x[1]))
        return f32.sub(x[0], prev) if m == n.k + 1 else f32.mul(prev, x[0])
    if op in (Op.GELU, Op.GELU_BWD):
        if m == 1:
            return gelu_inner(x[0])
        if m == 2:
            return f32.tanh(prev)
        if op == Op.GELU:
            return f32.add(f32.ONE, prev) if m == 3 else f32.mul(f32.mul(f32.HALF, x[0]), prev)
        return gelu_slope(prev, x[0]) if m == 3 else f32.mul(prev, x[0])
    if op == Op.LN_RSTD:
        d = f32.from_int(n.k)
        if m <= n.k:  # x[0] = x[r, m-1], x[1] = the row sum
            dev = f32.sub(x[0], f32.div(x[1], d))
            return f32.add(prev, f32.mul(dev, dev))
        if m == n.k + 1:
            return f32.add(f32.div(prev, d), n.c0)
        return f32.sqrt(prev) if m == n.k + 2 else f32.div(f32.ONE, prev)
    if op == Op.LN_NORM:
        if m == 1:  # x[0] = the row sum, x[1] = x[e]
            return f32.sub(x[1], f32.div(x[0], f32.from_int(n.cols)))
        return f32.mul(prev, x[0])
    if op == Op.LN_SCALE:
        return f32.mul(x[0], x[1])
    if op == Op.LN_BWD:
        if m <= n.cols:
            return f32.add(prev, f32.mul(x[0], x[1]))
        if m == n.cols + 1:
            return f32.mul(x[0], f32.div(prev, f32.from_int(n.cols)))
        return f32.sub(x[0], prev)
    if op == Op.BMATMUL:  # batched MATMUL (section 5.4): a masked element has no operands
        return f32.add(prev, f32.mul(x[0], x[1])) if x else oc.BMM_MASKED
    raise ValueError(f"micro: unknown opcode {op}")


def element_trace(
    header: Header | int,
    node: Node | int,
    j: int,
    t: int,
    e: int,
    read: Callable[[Ref, int, int], int],
) -> list[int]:
    """The micro-trace s_0..s_K of element e of node j at step t.

    `read(kind, index, flat)` returns the bits of one input element.
    """
    hd, n = _header(header), _node(node)
    if not 0 <= e < n.rows * n.cols:
        raise ValueError(f"micro: element {e} out of range for a {n.rows}x{n.cols} node")
    trace = [f32.POS_ZERO]
    for m in range(1, num_micro_steps(n) + 1):
        ops = [read(kind, index, flat) for kind, index, flat in operand_refs(hd, n, t, e, m, trace[-1])]
        trace.append(next_state(hd, n, j, t, e, m, trace[-1], ops))
    return trace


def input_count(header: Header | int, node: Node | int, i: int, kind: Ref) -> int:
    """Element count of the tensor that operand i (its position in `operand_refs`) reads.

    Derived from the node's own record as the one-step verifier does
    (onestep._input_count): MATMUL A rows * k, B k * cols (either layout);
    SUM axis 0 k * cols, axis 1 rows * k; BIAS_ADD's bias cols; ROW_MAX
    rows * k; SOFTMAX_XENT(_GRAD), SOFTMAX position 0 rows * k, position 1 rows (the
    row max; every micro-step keeps these positions); LN_RSTD position 0 rows * k,
    position 1 rows; LN_NORM position 0 rows (row sum, rstd), position 1 rows * cols;
    LN_SCALE's gamma cols; every other
    operand rows * cols; the dataset data_rows * data_cols. It fixes the
    height of the operand's exact proof on chain; executor.validate refuses
    a program in which it is not the producer's true size.
    """
    hd, n = _header(header), _node(node)
    if kind == Ref.DATA:
        return hd.data_rows * hd.data_cols
    if n.op == Op.MATMUL:
        return n.rows * n.k if i == 0 else n.k * n.cols
    if n.op == Op.SUM:
        return n.k * n.cols if n.c0 == 0 else n.rows * n.k
    if n.op == Op.BIAS_ADD and i == 1:
        return n.cols
    if n.op == Op.ROW_MAX:
        return n.rows * n.k
    if n.op in (Op.SOFTMAX_XENT, Op.SOFTMAX_XENT_GRAD, Op.SOFTMAX):
        return n.rows * n.k if i == 0 else n.rows  # z / yz / y, then the row max
    if n.op == Op.LN_RSTD:
        return n.rows * n.k if i == 0 else n.rows  # x, then the row sum
    if n.op == Op.LN_NORM:
        return n.rows if i == 0 else n.rows * n.cols  # the row sum or rstd, then x
    if n.op == Op.LN_SCALE and i == 1:
        return n.cols  # gamma
    if n.op == Op.BMATMUL:  # batched MATMUL (section 5.4): A is c1 x (R, k), B c1 x (k, C)
        return n.rows * n.k if i == 0 else n.c1 * n.k * n.cols
    if n.op == Op.EMBEDDING:  # tokens (rows), then the table W (k = vocab rows of cols)
        return n.rows if i == 0 else n.k * n.cols
    if n.op == Op.EMBEDDING_BWD:  # tokens (k), then the gradient g (k rows of cols)
        return n.k if i == 0 else n.k * n.cols
    return n.rows * n.cols


# --- batched MATMUL (BMATMUL, docs/reproducible-ops.md section 5.4) ---------------------


def bmm_geometry(node: Node | int) -> tuple[int, int, bool, bool, bool]:
    """(batch count nb, rows per batch R, transpose A, transpose B, causal) of a BMATMUL node.

    The node's rows field is nb * R (the batches stacked), c1 = nb >= 1 must
    divide it, and c0 holds only the three flag bits.
    """
    n = _node(node)
    if n.c1 < 1 or n.rows % n.c1 != 0:
        raise ValueError(f"micro: BMATMUL batch count c1={n.c1} does not divide rows={n.rows}")
    if n.c0 & ~oc.BMM_FLAGS:
        raise ValueError(f"micro: BMATMUL c0={n.c0:#x} has bits other than the three flags")
    return (n.c1, n.rows // n.c1, bool(n.c0 & oc.BMM_TRANSPOSE_A), bool(n.c0 & oc.BMM_TRANSPOSE_B),
            bool(n.c0 & oc.BMM_CAUSAL))


def bmm_operand_refs(n: Node, e: int, m: int) -> list[OperandRef]:
    """Operands of micro-step m of element e = ((b * R + i) * C + j) of a BMATMUL node:
    A[b] (R, k) at offset b*R*k (stored (k, R) when transposed), B[b] (k, C) at
    offset b*k*C (stored (C, k) when transposed); none when the element is masked."""
    _nb, R, ta, tb, causal = bmm_geometry(n)
    rr, j = divmod(e, n.cols)
    b, i = divmod(rr, R)
    if causal and j > i:
        return []
    a, bb = _input(n, 0), _input(n, 1)
    s = m - 1
    ia = b * R * n.k + (s * R + i if ta else i * n.k + s)
    ib = b * n.k * n.cols + (j * n.k + s if tb else s * n.cols + j)
    return [(a[0], a[1], ia), (bb[0], bb[1], ib)]


# --- end batched MATMUL ------------------------------------------------------------------


def input_location(header: Header | int, t: int, j: int, kind: Ref, index: int) -> tuple[int, int]:
    """(source, leaf): where the tensor root of input (kind, index) of node j at step t is committed.

    NODE: leaf `index` (< j) of S_t; STATE: the slot's leaf of S_{t-1}
    (`index` at t = 1, n_step - n_state + index later); DATA: data_root (leaf 0).
    """
    hd = _header(header)
    if kind == Ref.NODE:
        if not index < j:
            raise ValueError("micro: input node not before node")
        return SOURCE_STEP, index
    if kind == Ref.STATE:
        if t == 0:
            raise ValueError("micro: no state before step 0")
        if not index < hd.n_state:
            raise ValueError("micro: state slot out of range")
        if t == 1:
            return SOURCE_PREV_STEP, index
        if hd.n_step < hd.n_state:
            raise ValueError("micro: bad header")
        return SOURCE_PREV_STEP, hd.n_step - hd.n_state + index
    if kind != Ref.DATA:
        raise ValueError("micro: missing input")
    return SOURCE_DATA, 0
