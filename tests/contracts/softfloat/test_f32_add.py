"""FloatHarness.f32_add / softfloat32.add against the numpy float32 oracle."""

import pytest
from brownie.test import given
from softfloat_cases import (
    CANONICAL_NAN,
    INF,
    MAX_NORMAL,
    OP_ADD,
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
        (ONE, ONE, 0x40000000),  # 1 + 1 = 2
        (0x3DCCCCCD, 0x3E4CCCCD, 0x3E99999A),  # 0.1f + 0.2f
        (0, SIGN, 0),  # +0 + -0 = +0
        (SIGN, SIGN, SIGN),  # -0 + -0 = -0
        (ONE, ONE | SIGN, 0),  # x + (-x) = +0
        (INF, INF | SIGN, CANONICAL_NAN),  # inf - inf is NaN
        (INF, MAX_NORMAL, INF),
        (MAX_NORMAL, MAX_NORMAL, INF),  # overflow
        (MAX_NORMAL, 0x73000000, INF),  # max + half ulp: tie, rounds to even = inf
        (1, 1, 2),  # subnormals add exactly
        (0x7FFFFF, 1, 0x800000),  # largest subnormal + smallest = smallest normal
        (ONE, 0x33800000, ONE),  # 1 + 2^-24: tie, stays at even 1.0
        (0x3F800001, 0x33800000, 0x3F800002),  # odd + half ulp rounds up
        (0x7FC00001, ONE, CANONICAL_NAN),  # any NaN in gives the canonical NaN
        (0xFFFFFFFF, ONE, CANONICAL_NAN),
    ],
)
def test_add_examples(float_harness, a, b, want):
    assert f32.add(a, b) == want
    assert float_harness.f32_add(a, b) == want


def test_add_exponent_boundaries(batch_harness):
    pairs = [(v, p) for v in exponent_boundary_values() for p in boundary_partners()]
    pairs += [(p, v) for v, p in pairs]
    assert check_batch(batch_harness, OP_ADD, pairs) == len(pairs)


def test_add_ties_every_exponent(batch_harness):
    cases = add_tie_cases()
    assert check_batch(batch_harness, OP_ADD, cases) > 10_000


@run_settings(examples=10)
@given(pairs=batches(add_pairs))
def test_add_differential(batch_harness, pairs):
    check_batch(batch_harness, OP_ADD, pairs)


@pytest.mark.slow
@run_settings(examples=180)
@given(pairs=batches(add_pairs))
def test_add_differential_full(batch_harness, pairs):
    check_batch(batch_harness, OP_ADD, pairs)
