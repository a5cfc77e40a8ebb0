"""Every available backend gives the reference's bits on every node of every step."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from offchain.runtime import compiler, dataset, executor
from offchain.runtime.opcodes import Op
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


# --- the default backend ----------------------------------------------------------------
def test_default_backend_is_fast(tmp_path):
    """train, solve and verify run the numba executor unless told otherwise."""
    import json

    from click.testing import CliRunner

    from offchain import cli as cli_mod
    from offchain.config import Settings, load_settings
    from offchain.runtime import fast

    assert Settings().backend == "fast" and load_settings(env={}).backend == "fast"
    assert executor.get_backend(Settings().backend) is fast.run_step
    assert load_settings(env={"TT_BACKEND": "reference"}).backend == "reference"
    for name in ("train", "solve", "verify"):
        opt = next(p for p in cli_mod.cli.commands[name].params if p.name == "backend")
        assert opt.default is None, name  # None: the settings' backend
    res = CliRunner().invoke(cli_mod.cli, ["train", "--steps", "2", "--quiet", "--out", str(tmp_path)],
                             obj={}, env={"TT_BACKEND": ""})
    assert res.exit_code == 0, res.output
    assert json.loads((tmp_path / "index.json").read_text())["backend"] == "fast"


# --- rewritten fast kernels against the reference executor, bit for bit ----------------
SPECIAL = np.array([0x00000000, 0x80000000, 0x00000001, 0x80000001, 0x007FFFFF, 0x00800000, 0x3F800000,
                    0x3F801000, 0xBF801000, 0x7F7FFFFF, 0xFF7FFFFF, 0x7F800000, 0xFF800000, 0x7FC00000,
                    0x7F800001, 0xFFC00001, 0x1F800000, 0x20000000], dtype=np.uint32)


def _bits(shape, rng, special):
    """Mixed-magnitude floats with a share of -0.0, subnormals, inf, NaN payloads, ties."""
    n = shape[0] * shape[1]
    bits = (rng.integers(0, 2, n, dtype=np.uint32) << np.uint32(31)) \
        | (rng.integers(100, 155, n, dtype=np.uint32) << np.uint32(23)) | rng.integers(0, 1 << 23, n, dtype=np.uint32)
    pick = rng.random(n) < special
    bits[pick] = rng.choice(SPECIAL, int(pick.sum()))
    return bits.reshape(shape)


def _one_node(node, slots):
    from offchain.runtime.program import Header, Node, Program

    data = np.zeros((3, 2), dtype=np.uint32)
    init = tuple(Node(Op.INIT_UNIFORM, (), s.shape[0], s.shape[1], 0, 0x3F800000) for s in slots)
    prog = Program(Header(len(slots), 1, 3, 2, 1, 7), init, (node,))
    ref = executor.run_step(prog, 1, slots, data, "reference")[0]
    fast = executor.run_step(prog, 1, slots, data, "fast")[0]
    return ref, fast


# rows/cols around the 3-row tile, the 4-step k unroll, the 128-column panel, the narrow
# (< 16 columns, >= 16 rows, 128-row block) path; 1x1 and k = 1
MATMUL_SHAPES = [(1, 1, 1), (1, 1, 5), (2, 1, 1), (4, 1, 3), (5, 3, 7), (7, 5, 129), (10, 9, 2), (3, 8, 127),
                 (11, 13, 131), (97, 6, 11), (200, 4, 257), (16, 1, 1), (17, 5, 15), (130, 6, 3), (15, 3, 2)]


@pytest.mark.parametrize("R,K,C", MATMUL_SHAPES)
@pytest.mark.parametrize("flags", [0, 1, 2, 3])
def test_fast_matmul_equals_reference_odd_shapes_and_edge_values(R, K, C, flags):
    from offchain.runtime.opcodes import Ref
    from offchain.runtime.program import Node

    rng = np.random.default_rng(R * 7919 + K * 31 + C * 3 + flags)
    a = _bits((K, R) if flags & 1 else (R, K), rng, 0.2)
    b = _bits((C, K) if flags & 2 else (K, C), rng, 0.2)
    node = Node(Op.MATMUL, ((Ref.STATE, 0), (Ref.STATE, 1)), R, C, K, flags)
    ref, got = _one_node(node, [a, b])
    assert got.dtype == np.uint32 and np.array_equal(ref, got)


def test_fast_matmul_same_bits_with_more_threads():
    """Row groups and column panels split across threads; every element keeps its k order."""
    import numba

    from offchain.runtime.opcodes import Ref
    from offchain.runtime.program import Node

    rng = np.random.default_rng(3)
    K = 1 + (1 << 20) // (301 * 259)  # over fast._PAR_WORK multiply-adds: the parallel kernel runs
    a, b = _bits((301, K), rng, 0.05), _bits((K, 259), rng, 0.05)
    node = Node(Op.MATMUL, ((Ref.STATE, 0), (Ref.STATE, 1)), 301, 259, K, 0)
    before = numba.get_num_threads()
    try:
        outs = []
        for threads in sorted({1, numba.config.NUMBA_NUM_THREADS}):
            numba.set_num_threads(threads)
            outs.append(_one_node(node, [a, b]))
    finally:
        numba.set_num_threads(before)
    for ref, got in outs:
        assert np.array_equal(ref, got)


def test_fast_matmul_signed_zero_nan_inf_cases():
    """-0 products sum to +0 (acc starts at +0); inf - inf and NaN inputs give the canonical NaN."""
    from offchain.runtime.opcodes import CANONICAL_NAN, Ref
    from offchain.runtime.program import Node

    a = np.array([[0x80000000, 0x80000000], [0x7F800000, 0x3F800000], [0x7FC00001, 0x00000001]], dtype=np.uint32)
    b = np.array([[0x3F800000], [0xFF800000]], dtype=np.uint32)  # (2, 1): col 1, -inf
    node = Node(Op.MATMUL, ((Ref.STATE, 0), (Ref.STATE, 1)), 3, 1, 2, 0)
    ref, got = _one_node(node, [a, b])
    assert np.array_equal(ref, got)
    # row 0: +0 + (-0 * 1) = +0, then +0 + (-0 * -inf) = NaN; row 1: inf + -inf = NaN; row 2: NaN
    assert list(got[:, 0]) == [CANONICAL_NAN, CANONICAL_NAN, CANONICAL_NAN]
    b2 = np.array([[0x3F800000], [0x3F800000]], dtype=np.uint32)
    ref, got = _one_node(node, [a, b2])
    assert np.array_equal(ref, got)
    assert list(got[:, 0]) == [0x00000000, 0x7F800000, CANONICAL_NAN]  # (-0 * 1) + (-0 * 1) from +0 is +0


def test_bad_backend_is_one_clear_line_for_every_command(tmp_path):
    from click.testing import CliRunner

    from offchain import cli as cli_mod

    for args in (["train", "--out", str(tmp_path), "--steps", "1"], ["solve"], ["verify"]):
        res = CliRunner().invoke(cli_mod.cli, args, obj={}, env={"TT_BACKEND": "nope"})
        assert res.exit_code == 2 and "unknown backend 'nope'" in res.output, (args, res.output)


@pytest.mark.parametrize("R,C", [(1, 1), (1, 17), (3, 7), (33, 5)])
def test_fast_sgd_equals_reference_on_edge_values(R, C):
    """SGD writes canonical NaNs itself (no separate pass): NaN payloads, inf - inf, -0, subnormals."""
    from offchain.runtime.opcodes import Ref
    from offchain.runtime.program import Node

    rng = np.random.default_rng(R * 100 + C)
    w, g = _bits((R, C), rng, 0.5), _bits((R, C), rng, 0.5)
    for lr in (0x3DCCCCCD, 0x7F800000, 0x80000000, 0x00000001):  # 0.1, +inf, -0, smallest subnormal
        node = Node(Op.SGD, ((Ref.STATE, 0), (Ref.STATE, 1)), R, C, 0, lr)
        ref, got = _one_node(node, [w, g])
        assert np.array_equal(ref, got), hex(lr)
