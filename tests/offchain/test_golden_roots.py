"""Golden run roots (issue 11, item 6): the published roots of bench/README.md, recomputed.
Any change of op semantics (rounding, order of summation, initialisation, batches) moves
every root and fails here; a deliberate change bumps OP_SET_VERSION (the program
format version, runtime/opcodes.py PROGRAM_VERSION) and the roots together.

`python -m offchain train --model M --dataset digits --steps T` with the CLI defaults
(batch 32, hidden 128, seed 1, default lr)."""

import pytest

from offchain.runtime import compiler, dataset, executor, train
from offchain.runtime.opcodes import PROGRAM_VERSION

OP_SET_VERSION = 1

#: (model, steps) -> run root, for OP_SET_VERSION
GOLDEN = {
    ("mlp", 100): "2e11720d0a1ab929fc54684d3191752d9cf2838c2d6314e1f63b16751a7268ea",
    ("cnn", 30): "8dadedb3619438c4788511c99e436e588b94492044ff56408604d06a2050231f",
    ("cnn", 300): "8e8f1b640bdc0f728fabec4c8c972f9e2bb911c678c081baea2549f7a8c214e0",
    ("mlp", 1000): "0804ffd994709cbb51ef698807cf751fdf0599aa2342d6b9a729dbacd3b5b417",
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
