"""Writes docs/settings.md, the reference of every agent setting, from
offchain/config.py (the Settings dataclass: name, type, default and the
comment on its line). `python scripts/gen_settings_doc.py --check` fails when
the file is out of date (tests/offchain/test_settings_doc.py runs it).
"""

from __future__ import annotations

import ast
import sys
from dataclasses import MISSING, fields
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from offchain.config import ENV_PREFIX, Settings  # noqa: E402

CONFIG = ROOT / "offchain" / "config.py"
DOC = ROOT / "docs" / "settings.md"

HEADER = """# Agent settings

Generated from `offchain/config.py` by `python scripts/gen_settings_doc.py`;
a test fails when this file and the code differ. Every daemon and command of
`tt-agent` (= `python -m offchain`) reads these settings, lowest precedence
first: the defaults below, a TOML file (`--config FILE` or `$TT_CONFIG`; keys
at the top level or under an `[agent]` table; an unknown key is an error),
then environment variables `TT_<NAME>` (upper case), then command-line flags.
Relative paths are relative to the working directory, except the default
`interfaces_dir`, which falls back to the ABIs shipped with the checkout or
the installed package. An example file: [agent.example.toml](agent.example.toml).

| setting | environment | type | default | meaning |
|---|---|---|---|---|
"""


def comments() -> dict[str, str]:
    """Field name -> the comment on its line in the Settings class."""
    source = CONFIG.read_text()
    lines = source.splitlines()
    tree = ast.parse(source)
    cls = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Settings")
    out = {}
    for node in cls.body:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            line = lines[node.lineno - 1]
            out[node.target.id] = line.split("#", 1)[1].strip() if "#" in line else ""
    return out


def render() -> str:
    notes = comments()
    rows = []
    for f in fields(Settings):
        default = f.default if f.default is not MISSING else f.default_factory()  # type: ignore[misc]
        typ = type(default).__name__
        shown = f'`"{default}"`' if isinstance(default, str) else f"`{default}`"
        meaning = notes.get(f.name, "").replace("|", "\\|")
        if not meaning:
            raise SystemExit(f"gen_settings_doc: setting {f.name} has no comment in offchain/config.py")
        rows.append(f"| `{f.name}` | `{ENV_PREFIX}{f.name.upper()}` | {typ} | {shown} | {meaning} |")
    return HEADER + "\n".join(rows) + "\n"


def main(argv: list[str]) -> int:
    text = render()
    if "--check" in argv:
        if not DOC.is_file() or DOC.read_text() != text:
            print("docs/settings.md is out of date: run python scripts/gen_settings_doc.py", file=sys.stderr)
            return 1
        return 0
    DOC.write_text(text)
    print(f"wrote {DOC.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
