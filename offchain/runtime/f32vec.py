"""Vectorised op set v2 primitives (div, sqrt, exp, log, tanh) for numpy and torch.

This module owns the array versions of the scalar definitions in `f32.py`
(docs/reproducible-ops.md section 2.1): the same primitive sequence, step for
step, each step one separately rounded float32 operation, the branches taken
per element with `where`. Inputs and outputs are float32 arrays (numpy) or
float32 tensors (torch); every NaN result is the canonical NaN 0x7fc00000.
`exp_np(x)` etc. are the numpy entry points; `Torch` plugs the same code into
the reference (torch) executor. Tests check them against the scalar
definition bit for bit.
"""

from __future__ import annotations

import numpy as np

from . import f32
from .opcodes import CANONICAL_NAN


class Numpy:
    """The array operations the definitions need, on numpy float32 arrays."""

    @staticmethod
    def c(bits: int, like):  # noqa: ARG004 - torch needs `like` for the device
        return np.array([bits & 0xFFFFFFFF], dtype=np.uint32).view(np.float32)[0]

    @staticmethod
    def where(cond, a, b):
        return np.where(cond, a, b).astype(np.float32)

    @staticmethod
    def bits(x):
        return np.asarray(x, dtype=np.float32).view(np.uint32).astype(np.int64)

    @staticmethod
    def from_bits(b):
        return np.asarray(b, dtype=np.int64).astype(np.uint32).view(np.float32)

    @staticmethod
    def isnan(x):
        return np.isnan(x)

    @staticmethod
    def sqrt(x):
        return np.sqrt(x)

    @staticmethod
    def to_float(i):
        return np.asarray(i, dtype=np.int64).astype(np.float32)  # |i| < 2^24: exact

    @staticmethod
    def canon(x):
        b = np.asarray(x, dtype=np.float32).view(np.uint32)
        return np.where(np.isnan(x), np.uint32(CANONICAL_NAN), b).view(np.float32)


class Torch:
    """The same operations on torch float32 tensors (any device)."""

    def __init__(self) -> None:
        import torch

        self.t = torch

    def c(self, bits: int, like):
        t = self.t
        v = t.tensor([bits & 0xFFFFFFFF], dtype=t.int64).to(t.int32).view(t.float32)[0]
        return v.to(like.device)

    def where(self, cond, a, b):
        t = self.t
        a = a if isinstance(a, t.Tensor) else t.as_tensor(a)
        b = b if isinstance(b, t.Tensor) else t.as_tensor(b)
        return t.where(cond, a.to(cond.device), b.to(cond.device))

    def bits(self, x):
        return x.contiguous().view(self.t.int32).to(self.t.int64) & 0xFFFFFFFF

    def from_bits(self, b):
        t = self.t
        b = b & 0xFFFFFFFF
        return t.where(b >= 2**31, b - 2**32, b).to(t.int32).view(t.float32)

    def isnan(self, x):
        return self.t.isnan(x)

    def sqrt(self, x):
        # torch's float32 sqrt kernel is not correctly rounded on CPU (a 1-ulp
        # approximation on large tensors); binary64 sqrt rounded once to binary32
        # is (53 >= 2 * 24 + 2 bits: double rounding is innocuous for sqrt)
        return self.t.sqrt(x.to(self.t.float64)).to(self.t.float32)

    def to_float(self, i):
        return i.to(self.t.float32)

    def canon(self, x):
        t = self.t
        b = x.contiguous().view(t.int32)
        return t.where(t.isnan(x), t.full_like(b, CANONICAL_NAN), b).view(t.float32)


NP = Numpy()


def _horner(xp, coeffs, x):
    acc = xp.c(coeffs[0], x) + x * 0  # broadcast to x's shape
    for c in coeffs[1:]:
        acc = acc * x + xp.c(c, x)
    return acc


def _pow2(xp, k):
    """2^k (normal range) from integer array k."""
    return xp.from_bits((k + 127) << 23)


def div(xp, a, b):
    return xp.canon(a / b)


def sqrt(xp, a):
    return xp.canon(xp.sqrt(a))


def exp(xp, x):
    """f32.exp on an array (same steps)."""
    c = xp.c
    nan = xp.isnan(x)
    over = x > c(f32.EXP_OVER, x)
    under = x < c(f32.EXP_UNDER, x)
    xs = xp.where(nan | over | under, x * 0, x)  # keep the rest finite and in range
    kr = xs * c(f32.LOG2E, x) + c(f32.ROUND_MAGIC, x)
    k = xp.bits(kr) - f32.ROUND_MAGIC
    kf = kr - c(f32.ROUND_MAGIC, x)
    r = (xs - kf * c(f32.LN2_HI, x)) - kf * c(f32.LN2_LO, x)
    p = (_horner(xp, f32.EXP_P, r) * (r * r) + r) + c(f32.ONE, x)
    k1 = k >> 1
    y = (p * _pow2(xp, k1)) * _pow2(xp, k - k1)
    y = xp.where(over, c(f32.POS_INF, x), y)
    y = xp.where(under, c(f32.POS_ZERO, x), y)
    return xp.where(nan, c(CANONICAL_NAN, x), y)


def log(xp, x):
    """f32.log on an array (same steps)."""
    c = xp.c
    b = xp.bits(x)
    bad = xp.isnan(x) | (b > f32.NEG_ZERO)
    zero = (b == f32.POS_ZERO) | (b == f32.NEG_ZERO)
    inf = b == f32.POS_INF
    sub_ = b < 0x00800000
    xs = xp.where(sub_, x * c(f32.pow2(23), x), x)
    bs = xp.bits(xs)
    e = (bs >> 23) - 126 - xp.where(sub_, 23, 0)
    m = xp.from_bits((bs & 0x007FFFFF) | 0x3F000000)
    low = m < c(f32.SQRT_HALF, x)
    e = e - xp.where(low, 1, 0)
    f = xp.where(low, m + m, m) - c(f32.ONE, x)
    z = f * f
    ef = xp.to_float(e)
    y = (_horner(xp, f32.LOG_P, f) * f) * z
    y = y + ef * c(f32.LN2_LO, x)
    y = y - z * c(f32.HALF, x)
    out = (f + y) + ef * c(f32.LN2_HI, x)
    out = xp.where(zero, c(f32.NEG_INF, x), out)
    out = xp.where(inf, c(f32.POS_INF, x), out)
    return xp.where(bad, c(CANONICAL_NAN, x), out)


def tanh(xp, x):
    """f32.tanh on an array (same steps)."""
    c = xp.c
    b = xp.bits(x)
    nan = xp.isnan(x)
    sign = b & f32.NEG_ZERO
    a = xp.from_bits(b & 0x7FFFFFFF)
    big = a > c(f32.TANH_BIG, x)
    mid = ~big & ~(a < c(f32.TANH_SMALL, x)) & ~nan
    am = xp.where(mid, a, x * 0)
    s = exp(xp, am + am)
    t_mid = c(f32.ONE, x) - c(f32.TWO, x) / (s + c(f32.ONE, x))
    xsm = xp.where(mid | big | nan, x * 0, x)
    z = xsm * xsm
    t_small = (_horner(xp, f32.TANH_P, z) * z) * xsm + xsm
    mag = xp.where(big, c(f32.ONE, x), t_mid)
    out = xp.where(big | mid, xp.from_bits(xp.bits(mag) | sign), t_small)
    out = xp.where(a == 0, x, out)  # tanh(+-0) = +-0
    return xp.where(nan, c(CANONICAL_NAN, x), out)


def _np_call(fn, *args):
    with np.errstate(all="ignore"):
        arrs = [np.asarray(a, dtype=np.float32) for a in args]
        return np.asarray(fn(NP, *arrs), dtype=np.float32)


def div_np(a, b):
    return _np_call(div, a, b)


def sqrt_np(a):
    return _np_call(sqrt, a)


def exp_np(x):
    return _np_call(exp, x)


def log_np(x):
    return _np_call(log, x)


def tanh_np(x):
    return _np_call(tanh, x)
