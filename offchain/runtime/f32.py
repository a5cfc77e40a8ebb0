"""Scalar IEEE-754 binary32 primitives on uint32 bit patterns.

The reference semantics of the micro-step primitives (docs/reproducible-ops.md
section 2): round-to-nearest-even, full subnormals, no fused multiply-add,
every NaN result of add/sub/mul/max replaced by CANONICAL_NAN. They are the
oracle for the Vyper soft-float module and for the micro-trace generator.
"""

from __future__ import annotations

import numpy as np

from .opcodes import CANONICAL_NAN

POS_ZERO = 0x00000000
NEG_ZERO = 0x80000000
ONE = 0x3F800000


def to_f32(bits: int) -> np.float32:
    """Reinterpret a uint32 bit pattern as a numpy float32."""
    return np.array([bits & 0xFFFFFFFF], dtype=np.uint32).view(np.float32)[0]


def to_bits(x: np.float32) -> int:
    """Reinterpret a float32 as its uint32 bit pattern."""
    return int(np.array([x], dtype=np.float32).view(np.uint32)[0])


def is_nan(bits: int) -> bool:
    return (bits & 0x7F800000) == 0x7F800000 and (bits & 0x007FFFFF) != 0


def _canon(x: np.float32) -> int:
    return CANONICAL_NAN if np.isnan(x) else to_bits(x)


def add(a: int, b: int) -> int:
    with np.errstate(all="ignore"):
        return _canon(to_f32(a) + to_f32(b))


def sub(a: int, b: int) -> int:
    with np.errstate(all="ignore"):
        return _canon(to_f32(a) - to_f32(b))


def mul(a: int, b: int) -> int:
    with np.errstate(all="ignore"):
        return _canon(to_f32(a) * to_f32(b))


def gt(a: int, b: int) -> bool:
    """a > b as IEEE comparison (false when either is NaN; -0 > +0 is false)."""
    return bool(to_f32(a) > to_f32(b))


def max_(a: int, b: int) -> int:
    """max(a, b): canonical NaN if either is NaN; max(-0, +0) = +0."""
    if is_nan(a) or is_nan(b):
        return CANONICAL_NAN
    if gt(a, b):
        return a & 0xFFFFFFFF
    if gt(b, a):
        return b & 0xFFFFFFFF
    return (a & b) & 0xFFFFFFFF  # equal: for +-0 the sign bit survives only if both negative


def from_int(x: int) -> int:
    """Signed 32-bit integer to float32, round-to-nearest-even."""
    if not -(2**31) <= x < 2**31:
        raise ValueError("from_int: value outside int32")
    # float64 holds every int32 exactly; the cast to float32 rounds once (RNE)
    return to_bits(np.float32(np.float64(x)))


# --- op set v2: exact division and square root ---------------------------------------


def div(a: int, b: int) -> int:
    """a / b, IEEE-754 binary32 (RNE, subnormals); NaN results canonical (0/0, inf/inf)."""
    with np.errstate(all="ignore"):
        return _canon(to_f32(a) / to_f32(b))


def sqrt(a: int) -> int:
    """sqrt(a), IEEE-754 binary32 (RNE); sqrt(-0) = -0; NaN for a < 0 or NaN, canonical."""
    with np.errstate(all="ignore"):
        return _canon(np.sqrt(to_f32(a)))


# --- op set v2: exp, log, tanh DEFINED as fixed sequences of the primitives -----------
# docs/reproducible-ops.md section 2.1 is the normative text; every constant is a
# float32 bit pattern. These scalar functions are the definition; f32vec.py (numpy,
# torch), fast_v2.py (numba) and softfloat32.vy must equal them bit for bit.

LOG2E = 0x3FB8AA3B  # 1.44269504
LN2_HI = 0x3F318000  # 0.693359375 (9 significant bits: k * LN2_HI is exact)
LN2_LO = 0xB95E8083  # -2.12194440e-4
ROUND_MAGIC = 0x4B400000  # 1.5 * 2^23: add/sub rounds a |v| < 2^22 to an integer
EXP_OVER = 0x42C80000  # 100.0: exp(x) = +inf above
EXP_UNDER = 0xC2DC0000  # -110.0: exp(x) = +0 below
EXP_P = (0x39506967, 0x3AB743CE, 0x3C088908, 0x3D2AA9C1, 0x3E2AAAAA, 0x3F000000)
SQRT_HALF = 0x3F3504F3  # 0.70710677
LOG_P = (0x3D9021BB, 0xBDEBD1B8, 0x3DEF251A, 0xBDFE5D4F, 0x3E11E9BF, 0xBE2AAE50,
         0x3E4CCEAC, 0xBE7FFFFC, 0x3EAAAAAA)
HALF = 0x3F000000
TWO = 0x40000000
TANH_BIG = 0x41200000  # 10.0: tanh(|x|) = 1 above
TANH_SMALL = 0x3F200000  # 0.625: polynomial below
TANH_P = (0xBBBAF0EA, 0x3CA9134E, 0xBD5C1E2D, 0x3E088393, 0xBEAAAA99)
POS_INF = 0x7F800000
NEG_INF = 0xFF800000


def pow2(k: int) -> int:
    """2^k as float32 bits, for a normal power (-126 <= k <= 127)."""
    if not -126 <= k <= 127:
        raise ValueError("f32: pow2 exponent outside the normal range")
    return (k + 127) << 23


def _horner(coeffs: tuple[int, ...], x: int) -> int:
    """((c0 * x + c1) * x + c2) ... + c_last, each step mul then add (two roundings)."""
    acc = coeffs[0]
    for c in coeffs[1:]:
        acc = add(mul(acc, x), c)
    return acc


def exp(x: int) -> int:
    """e^x (section 2.1): k = rne(x * log2e), r = x - k*LN2_HI - k*LN2_LO,
    p = poly(r) * r^2 + r + 1, result = (p * 2^k1) * 2^k2 with k1 = floor(k/2)."""
    x &= 0xFFFFFFFF
    if is_nan(x):
        return CANONICAL_NAN
    if gt(x, EXP_OVER):
        return POS_INF
    if gt(EXP_UNDER, x):
        return POS_ZERO
    kr = add(mul(x, LOG2E), ROUND_MAGIC)  # exact integer k in the low bits
    k = (kr - ROUND_MAGIC) if kr >= ROUND_MAGIC else -(ROUND_MAGIC - kr)
    kf = sub(kr, ROUND_MAGIC)  # k as a float (exact)
    r = sub(sub(x, mul(kf, LN2_HI)), mul(kf, LN2_LO))
    p = add(add(mul(_horner(EXP_P, r), mul(r, r)), r), ONE)
    k1 = k >> 1  # floor(k / 2)
    return mul(mul(p, pow2(k1)), pow2(k - k1))


def log(x: int) -> int:
    """ln x (section 2.1): x = m * 2^e with m in [sqrt(1/2), sqrt(2)), f = m - 1,
    y = poly(f) * f * f^2 + e*LN2_LO - f^2/2, result = (f + y) + e*LN2_HI."""
    x &= 0xFFFFFFFF
    if is_nan(x) or (x > NEG_ZERO):
        return CANONICAL_NAN
    if x in (POS_ZERO, NEG_ZERO):
        return NEG_INF
    if x == POS_INF:
        return POS_INF
    e = 0
    if x < 0x00800000:  # subnormal: scale by 2^23 (exact)
        x = mul(x, pow2(23))
        e = -23
    e += (x >> 23) - 126
    m = (x & 0x007FFFFF) | 0x3F000000  # m in [0.5, 1)
    if not gt(SQRT_HALF, m):
        f = sub(m, ONE)
    else:
        e -= 1
        f = sub(add(m, m), ONE)
    z = mul(f, f)
    ef = from_int(e)
    y = mul(mul(_horner(LOG_P, f), f), z)
    y = add(y, mul(ef, LN2_LO))
    y = sub(y, mul(z, HALF))
    return add(add(f, y), mul(ef, LN2_HI))


def tanh(x: int) -> int:
    """tanh x (section 2.1): |x| > 10: +-1; |x| >= 0.625: 1 - 2 / (exp(2|x|) + 1) with x's
    sign; +-0: itself; else x + poly(x^2) * x^2 * x; NaN canonical."""
    x &= 0xFFFFFFFF
    if is_nan(x):
        return CANONICAL_NAN
    sign = x & NEG_ZERO
    a = x & 0x7FFFFFFF
    if gt(a, TANH_BIG):
        return sign | ONE
    if not gt(TANH_SMALL, a):
        s = exp(add(a, a))
        return sign | sub(ONE, div(TWO, add(s, ONE)))
    if a == 0:
        return x  # tanh(+-0) = +-0
    z = mul(x, x)
    return add(mul(mul(_horner(TANH_P, z), z), x), x)
