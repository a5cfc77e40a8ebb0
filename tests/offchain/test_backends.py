"""Every available backend gives the reference's bits on every node of every step."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from offchain.runtime import compiler, dataset, executor
from offchain.runtime.train import train


def _backends() -> list[str]:
    names = [b for b in executor.available_backends() if b != "reference"]
    if torch.cuda.is_available():
        names.append("reference:cuda")
    return names


OTHERS = _backends()


@pytest.fixture(scope="module")
def digits():
    return dataset.digits()


@pytest.mark.skipif(not OTHERS, reason="only the reference backend is available here")
@pytest.mark.parametrize("backend", OTHERS)
@pytest.mark.parametrize("model,hidden,batch", [("mlp", (13,), 7), ("mlp", (17, 5), 1), ("cnn", (), 3)])
def test_every_node_every_step_identical(digits, backend, model, hidden, batch):
    prog = compiler.compile_model(compiler.TrainSpec(model, batch, None, 11, hidden), digits)
    ref_state: list[np.ndarray] = []
    other_state: list[np.ndarray] = []
    for t in range(4):
        ref = executor.run_step(prog, t, ref_state, digits.train, "reference")
        other = executor.run_step(prog, t, other_state, digits.train, backend)
        for j, (a, b) in enumerate(zip(ref, other, strict=True)):
            assert a.dtype == b.dtype == np.uint32 and np.array_equal(a, b), (t, j)
        ref_state = executor.state_after(prog, t, ref)
        other_state = executor.state_after(prog, t, other)


@pytest.mark.skipif(not OTHERS, reason="only the reference backend is available here")
@pytest.mark.parametrize("backend", OTHERS)
def test_run_roots_equal(digits, backend):
    prog = compiler.compile_model(compiler.TrainSpec("mlp"), digits)
    assert train(prog, digits, 20, backend=backend).run_root == train(prog, digits, 20).run_root
