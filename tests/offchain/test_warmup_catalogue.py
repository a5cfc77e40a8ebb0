"""The warm-up program of op set v2 (`warmup.v2_catalogue`) holds every opcode, and the fast
backend runs it bit-identically to the reference (torch) backend over three steps."""

import numpy as np

from offchain.runtime import dataset, warmup
from offchain.runtime.executor import run_step, state_after
from offchain.runtime.opcodes import Op


def test_catalogue_uses_every_v2_opcode():
    prog = warmup.v2_catalogue(dataset.load("digits"))
    used = {n.op for n in prog.init + prog.step}
    # the v1 MLP and CNN programs and the explicit elementwise calls of warmup() warm these
    assert set(Op) - used == {Op.ADD, Op.SUB, Op.IM2COL, Op.MSE_GRAD, Op.SGD}


def test_fast_equals_reference_on_the_catalogue():
    data = dataset.load("digits")
    prog = warmup.v2_catalogue(data)
    fast_state: list[np.ndarray] = []
    ref_state: list[np.ndarray] = []
    for t in (0, 1, 2):
        fast_out = run_step(prog, t, fast_state, data.train, "fast")
        ref_out = run_step(prog, t, ref_state, data.train, "reference")
        for j, (a, b) in enumerate(zip(fast_out, ref_out, strict=True)):
            assert np.array_equal(a.view(np.uint32), b.view(np.uint32)), f"step {t} node {j} ({prog.nodes(t)[j].op.name})"
        fast_state, ref_state = state_after(prog, t, fast_out), state_after(prog, t, ref_out)
