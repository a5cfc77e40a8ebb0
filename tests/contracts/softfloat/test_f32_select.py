"""FloatBatchHarness.f32_select / softfloat32.select: bits pass unchanged."""

import pytest

NAN_PAYLOAD = 0x7FA00001  # a NaN that arithmetic would canonicalise


@pytest.mark.parametrize("a, b", [(0x3F800000, 0), (NAN_PAYLOAD, 0x80000000), (0, 0xFFFFFFFF)])
def test_select(batch_harness, a, b):
    assert batch_harness.f32_select(True, a, b) == a
    assert batch_harness.f32_select(False, a, b) == b
