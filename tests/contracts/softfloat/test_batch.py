"""FloatBatchHarness.batch: the test-only batched entry point's own checks."""

import brownie


def test_batch_rejects_length_mismatch(batch_harness):
    with brownie.reverts("FloatBatchHarness: length mismatch"):
        batch_harness.batch(0, [1, 2], [1])


def test_batch_rejects_unknown_op(batch_harness):
    with brownie.reverts("FloatBatchHarness: unknown op"):
        batch_harness.batch(10, [1], [1])  # 5-9 are the op set v2 primitives


def test_batch_empty(batch_harness):
    assert list(batch_harness.batch(0, [], [])) == []
