"""softfloat32.exp / ln / tanh (the defined functions of spec 2.1) against f32.exp/log/tanh."""

import pytest
from brownie.test import given
from softfloat_cases import (
    OP_EXP,
    OP_LOG,
    OP_TANH,
    batches,
    check_batch,
    exponent_boundary_values,
    run_settings,
    transcendental_operands,
)

from offchain.runtime import f32

SPECIAL = [0, 0x80000000, 1, 0x80000001, 0x7FFFFF, 0x00800000, 0x3F800000, 0xBF800000, 0x7F800000,
           0xFF800000, 0x7FC00000, 0x7F800001, 0xFFFFFFFF, 0x42C80000, 0x42C80001, 0xC2DC0000,
           0xC2DC0001, 0x42B17217, 0x42B17218, 0xC2CE8ED0, 0x3F200000, 0x3F1FFFFF, 0x41200000,
           0x41200001, 0x3F3504F3, 0x3F3504F2]


@pytest.mark.parametrize("op", [OP_EXP, OP_LOG, OP_TANH])
def test_specials_and_exponent_boundaries(batch_harness, op):
    vals = SPECIAL + exponent_boundary_values()
    assert check_batch(batch_harness, op, [(v, 0) for v in vals]) == len(vals)


def test_exp_log_values(batch_harness):
    assert f32.exp(0) == 0x3F800000 and f32.log(0x3F800000) == 0
    assert batch_harness.gas_exp(0)[1] == 0x3F800000
    assert batch_harness.gas_log(0x3F800000)[1] == 0


@pytest.mark.parametrize("op", [OP_EXP, OP_LOG, OP_TANH])
@run_settings(examples=3)
@given(ops=batches(transcendental_operands()))
def test_differential(batch_harness, op, ops):
    check_batch(batch_harness, op, ops)


@pytest.mark.slow
@pytest.mark.parametrize("op", [OP_EXP, OP_LOG, OP_TANH])
@run_settings(examples=60)
@given(ops=batches(transcendental_operands()))
def test_differential_full(batch_harness, op, ops):
    check_batch(batch_harness, op, ops)
