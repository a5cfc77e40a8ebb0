"""FloatHarness.f32_from_int / softfloat32.from_int: int32 to binary32, RNE."""

import brownie
import pytest
from brownie.test import given
from hypothesis import strategies as st
from softfloat_cases import (
    INT32_MAX,
    INT32_MIN,
    batches,
    check_from_int,
    int32_structured,
    int32s,
    run_settings,
)

from offchain.runtime import f32


@pytest.mark.parametrize(
    "x, want",
    [
        (0, 0),
        (1, 0x3F800000),
        (-1, 0xBF800000),
        (16_777_216, 0x4B800000),  # 2^24
        (16_777_217, 0x4B800000),  # 2^24 + 1: tie, rounds to even 2^24
        (16_777_219, 0x4B800002),  # 2^24 + 3: tie, rounds up to 2^24 + 4
        (INT32_MAX, 0x4F000000),  # rounds up to 2^31
        (INT32_MIN, 0xCF000000),  # -2^31 exactly
        (16_777_215, 0x4B7FFFFF),  # 2^24 - 1 exact
    ],
)
def test_from_int_examples(float_harness, x, want):
    assert f32.from_int(x) == want
    assert float_harness.f32_from_int(x) == want


@pytest.mark.parametrize("x", [INT32_MAX + 1, INT32_MIN - 1, 2**255 - 1, -(2**255)])
def test_from_int_out_of_range(float_harness, x):
    with brownie.reverts("softfloat32: int out of range"):
        float_harness.f32_from_int(x)


def test_from_int_powers_of_two(batch_harness):
    xs = int32_structured()
    assert check_from_int(batch_harness, xs) == len(xs)


def test_from_int_every_16th_near_2_24(batch_harness):
    # all roundings of 25..32-bit magnitudes: every residue of the dropped bits
    xs = [(1 << 24) + i for i in range(0, 4096)] + [(1 << 30) + i * 16 for i in range(4096)]
    xs += [-x for x in xs]
    assert check_from_int(batch_harness, xs) == len(xs)


@run_settings(examples=5)
@given(xs=batches(int32s))
def test_from_int_differential(batch_harness, xs):
    check_from_int(batch_harness, xs)


@pytest.mark.slow
@run_settings(examples=50)
@given(xs=batches(int32s))
def test_from_int_differential_full(batch_harness, xs):
    check_from_int(batch_harness, xs)


@run_settings(examples=10)
@given(x=st.integers(INT32_MAX + 1, 2**255 - 1) | st.integers(-(2**255), INT32_MIN - 1))
def test_from_int_rejects_outside_int32(float_harness, x):
    with brownie.reverts("softfloat32: int out of range"):
        float_harness.f32_from_int(x)
