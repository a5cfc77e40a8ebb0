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
