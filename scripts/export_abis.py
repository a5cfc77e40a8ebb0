"""Writes interfaces/<Contract>.json, the ABI of every deployable contract.

A deployable is a file directly under contracts/ (not a module in
contracts/modules/, not a test contract in contracts/test/).
Run `python scripts/export_abis.py` (or `make abi`); the test
tests/contracts/test_abi_drift.py fails when the files drift from the
compiled contracts.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INTERFACES = ROOT / "interfaces"
DEPLOYABLE = re.compile(r"^contracts/[A-Z][A-Za-z0-9]*\.vy$")


def deployable_abis(project) -> dict[str, list]:
    """Name -> ABI of each deployable contract of a loaded brownie project."""
    abis = {}
    for name, data in project._build.items():
        if DEPLOYABLE.match(data.get("sourcePath", "")):
            abis[name] = data["abi"]
    return dict(sorted(abis.items()))


def render(abi: list) -> str:
    """The canonical text of an ABI file."""
    return json.dumps(abi, indent=2, sort_keys=True) + "\n"


def write_abis(project, out_dir: Path = INTERFACES) -> list[Path]:
    """Writes every deployable's ABI; returns the paths written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, abi in deployable_abis(project).items():
        path = out_dir / f"{name}.json"
        path.write_text(render(abi))
        paths.append(path)
    return paths


def main() -> None:
    from brownie import project

    loaded = project.load(str(ROOT))
    for path in write_abis(loaded):
        print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
