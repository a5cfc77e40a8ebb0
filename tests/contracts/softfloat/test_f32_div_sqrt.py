"""FloatHarness.f32_div / f32_sqrt (softfloat32.div / sqrt, op set v2) against the oracle.

The oracle (offchain/runtime/f32.py) is itself checked against binary64
rounded once in tests/offchain/test_primitives_v2.py.
"""

import pytest
from brownie.test import given
from softfloat_cases import (
    CANONICAL_NAN,
    INF,
    MAX_NORMAL,
    OP_DIV,
    OP_SQRT,
    SIGN,
    batches,
    boundary_partners,
    check_batch,
    div_pairs,
    exponent_boundary_values,
    run_settings,
    sqrt_operands,
)

from offchain.runtime import f32

ONE = 0x3F800000
TWO = 0x40000000
THREE = 0x40400000


@pytest.mark.parametrize(
    "a, b, want",
    [
        (ONE, THREE, 0x3EAAAAAB),  # 1/3 rounds up
        (TWO, THREE, 0x3F2AAAAB),
        (ONE, SIGN, INF | SIGN),  # 1 / -0 = -inf
        (0, 0, CANONICAL_NAN),
        (INF, INF | SIGN, CANONICAL_NAN),
        (INF, TWO, INF),
        (ONE, INF | SIGN, SIGN),  # 1 / -inf = -0
        (MAX_NORMAL, 0x3F000000, INF),  # overflow
        (1, TWO, 0),  # 2^-149 / 2: tie, even is 0
        (3, TWO, 2),  # 3 * 2^-150: tie, rounds to even 2 * 2^-149
        (0x00800000, 0x4B000000, 1),  # 2^-126 / 2^23 = 2^-149
        (1, MAX_NORMAL, 0),  # far below the smallest subnormal
        (1, 0x3E800000, 4),  # subnormal dividend: 2^-149 / 0.25
        (0x7FA00000, ONE, CANONICAL_NAN),  # signalling NaN in, canonical out
    ],
)
def test_div_examples(float_harness, a, b, want):
    assert f32.div(a, b) == want
    assert float_harness.f32_div(a, b) == want


@pytest.mark.parametrize(
    "a, want",
    [
        (0x40800000, TWO),  # sqrt 4 = 2
        (TWO, 0x3FB504F3),  # sqrt 2
        (SIGN, SIGN),  # sqrt(-0) = -0
        (0, 0),
        (INF, INF),
        (INF | SIGN, CANONICAL_NAN),
        (ONE | SIGN, CANONICAL_NAN),
        (SIGN | 1, CANONICAL_NAN),  # negative subnormal
        (1, 0x1A3504F3),  # sqrt(2^-149)
        (0x7FA00000, CANONICAL_NAN),
        (MAX_NORMAL, 0x5F7FFFFF),
    ],
)
def test_sqrt_examples(float_harness, a, want):
    assert f32.sqrt(a) == want
    assert float_harness.f32_sqrt(a) == want


def test_div_exponent_boundaries(batch_harness):
    pairs = [(v, p) for v in exponent_boundary_values() for p in boundary_partners()]
    pairs += [(p, v) for v, p in pairs]
    assert check_batch(batch_harness, OP_DIV, pairs) == len(pairs)


def test_sqrt_exponent_boundaries(batch_harness):
    vals = exponent_boundary_values()
    assert check_batch(batch_harness, OP_SQRT, [(v, 0) for v in vals]) == len(vals)


@run_settings(examples=5)
@given(pairs=batches(div_pairs))
def test_div_differential(batch_harness, pairs):
    check_batch(batch_harness, OP_DIV, pairs)


@run_settings(examples=5)
@given(ops=batches(sqrt_operands()))
def test_sqrt_differential(batch_harness, ops):
    check_batch(batch_harness, OP_SQRT, ops)


@pytest.mark.slow
@run_settings(examples=180)
@given(pairs=batches(div_pairs))
def test_div_differential_full(batch_harness, pairs):
    check_batch(batch_harness, OP_DIV, pairs)


@pytest.mark.slow
@run_settings(examples=180)
@given(ops=batches(sqrt_operands()))
def test_sqrt_differential_full(batch_harness, ops):
    check_batch(batch_harness, OP_SQRT, ops)
