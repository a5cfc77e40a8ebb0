"""Fast (numba) kernels of op set v2, bit-identical to the scalar definitions.

This module owns the compiled versions of the v2 primitives `exp`, `log`,
`tanh` (docs/reproducible-ops.md section 2.1: the same float32 operation
sequence as `f32.exp` etc., each step rounded separately; numba without
fastmath contracts nothing) and the node kernels of the v2 opcodes
(section 5.1): DIV, SQRT, RSQRT, EXP, LOG, ROW_MAX, SOFTMAX_XENT(_GRAD)
(row sums computed once per row, in k order, as every element's micro-trace
does), ADAM_M, ADAM_V, ADAM, SOFTMAX(_BWD), GELU(_BWD), layer norm
(LN_RSTD, LN_NORM, LN_SCALE, LN_BWD: section 5.2; row sums once per row),
EMBEDDING / EMBEDDING_BWD (section 5.3; `embed_index` on the token bits) and the
batched MATMUL of section 5.4 (BMATMUL). `fast.py` dispatches v2 opcodes here through
`exec_v2`.
Powers of two and the split of x into m * 2^e go through float64 helpers
(`math.ldexp`, `math.frexp`), which are exact for the values used.
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np

from . import f32, micro
from . import opcodes as oc
from .opcodes import CANONICAL_NAN, Op
from .program import Node

_JIT = dict(nogil=True, cache=True, error_model="numpy")


def _c(bits: int) -> np.float32:
    return np.array([bits & 0xFFFFFFFF], dtype=np.uint32).view(np.float32)[0]


_NAN = _c(CANONICAL_NAN)
_ONE = np.float32(1.0)
_ZERO = np.float32(0.0)
_INF = _c(f32.POS_INF)
_LOG2E = _c(f32.LOG2E)
_LN2_HI = _c(f32.LN2_HI)
_LN2_LO = _c(f32.LN2_LO)
_MAGIC = _c(f32.ROUND_MAGIC)
_EXP_OVER = _c(f32.EXP_OVER)
_EXP_UNDER = _c(f32.EXP_UNDER)
_EP0, _EP1, _EP2, _EP3, _EP4, _EP5 = (_c(b) for b in f32.EXP_P)
_SQRT_HALF = _c(f32.SQRT_HALF)
_LP = tuple(_c(b) for b in f32.LOG_P)
_LP0, _LP1, _LP2, _LP3, _LP4, _LP5, _LP6, _LP7, _LP8 = _LP
_HALF = _c(f32.HALF)
_TWO = _c(f32.TWO)
_TANH_BIG = _c(f32.TANH_BIG)
_TANH_SMALL = _c(f32.TANH_SMALL)
_TP0, _TP1, _TP2, _TP3, _TP4 = (_c(b) for b in f32.TANH_P)
_NEG_INF = _c(f32.NEG_INF)


@nb.njit(**_JIT)
def _pow2(k):
    return np.float32(math.ldexp(1.0, k))  # exact: -126 <= k <= 127 here


@nb.njit(**_JIT)
def exp32(x):
    """f32.exp on one float32 (NaN in: some NaN out; callers canonicalise)."""
    if x != x:
        return _NAN
    if x > _EXP_OVER:
        return _INF
    if x < _EXP_UNDER:
        return _ZERO
    kr = x * _LOG2E + _MAGIC
    kf = kr - _MAGIC
    k = int(kf)
    r = (x - kf * _LN2_HI) - kf * _LN2_LO
    p = ((((_EP0 * r + _EP1) * r + _EP2) * r + _EP3) * r + _EP4) * r + _EP5
    p = (p * (r * r) + r) + _ONE
    k1 = k >> 1
    return (p * _pow2(k1)) * _pow2(k - k1)


@nb.njit(**_JIT)
def log32(x):
    """f32.log on one float32."""
    if x != x or x < _ZERO:
        return _NAN
    if x == _ZERO:
        return _NEG_INF
    if x == _INF:
        return _INF
    mm, e = math.frexp(np.float64(x))  # x = mm * 2^e, mm in [0.5, 1): exact
    m = np.float32(mm)
    if m < _SQRT_HALF:
        e -= 1
        f = (m + m) - _ONE
    else:
        f = m - _ONE
    z = f * f
    ef = np.float32(e)
    y = ((((((((_LP0 * f + _LP1) * f + _LP2) * f + _LP3) * f + _LP4) * f + _LP5) * f + _LP6) * f + _LP7) * f
         + _LP8)
    y = (y * f) * z
    y = y + ef * _LN2_LO
    y = y - z * _HALF
    return (f + y) + ef * _LN2_HI


@nb.njit(**_JIT)
def tanh32(x):
    """f32.tanh on one float32."""
    if x != x:
        return _NAN
    a = abs(x)
    if a > _TANH_BIG:
        return _ONE if x > _ZERO else -_ONE
    if not (a < _TANH_SMALL):
        s = exp32(a + a)
        t = _ONE - _TWO / (s + _ONE)
        return t if x > _ZERO else -t
    if a == _ZERO:
        return x
    z = x * x
    p = (((_TP0 * z + _TP1) * z + _TP2) * z + _TP3) * z + _TP4
    return (p * z) * x + x


# --- elementwise kernels over flat float32 arrays ----------------------------------------
@nb.njit(**_JIT)
def _unary(opc, a, out):
    n = out.shape[0]
    if opc == 16:  # SQRT
        for i in range(n):
            out[i] = np.sqrt(a[i])
    elif opc == 17:  # RSQRT: 1 / sqrt(a), two roundings
        for i in range(n):
            out[i] = _ONE / np.sqrt(a[i])
    elif opc == 18:  # EXP
        for i in range(n):
            out[i] = exp32(a[i])
    else:  # LOG
        for i in range(n):
            out[i] = log32(a[i])


@nb.njit(**_JIT)
def _div(a, b, out):
    for i in range(out.shape[0]):
        out[i] = a[i] / b[i]


@nb.njit(**_JIT)
def vec_exp(a, out):
    for i in range(out.shape[0]):
        out[i] = exp32(a[i])


@nb.njit(**_JIT)
def vec_log(a, out):
    for i in range(out.shape[0]):
        out[i] = log32(a[i])


@nb.njit(**_JIT)
def vec_tanh(a, out):
    for i in range(out.shape[0]):
        out[i] = tanh32(a[i])


@nb.njit(**_JIT)
def _canon(bits):
    for i in range(bits.shape[0]):
        if (bits[i] & np.uint32(0x7FFFFFFF)) > np.uint32(0x7F800000):
            bits[i] = np.uint32(CANONICAL_NAN)


@nb.njit(**_JIT)
def _fmax(a, b):
    """max of section 2 on float32 values (NaN: some NaN; canonicalised later)."""
    if a != a or b != b:
        return _NAN
    if a > b:
        return a
    if b > a:
        return b
    # equal: a & b on the bits; only +-0 differ in bits (then +0 unless both are -0)
    if a == _ZERO:
        if math.copysign(1.0, a) < 0 and math.copysign(1.0, b) < 0:
            return a
        return _ZERO
    return a


@nb.njit(**_JIT)
def _row_max(a, out):
    """a (R, K) -> out (R,): s_1 = max(a0, a0); s_m = max(s, a_m-1)."""
    R, K = a.shape
    for r in range(R):
        acc = _fmax(a[r, 0], a[r, 0])
        for i in range(1, K):
            acc = _fmax(acc, a[r, i])
        out[r] = acc


@nb.njit(**_JIT)
def _row_exp_sum(z, mx, r):
    acc = _ZERO
    m = mx[r]
    for i in range(z.shape[1]):
        acc = acc + exp32(z[r, i] - m)
    return acc


@nb.njit(**_JIT)
def _xent(z, yz, mx, out):
    """out (R,): log(sum exp(z - m)) + m - yz_0 - yz_1 ... (sequential)."""
    R, K = z.shape
    for r in range(R):
        acc = (log32(_row_exp_sum(z, mx, r)) + mx[r]) - yz[r, 0]
        for i in range(1, K):
            acc = acc - yz[r, i]
        out[r] = acc


@nb.njit(**_JIT)
def _xent_grad(z, y, mx, c, out):
    """out (R, C) = (exp(z - m) / rowsum - y) * c; the row sum once per row."""
    R, C = z.shape
    for r in range(R):
        s = _row_exp_sum(z, mx, r)
        m = mx[r]
        for i in range(C):
            out[r, i] = ((exp32(z[r, i] - m) / s) - y[r, i]) * c


@nb.njit(**_JIT)
def _adam_m(mo, g, b1, omb1, out):
    for i in range(out.shape[0]):
        out[i] = mo[i] * b1 + g[i] * omb1


@nb.njit(**_JIT)
def _adam_v(vo, g, b2, omb2, out):
    for i in range(out.shape[0]):
        out[i] = vo[i] * b2 + (g[i] * g[i]) * omb2


@nb.njit(**_JIT)
def _adam(w, mn, vn, one_m_p2, one_m_p1, eps, lr, wd, out):
    for i in range(out.shape[0]):
        s = np.sqrt(vn[i] / one_m_p2) + eps
        s = (mn[i] / s) / one_m_p1
        s = (s + w[i] * wd) * lr
        out[i] = w[i] - s


@nb.njit(**_JIT)
def _softmax(z, mx, out):
    R, C = z.shape
    for r in range(R):
        s = _row_exp_sum(z, mx, r)
        m = mx[r]
        for i in range(C):
            out[r, i] = exp32(z[r, i] - m) / s


@nb.njit(**_JIT)
def _softmax_bwd(g, p, out):
    R, C = g.shape
    for r in range(R):
        acc = _ZERO
        for i in range(C):
            acc = acc + g[r, i] * p[r, i]
        for i in range(C):
            out[r, i] = (g[r, i] - acc) * p[r, i]


_GC = _c(oc.GELU_C)
_G3C = _c(oc.GELU_3C)
_GS2 = _c(oc.GELU_SQRT_2_OVER_PI)


@nb.njit(**_JIT)
def _gelu(x, out):
    for i in range(out.shape[0]):
        v = x[i]
        t = tanh32((v + _GC * ((v * v) * v)) * _GS2)
        out[i] = (_HALF * v) * (_ONE + t)


@nb.njit(**_JIT)
def _gelu_bwd(x, g, out):
    for i in range(out.shape[0]):
        v = x[i]
        t = tanh32((v + _GC * ((v * v) * v)) * _GS2)
        slope = _HALF * (_ONE + t) + ((_HALF * v) * (_ONE - t * t)) * (_GS2 * (_ONE + _G3C * (v * v)))
        out[i] = slope * g[i]


@nb.njit(**_JIT)
def _ln_rstd(x, s, d, eps, out):
    R, K = x.shape
    for r in range(R):
        mean = s[r] / d
        acc = _ZERO
        for i in range(K):
            dev = x[r, i] - mean
            acc = acc + dev * dev
        out[r] = _ONE / np.sqrt(acc / d + eps)


@nb.njit(**_JIT)
def _ln_norm(x, s, rstd, d, out):
    R, C = x.shape
    for r in range(R):
        mean = s[r] / d
        for i in range(C):
            out[r, i] = (x[r, i] - mean) * rstd[r]


@nb.njit(**_JIT)
def _ln_scale(a, gamma, out):
    R, C = a.shape
    for r in range(R):
        for i in range(C):
            out[r, i] = a[r, i] * gamma[i]


@nb.njit(**_JIT)
def _ln_bwd(g, xh, d, out):
    R, C = g.shape
    for r in range(R):
        acc = _ZERO
        for i in range(C):
            acc = acc + g[r, i] * xh[r, i]
        q = acc / d
        for i in range(C):
            out[r, i] = g[r, i] - xh[r, i] * q
# --- batched MATMUL (BMATMUL, docs/reproducible-ops.md section 5.4) ---------------------
_MASKED = _c(oc.BMM_MASKED)


def _k_bmatmul(node, j, ins, t, of):
    try:  # the node's batch count and flags, validated
        nbat, R, ta, tb, causal = micro.bmm_geometry(node)
    except ValueError as exc:
        raise ValueError(f"fast: node {j} ({exc})") from exc
    C, K = node.cols, node.k
    a = _need(node, j, ins[0], nbat * R * K, "A")
    b = _need(node, j, ins[1], nbat * K * C, "B")
    a3 = a.reshape(nbat, K, R) if ta else a.reshape(nbat, R, K)
    b3 = b.reshape(nbat, C, K) if tb else b.reshape(nbat, K, C)
    out = of.reshape(nbat, R, C)
    # batch n is bit-identical to a MATMUL of its operands (section 5.4): the MATMUL kernel
    # itself, then the masked entries (j > i) overwritten with -inf
    from .fast import _matmul_serial

    for n in range(nbat):
        _matmul_serial(a3[n], b3[n], ta, tb, out[n])
    if causal:
        out[:, np.arange(C)[None, :] > np.arange(R)[:, None]] = _MASKED
# --- end batched MATMUL ------------------------------------------------------------------


#: v2 opcodes handled here, with their input counts
ARITY_V2: dict[Op, int] = {}


def _need(node: Node, j: int, arr: np.ndarray, size: int, what: str) -> np.ndarray:
    if arr.size != size:
        raise ValueError(f"fast: node {j} ({node.op.name}) {what} has {arr.size} words, expected {size}")
    return arr.reshape(-1).view(np.float32)


def exec_v2(node: Node, j: int, ins: list[np.ndarray], t: int) -> np.ndarray:
    """Run one v2 node (uint32 input arrays); returns its (rows, cols) uint32 output."""
    R, C = node.rows, node.cols
    n = R * C
    op = node.op
    if op not in ARITY_V2:
        raise ValueError(f"fast: node {j} has unsupported opcode {op!r}")
    if len(ins) != ARITY_V2[op]:
        raise ValueError(f"fast: node {j} ({op.name}) takes {ARITY_V2[op]} inputs, got {len(ins)}")
    out = np.empty(n, dtype=np.uint32)
    of = out.view(np.float32)
    _KERNELS[op](node, j, ins, t, of)
    _canon(out)
    return out.reshape(R, C)


def _k_div(node, j, ins, t, of):
    n = node.rows * node.cols
    _div(_need(node, j, ins[0], n, "A"), _need(node, j, ins[1], n, "B"), of)


def _k_unary(node, j, ins, t, of):
    _unary(int(node.op), _need(node, j, ins[0], node.rows * node.cols, "A"), of)


def _k_row_max(node, j, ins, t, of):
    a = _need(node, j, ins[0], node.rows * node.k, "A").reshape(node.rows, node.k)
    _row_max(a, of)


def _k_xent(node, j, ins, t, of):
    R, K = node.rows, node.k
    z = _need(node, j, ins[0], R * K, "z").reshape(R, K)
    yz = _need(node, j, ins[1], R * K, "y*z").reshape(R, K)
    mx = _need(node, j, ins[2], R, "row max")
    _xent(z, yz, mx, of)


def _k_xent_grad(node, j, ins, t, of):
    R, C = node.rows, node.cols
    if node.k != C:
        raise ValueError(f"fast: node {j} (SOFTMAX_XENT_GRAD) needs k = cols")
    z = _need(node, j, ins[0], R * C, "z").reshape(R, C)
    y = _need(node, j, ins[1], R * C, "y").reshape(R, C)
    mx = _need(node, j, ins[2], R, "row max")
    _xent_grad(z, y, mx, _c(node.c0), of.reshape(R, C))


def _k_adam_mv(node, j, ins, t, of):
    n = node.rows * node.cols
    a, g = _need(node, j, ins[0], n, "moment"), _need(node, j, ins[1], n, "g")
    if node.op == Op.ADAM_M:
        _adam_m(a, g, _c(oc.ADAM_B1), _c(oc.ADAM_ONE_MINUS_B1), of)
    else:
        _adam_v(a, g, _c(oc.ADAM_B2), _c(oc.ADAM_ONE_MINUS_B2), of)


def _k_adam(node, j, ins, t, of):
    from .micro import adam_power  # the scalar definition of beta^t

    n = node.rows * node.cols
    w, mn, vn = (_need(node, j, ins[i], n, what) for i, what in enumerate(("w", "m", "v")))
    one = _ONE
    p2 = one - _c(adam_power(t, oc.ADAM_LN_B2))
    p1 = one - _c(adam_power(t, oc.ADAM_LN_B1))
    _adam(w, mn, vn, np.float32(p2), np.float32(p1), _c(oc.ADAM_EPS), _c(node.c0), _c(node.c1), of)


def _k_softmax(node, j, ins, t, of):
    R, C = node.rows, node.cols
    if node.k != C:
        raise ValueError(f"fast: node {j} ({node.op.name}) needs k = cols")
    z = _need(node, j, ins[0], R * C, "z").reshape(R, C)
    if node.op == Op.SOFTMAX:
        _softmax(z, _need(node, j, ins[1], R, "row max"), of.reshape(R, C))
    else:
        _softmax_bwd(z, _need(node, j, ins[1], R * C, "p").reshape(R, C), of.reshape(R, C))


def _k_gelu(node, j, ins, t, of):
    n = node.rows * node.cols
    if node.op == Op.GELU:
        _gelu(_need(node, j, ins[0], n, "x"), of)
    else:
        _gelu_bwd(_need(node, j, ins[0], n, "x"), _need(node, j, ins[1], n, "g"), of)


def _k_ln(node, j, ins, t, of):
    R, C = node.rows, node.cols
    if node.op == Op.LN_RSTD:
        x = _need(node, j, ins[0], R * node.k, "x").reshape(R, node.k)
        _ln_rstd(x, _need(node, j, ins[1], R, "row sum"), _c(f32.from_int(node.k)), _c(node.c0), of)
        return
    a = _need(node, j, ins[0], R * C, "x").reshape(R, C)
    o = of.reshape(R, C)
    d = _c(f32.from_int(C))
    if node.op == Op.LN_NORM:
        _ln_norm(a, _need(node, j, ins[1], R, "row sum"), _need(node, j, ins[2], R, "rstd"), d, o)
    elif node.op == Op.LN_SCALE:
        _ln_scale(a, _need(node, j, ins[1], C, "gamma"), o)
    else:
        _ln_bwd(a, _need(node, j, ins[1], R * C, "xhat").reshape(R, C), d, o)


_KERNELS = {
    Op.LN_RSTD: _k_ln,
    Op.LN_NORM: _k_ln,
    Op.LN_SCALE: _k_ln,
    Op.LN_BWD: _k_ln,
    Op.SOFTMAX: _k_softmax,
    Op.SOFTMAX_BWD: _k_softmax,
    Op.GELU: _k_gelu,
    Op.GELU_BWD: _k_gelu,
    Op.ROW_MAX: _k_row_max,
    Op.SOFTMAX_XENT: _k_xent,
    Op.SOFTMAX_XENT_GRAD: _k_xent_grad,
    Op.ADAM_M: _k_adam_mv,
    Op.ADAM_V: _k_adam_mv,
    Op.ADAM: _k_adam,
    Op.DIV: _k_div,
    Op.SQRT: _k_unary,
    Op.RSQRT: _k_unary,
    Op.EXP: _k_unary,
    Op.LOG: _k_unary,
}
ARITY_V2.update({Op.DIV: 2, Op.SQRT: 1, Op.RSQRT: 1, Op.EXP: 1, Op.LOG: 1, Op.ROW_MAX: 1, Op.SOFTMAX_XENT: 3,
                 Op.SOFTMAX_XENT_GRAD: 3, Op.ADAM_M: 2, Op.ADAM_V: 2, Op.ADAM: 3, Op.SOFTMAX: 2,
                 Op.SOFTMAX_BWD: 2, Op.GELU: 1, Op.GELU_BWD: 2, Op.LN_RSTD: 2, Op.LN_NORM: 3, Op.LN_SCALE: 2,
                 Op.LN_BWD: 2})
# batched MATMUL (section 5.4)
_KERNELS[Op.BMATMUL] = _k_bmatmul
ARITY_V2[Op.BMATMUL] = 2


# --- EMBEDDING (docs/reproducible-ops.md section 5.3) ---------------------------


# micro.embed_index itself, compiled: one definition of idx() on the token bits (integer
# operations only, so numba computes exactly what Python does)
embed_index = nb.njit(**_JIT)(micro.embed_index)


@nb.njit(**_JIT)
def _embedding(tok, w, out):
    """out (R, C) = W[idx(tok[r])] (NaNs canonicalised by exec_v2), NaN where no row."""
    R, C = out.shape
    V = w.shape[0]
    for r in range(R):
        v = embed_index(tok[r], V)
        for c in range(C):
            out[r, c] = w[v, c] if v >= 0 else _NAN


@nb.njit(**_JIT)
def _embedding_bwd(tok, g, out):
    """out (V, C): +0, then out[idx(tok[r])] += g[r] for r in order (invalid tokens add nothing)."""
    V, C = out.shape
    for v in range(V):
        for c in range(C):
            out[v, c] = _ZERO
    for r in range(tok.shape[0]):
        v = embed_index(tok[r], V)
        if v >= 0:
            for c in range(C):
                out[v, c] = out[v, c] + g[r, c]


def _k_embedding(node, j, ins, t, of):
    R, C, K = node.rows, node.cols, node.k
    if node.op == Op.EMBEDDING:
        tok = _need(node, j, ins[0], R, "tokens").view(np.uint32)
        _embedding(tok, _need(node, j, ins[1], K * C, "table").reshape(K, C), of.reshape(R, C))
    else:
        tok = _need(node, j, ins[0], K, "tokens").view(np.uint32)
        _embedding_bwd(tok, _need(node, j, ins[1], K * C, "g").reshape(K, C), of.reshape(R, C))


_KERNELS.update({Op.EMBEDDING: _k_embedding, Op.EMBEDDING_BWD: _k_embedding})
ARITY_V2.update({Op.EMBEDDING: 2, Op.EMBEDDING_BWD: 2})

# --- end EMBEDDING ---------------------------------------------------------------
