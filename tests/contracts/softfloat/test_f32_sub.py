"""FloatHarness.f32_sub / softfloat32.sub against the numpy float32 oracle."""

import pytest
from brownie.test import given
from softfloat_cases import (
    CANONICAL_NAN,
    INF,
    MIN_NORMAL,
    OP_SUB,
    SIGN,
    add_pairs,
    add_tie_cases,
    batches,
    boundary_partners,
    check_batch,
    exponent_boundary_values,
    run_settings,
)

from offchain.runtime import f32

ONE = 0x3F800000


@pytest.mark.parametrize(
    "a, b, want",
    [
        (ONE, ONE, 0),  # x - x = +0
        (SIGN, 0, SIGN),  # -0 - +0 = -0
        (0, 0, 0),  # +0 - +0 = +0
        (0x40000000, ONE, ONE),  # 2 - 1 = 1
        (ONE, 0x33000000, ONE),  # 1 - 2^-25: below the lower half-ulp tie, stays 1
        (ONE, 0x33800000, 0x3F7FFFFF),  # 1 - 2^-24 is exact
        (INF, INF, CANONICAL_NAN),
        (INF, INF | SIGN, INF),
        (0x00800001, MIN_NORMAL, 1),  # gradual underflow: difference is subnormal
        (ONE, 0x7FC00000, CANONICAL_NAN),
    ],
)
def test_sub_examples(float_harness, a, b, want):
    assert f32.sub(a, b) == want
    assert float_harness.f32_sub(a, b) == want


def test_sub_exponent_boundaries(batch_harness):
    pairs = [(v, p) for v in exponent_boundary_values() for p in boundary_partners()]
    pairs += [(p, v) for v, p in pairs]
    assert check_batch(batch_harness, OP_SUB, pairs) == len(pairs)


def test_sub_ties_every_exponent(batch_harness):
    assert check_batch(batch_harness, OP_SUB, add_tie_cases()) > 10_000


@run_settings(examples=5)
@given(pairs=batches(add_pairs))
def test_sub_differential(batch_harness, pairs):
    check_batch(batch_harness, OP_SUB, pairs)


@pytest.mark.slow
@run_settings(examples=100)
@given(pairs=batches(add_pairs))
def test_sub_differential_full(batch_harness, pairs):
    check_batch(batch_harness, OP_SUB, pairs)
