"""docs/settings.md is generated from offchain/config.py and must not drift;
docs/agent.example.toml loads and sets every setting."""

import subprocess
import sys
import tomllib
from dataclasses import fields
from pathlib import Path

from offchain.config import Settings, load_settings

ROOT = Path(__file__).resolve().parents[2]


def test_settings_reference_matches_the_code():
    out = subprocess.run([sys.executable, str(ROOT / "scripts" / "gen_settings_doc.py"), "--check"],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    doc = (ROOT / "docs" / "settings.md").read_text()
    for f in fields(Settings):
        assert f"| `{f.name}` | `TT_{f.name.upper()}` |" in doc


def test_example_toml_loads_and_covers_every_setting():
    path = ROOT / "docs" / "agent.example.toml"
    keys = set(tomllib.loads(path.read_text())["agent"])
    assert keys == {f.name for f in fields(Settings)}
    s = load_settings(path, env={})
    assert s.network == "sepolia" and s.confirmations == 2 and s.private_key == ""
