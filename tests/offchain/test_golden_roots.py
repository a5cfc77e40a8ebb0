"""Golden run roots (issue 11, item 6): the published roots of bench/README.md, recomputed.
Any change of op semantics (rounding, order of summation, initialisation, batches) moves
every root and fails here; a deliberate change bumps OP_SET_VERSION (the program
format version, runtime/opcodes.py PROGRAM_VERSION) and the roots together.

`python -m offchain train --model M --dataset digits --steps T` with the CLI defaults
(batch 32, hidden 128, seed 1, default lr, checkpoint interval 100). Since issue 12 the run
root is the Merkle root over the boundary step roots S_0, S_100, ..., S_T (not every S_t);
these roots were regenerated then with both the reference and the fast backend, which agree."""

import pytest

from offchain.runtime import compiler, dataset, executor, train
from offchain.runtime.opcodes import PROGRAM_VERSION

OP_SET_VERSION = 1

#: (model, steps) -> run root, for OP_SET_VERSION
GOLDEN = {
    ("mlp", 100): "d219d8faebd988ef9b8206f97a2eae6385880f4c76a44b8bfb880306232c9b66",
    ("cnn", 30): "dd4230feddf6d42e3b40414d6a5ccb4438cc585c497649b417d5b658de464130",
    ("cnn", 300): "cab50177cd2f60b7824720f63e66a7556a0b4769c5bfbcdf523c72fc9a6f0e03",
    ("mlp", 1000): "3890ed588e0ddeef9191023d9c57e6edae2e6fc6ab72788878c01bb84d550f80",
}


def _root(model: str, steps: int, backend: str) -> str:
    data = dataset.load("digits")
    prog = compiler.compile_model(compiler.TrainSpec(model=model, batch=32, seed=1, hidden=(128,)), data)
    return train.train(prog, data, steps, backend=backend).run_root.hex()


def _backend() -> str:
    return "fast" if "fast" in executor.available_backends() else "reference"


def test_op_set_version_matches_the_program_format():
    assert PROGRAM_VERSION == OP_SET_VERSION, "op set changed: recompute GOLDEN and bump OP_SET_VERSION"


@pytest.mark.parametrize("model,steps", [("mlp", 100), ("cnn", 30)])
def test_golden_root_short(model, steps):
    assert _root(model, steps, _backend()) == GOLDEN[(model, steps)]


def test_golden_root_short_reference_backend():
    assert _root("cnn", 30, "reference") == GOLDEN[("cnn", 30)]


@pytest.mark.parametrize("model,steps", [("mlp", 1000), ("cnn", 300)])
def test_golden_root_published(model, steps):
    # a few seconds with the fast backend
    assert _root(model, steps, _backend()) == GOLDEN[(model, steps)]


@pytest.mark.slow
@pytest.mark.parametrize("model,steps", [("mlp", 1000), ("cnn", 300)])
def test_golden_root_published_reference_backend(model, steps):
    assert _root(model, steps, "reference") == GOLDEN[(model, steps)]
