"""contracts/modules/opcodes.vy is exactly what scripts/gen_vyper_constants.py generates."""

import importlib.util
from pathlib import Path

from offchain.runtime.opcodes import NODE_SHIFTS, Op, Ref

ROOT = Path(__file__).resolve().parents[2]


def _generator():
    spec = importlib.util.spec_from_file_location(
        "gen_vyper_constants", ROOT / "scripts" / "gen_vyper_constants.py"
    )
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_committed_file_matches_generator():
    gen = _generator()
    committed = (ROOT / "contracts" / "modules" / "opcodes.vy").read_text()
    assert committed == gen.render(), (
        "opcodes.vy is stale: run .venv/bin/python scripts/gen_vyper_constants.py"
    )


def test_every_constant_is_rendered():
    text = _generator().render()
    for op in Op:
        assert f"OP_{op.name}: constant(uint256) = {int(op)}\n" in text
    for ref in Ref:
        assert f"REF_{ref.name}: constant(uint256) = {int(ref)}\n" in text
    for name, (shift, width) in NODE_SHIFTS.items():
        assert f"NODE_{name.upper()}_SHIFT: constant(uint256) = {shift}\n" in text
        assert f"NODE_{name.upper()}_MASK: constant(uint256) = {(1 << width) - 1}  #" in text


def test_check_mode_detects_drift(tmp_path, monkeypatch):
    gen = _generator()
    stale = tmp_path / "opcodes.vy"
    stale.write_text(
        gen.render().replace("OP_SGD: constant(uint256) = 14", "OP_SGD: constant(uint256) = 15")
    )
    monkeypatch.setattr(gen, "TARGET", stale)
    monkeypatch.setattr(gen, "ROOT", tmp_path)
    assert gen.main(["--check"]) == 1
    monkeypatch.setattr(gen, "TARGET", ROOT / "contracts" / "modules" / "opcodes.vy")
    monkeypatch.setattr(gen, "ROOT", ROOT)
    assert gen.main(["--check"]) == 0
