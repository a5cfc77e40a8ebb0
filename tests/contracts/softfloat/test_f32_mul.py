"""FloatHarness.f32_mul / softfloat32.mul against the numpy float32 oracle."""

import pytest
from brownie.test import given
from softfloat_cases import (
    CANONICAL_NAN,
    INF,
    MAX_NORMAL,
    OP_MUL,
    SIGN,
    batches,
    boundary_partners,
    check_batch,
    exponent_boundary_values,
    mul_pairs,
    mul_tie_cases,
    run_settings,
)

from offchain.runtime import f32

ONE = 0x3F800000
TWO = 0x40000000


@pytest.mark.parametrize(
    "a, b, want",
    [
        (TWO, TWO, 0x40800000),  # 2 * 2 = 4
        (ONE | SIGN, 0, SIGN),  # -1 * +0 = -0
        (SIGN, SIGN, 0),  # -0 * -0 = +0
        (INF, 0, CANONICAL_NAN),  # inf * 0 is NaN
        (INF | SIGN, TWO, INF | SIGN),
        (MAX_NORMAL, TWO, INF),  # overflow
        (MAX_NORMAL | SIGN, TWO, INF | SIGN),
        (1, 0x3F000000, 0),  # 2^-149 * 0.5: tie between 0 and 2^-149, even is 0
        (3, 0x3F000000, 2),  # 3 * 2^-150: tie, rounds to even 2 * 2^-149
        (1, 0x4B000000, 0x00800000),  # 2^-149 * 2^23 = 2^-126, the smallest normal
        (0x00800000, 0x3F000000, 0x00400000),  # smallest normal / 2 is subnormal
        (0x3F800001, 0x3F800001, 0x3F800002),  # (1 + u)^2 = 1 + 2u + u^2 rounds to 1 + 2u
        (0x7FA00000, ONE, CANONICAL_NAN),  # signalling NaN in, canonical out
    ],
)
def test_mul_examples(float_harness, a, b, want):
    assert f32.mul(a, b) == want
    assert float_harness.f32_mul(a, b) == want


def test_mul_exponent_boundaries(batch_harness):
    pairs = [(v, p) for v in exponent_boundary_values() for p in boundary_partners()]
    pairs += [(p, v) for v, p in pairs]
    assert check_batch(batch_harness, OP_MUL, pairs) == len(pairs)


def test_mul_ties_every_exponent(batch_harness):
    assert check_batch(batch_harness, OP_MUL, mul_tie_cases()) > 2_000


@run_settings(examples=10)
@given(pairs=batches(mul_pairs))
def test_mul_differential(batch_harness, pairs):
    check_batch(batch_harness, OP_MUL, pairs)


@pytest.mark.slow
@run_settings(examples=180)
@given(pairs=batches(mul_pairs))
def test_mul_differential_full(batch_harness, pairs):
    check_batch(batch_harness, OP_MUL, pairs)
