"""Fast (numba) kernels of op set v2, bit-identical to the scalar definitions.

This module owns the compiled versions of the v2 primitives `exp`, `log`,
`tanh` (docs/reproducible-ops.md section 2.1: the same float32 operation
sequence as `f32.exp` etc., each step rounded separately; numba without
fastmath contracts nothing) and the node kernels of the v2 opcodes
(section 5.1). `fast.py` dispatches v2 opcodes here through `exec_v2`.
Powers of two and the split of x into m * 2^e go through float64 helpers
(`math.ldexp`, `math.frexp`), which are exact for the values used.
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np

from . import f32
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


_KERNELS = {
    Op.DIV: _k_div,
    Op.SQRT: _k_unary,
    Op.RSQRT: _k_unary,
    Op.EXP: _k_unary,
    Op.LOG: _k_unary,
}
ARITY_V2.update({Op.DIV: 2, Op.SQRT: 1, Op.RSQRT: 1, Op.EXP: 1, Op.LOG: 1})
