"""FloatHarness.f32_max / softfloat32.fmax against the oracle's max_ rule."""

import pytest
from brownie.test import given
from softfloat_cases import (
    CANONICAL_NAN,
    INF,
    OP_MAX,
    SIGN,
    batches,
    check_batch,
    compare_pairs,
    comparison_boundary_pairs,
    run_settings,
)

from offchain.runtime import f32

ONE = 0x3F800000


@pytest.mark.parametrize(
    "a, b, want",
    [
        (SIGN, 0, 0),  # max(-0, +0) = +0
        (0, SIGN, 0),
        (SIGN, SIGN, SIGN),
        (ONE | SIGN, 0, 0),  # relu of -1
        (ONE, 0, ONE),
        (INF | SIGN, ONE | SIGN, ONE | SIGN),
        (INF, 0x7F7FFFFF, INF),
        (0x7FC00000, ONE, CANONICAL_NAN),  # NaN in either: canonical NaN
        (ONE, 0xFFC00001, CANONICAL_NAN),
        (0x7F800001, 0x7F800001, CANONICAL_NAN),
        (1, SIGN | 1, 1),  # subnormals keep their order
    ],
)
def test_max_examples(float_harness, a, b, want):
    assert f32.max_(a, b) == want
    assert float_harness.f32_max(a, b) == want


def test_max_exponent_boundaries(batch_harness):
    pairs = comparison_boundary_pairs()
    assert check_batch(batch_harness, OP_MAX, pairs) == len(pairs)


@run_settings(examples=5)
@given(pairs=batches(compare_pairs))
def test_max_differential(batch_harness, pairs):
    check_batch(batch_harness, OP_MAX, pairs)


@pytest.mark.slow
@run_settings(examples=50)
@given(pairs=batches(compare_pairs))
def test_max_differential_full(batch_harness, pairs):
    check_batch(batch_harness, OP_MAX, pairs)
