"""Op set v2 primitives: exact div/sqrt, and the defined exp/log/tanh on every implementation.

The scalar definitions (offchain/runtime/f32.py) are the oracle; the numpy
and torch array versions (f32vec.py) and the numba kernels (fast_v2.py) must
equal them bit for bit on edge values and random bit patterns. div and sqrt
are checked against an independent oracle: binary64 arithmetic rounded once
to binary32 (double rounding is innocuous for +-*/ and sqrt at 53 >= 2*24+2).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from offchain.runtime import f32, f32vec, fast_v2
from offchain.runtime.opcodes import CANONICAL_NAN

EDGE = [0, 0x80000000, 1, 0x80000001, 0x7FFFFF, 0x807FFFFF, 0x00800000, 0x3F800000, 0xBF800000,
        0x7F800000, 0xFF800000, 0x7FC00000, 0x7F800001, 0xFFC00000, 0xFFFFFFFF, 0x7F7FFFFF, 0xFF7FFFFF,
        0x42C80000, 0x42C80001, 0xC2DC0000, 0xC2DC0001, 0x42B17217, 0x42B17218, 0xC2AEAC50, 0xC2CFF1B5,
        0xC2CE8ED0, 0x3F200000, 0x3F1FFFFF, 0x41200000, 0x41200001, 0x3F3504F3, 0x3F3504F2, 0x33800000,
        0x4B400000, 0xCB400000, 0x3EFFFFFF, 0x3F7FFFFF, 0x3F800001]


def _bits(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.concatenate([
        np.array(EDGE, dtype=np.uint32),
        rng.integers(0, 2**32, n, dtype=np.uint64).astype(np.uint32),
        rng.uniform(-110, 110, n).astype(np.float32).view(np.uint32),
        rng.uniform(-2, 2, n).astype(np.float32).view(np.uint32),
    ])


def _scalar(name: str, bits: np.ndarray) -> np.ndarray:
    fn = getattr(f32, name)
    return np.array([fn(int(b)) for b in bits], dtype=np.uint32)


def _oracle_div(a: int, b: int) -> int:
    with np.errstate(all="ignore"):
        v = np.float32(np.float64(f32.to_f32(a)) / np.float64(f32.to_f32(b)))
    return CANONICAL_NAN if np.isnan(v) else f32.to_bits(v)


def _oracle_sqrt(a: int) -> int:
    with np.errstate(all="ignore"):
        v = np.float32(np.sqrt(np.float64(f32.to_f32(a))))
    return CANONICAL_NAN if np.isnan(v) else f32.to_bits(v)


def test_div_sqrt_correctly_rounded_against_binary64():
    bits = _bits(3000, 1)
    other = np.concatenate([np.array(EDGE[::-1], dtype=np.uint32), _bits(3000, 2)[len(EDGE):]])[: len(bits)]
    for a, b in zip(bits, other, strict=True):
        assert f32.div(int(a), int(b)) == _oracle_div(int(a), int(b)), (hex(a), hex(b))
        assert f32.sqrt(int(a)) == _oracle_sqrt(int(a)), hex(a)
    for a in EDGE:  # every edge pair
        for b in EDGE:
            assert f32.div(a, b) == _oracle_div(a, b), (hex(a), hex(b))


def test_div_sqrt_specials():
    assert f32.div(0, 0) == CANONICAL_NAN  # 0/0
    assert f32.div(0x7F800000, 0xFF800000) == CANONICAL_NAN  # inf/inf
    assert f32.div(0x3F800000, 0x80000000) == 0xFF800000  # 1/-0 = -inf
    assert f32.div(1, 0x40000000) == 0  # 2^-149 / 2: tie to even -> +0
    assert f32.div(3, 0x40000000) == 2  # 3 * 2^-150: tie to even -> 2 * 2^-149
    assert f32.sqrt(0x80000000) == 0x80000000  # sqrt(-0) = -0
    assert f32.sqrt(0xBF800000) == CANONICAL_NAN
    assert f32.sqrt(0xFF800000) == CANONICAL_NAN
    assert f32.sqrt(1) == f32.to_bits(np.float32(math.sqrt(2.0**-149)))


@pytest.mark.parametrize("name", ["exp", "log", "tanh", "sqrt"])
def test_array_versions_equal_scalar_definition(name):
    bits = _bits(2500, 3)
    want = _scalar(name, bits)
    x = bits.view(np.float32)
    got_np = getattr(f32vec, name + "_np")(x).view(np.uint32)
    assert np.array_equal(got_np, want), [hex(b) for b in bits[got_np != want][:5]]
    got_t = getattr(f32vec, name)(f32vec.Torch(), torch.from_numpy(x.copy()))
    got_t = got_t.contiguous().view(torch.int32).numpy().view(np.uint32)
    assert np.array_equal(got_t, want), [hex(b) for b in bits[got_t != want][:5]]
    if name != "sqrt":
        out = np.empty(len(x), np.float32)
        getattr(fast_v2, "vec_" + name)(x, out)
        got_nb = out.view(np.uint32).copy()
        fast_v2._canon(got_nb)
        assert np.array_equal(got_nb, want), [hex(b) for b in bits[got_nb != want][:5]]


def test_torch_sqrt_is_not_trusted():
    """torch's float32 sqrt kernel is off by one ulp on some inputs (seen on CPU with
    large tensors); f32vec.Torch.sqrt must not use it directly."""
    bits = _bits(5000, 4)
    x = torch.from_numpy(bits.view(np.float32).copy())
    got = f32vec.sqrt(f32vec.Torch(), x).contiguous().view(torch.int32).numpy().view(np.uint32)
    assert np.array_equal(got, _scalar("sqrt", bits))


def test_exp_log_tanh_specials():
    assert f32.exp(0) == f32.ONE and f32.exp(0x80000000) == f32.ONE
    assert f32.exp(0x7F800000) == 0x7F800000 and f32.exp(0xFF800000) == 0
    assert f32.exp(0x7F800001) == CANONICAL_NAN
    assert f32.exp(f32.to_bits(np.float32(89.0))) == 0x7F800000  # overflows through the scaling
    assert 0 < f32.exp(f32.to_bits(np.float32(-100.0))) < 0x00800000  # subnormal result
    assert f32.log(f32.ONE) == 0
    assert f32.log(0) == 0xFF800000 and f32.log(0x80000000) == 0xFF800000
    assert f32.log(0xBF800000) == CANONICAL_NAN and f32.log(0x7F800000) == 0x7F800000
    assert f32.tanh(0x80000000) == 0x80000000 and f32.tanh(0) == 0
    assert f32.tanh(0x7F800000) == f32.ONE and f32.tanh(0xFF800000) == 0xBF800000


def _ulp_err(got_bits: int, exact: float) -> float:
    r = np.float32(exact)
    ulp = max(float(np.spacing(np.abs(r))), 2.0**-149)
    return abs(float(f32.to_f32(got_bits)) - exact) / ulp


@pytest.mark.parametrize("name,lo,hi,ref", [
    ("exp", -103.0, 88.7, math.exp), ("log", 1e-30, 1e30, math.log), ("tanh", -10.0, 10.0, math.tanh),
])
def test_accuracy_within_two_ulp(name, lo, hi, ref):
    rng = np.random.default_rng(5)
    xs = rng.uniform(lo, hi, 3000) if name != "log" else np.exp(rng.uniform(math.log(lo), math.log(hi), 3000))
    fn = getattr(f32, name)
    for x in xs.astype(np.float32):
        b = f32.to_bits(x)
        assert _ulp_err(fn(b), ref(float(x))) <= 2.0, (name, float(x))
