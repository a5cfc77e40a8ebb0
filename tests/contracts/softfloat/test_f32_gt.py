"""FloatBatchHarness.f32_gt / softfloat32.gt: IEEE a > b."""

import pytest
from brownie.test import given
from softfloat_cases import (
    INF,
    OP_GT,
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
        (0, SIGN, False),  # +0 > -0 is false
        (SIGN, 0, False),
        (1, 0, True),  # smallest subnormal > +0
        (0, SIGN | 1, True),
        (ONE, 0, True),  # relu_bwd mask
        (ONE | SIGN, 0, False),
        (INF, 0x7F7FFFFF, True),
        (0x7FC00000, ONE, False),  # NaN compares false both ways
        (ONE, 0x7FC00000, False),
        (INF | SIGN, 0xFF7FFFFF, False),
    ],
)
def test_gt_examples(batch_harness, a, b, want):
    assert f32.gt(a, b) == want
    assert batch_harness.f32_gt(a, b) == want


def test_gt_exponent_boundaries(batch_harness):
    pairs = comparison_boundary_pairs()
    assert check_batch(batch_harness, OP_GT, pairs) == len(pairs)


@run_settings(examples=5)
@given(pairs=batches(compare_pairs))
def test_gt_differential(batch_harness, pairs):
    check_batch(batch_harness, OP_GT, pairs)


@pytest.mark.slow
@run_settings(examples=50)
@given(pairs=batches(compare_pairs))
def test_gt_differential_full(batch_harness, pairs):
    check_batch(batch_harness, OP_GT, pairs)
