"""Writes interfaces/: what an agent or an integrator needs of the contracts.

- interfaces/<Contract>.json: the ABI of every deployable contract (a file
  directly under contracts/, not a module in contracts/modules/, not a test
  contract in contracts/test/);
- interfaces/_natspec/<Contract>.json: its NatSpec, {"userdoc", "devdoc"}
  as the Vyper compiler emits them (`vyper -f userdoc,devdoc`); brownie
  skips folders named `_*` (it would load any other JSON there as an ABI);
- interfaces/ERC20.json: the EIP-20 ABI agents use for the stake and
  payment token (any ERC-20 by address; the `Token` of a deployment record).

Run `python scripts/export_abis.py` (or `make abi`); the test
tests/contracts/test_abi_drift.py fails when the files drift from the
compiled contracts.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INTERFACES = ROOT / "interfaces"
NATSPEC = "_natspec"  # under interfaces/
DEPLOYABLE = re.compile(r"^contracts/[A-Z][A-Za-z0-9]*\.vy$")


def deployable_abis(project) -> dict[str, list]:
    """Name -> ABI of each deployable contract of a loaded brownie project."""
    abis = {}
    for name, data in project._build.items():
        if DEPLOYABLE.match(data.get("sourcePath", "")):
            abis[name] = data["abi"]
    return dict(sorted(abis.items()))


def erc20_abi(project) -> list:
    """The EIP-20 part of the TestToken's ABI (offchain/chain/deploy.py's selection)."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from offchain.chain.deploy import erc20_abi as select

    return select(project._build.get("TestToken")["abi"])


def natspec(source_path: str) -> dict:
    """{"userdoc", "devdoc"} of a contract, from the Vyper compiler."""
    vyper = Path(sys.executable).with_name("vyper")
    out = subprocess.run([str(vyper), "-f", "userdoc,devdoc", "-p", str(ROOT), str(ROOT / source_path)],
                         capture_output=True, text=True, cwd=ROOT)
    if out.returncode != 0:
        raise RuntimeError(f"export_abis: vyper failed on {source_path}: {out.stderr.strip()[-300:]}")
    userdoc, devdoc = out.stdout.strip().splitlines()[:2]
    return {"userdoc": json.loads(userdoc), "devdoc": json.loads(devdoc)}


def deployable_sources(project) -> dict[str, str]:
    """Name -> source path of each deployable contract."""
    return {name: data["sourcePath"] for name, data in project._build.items()
            if DEPLOYABLE.match(data.get("sourcePath", ""))}


def expected_files(project) -> dict[str, str]:
    """File name under interfaces/ -> its canonical text."""
    files = {f"{name}.json": render(abi) for name, abi in deployable_abis(project).items()}
    for name, source in deployable_sources(project).items():
        files[f"{NATSPEC}/{name}.json"] = render(natspec(source))
    files["ERC20.json"] = render(erc20_abi(project))
    return dict(sorted(files.items()))


def render(abi: list) -> str:
    """The canonical text of an ABI file."""
    return json.dumps(abi, indent=2, sort_keys=True) + "\n"


def write_abis(project, out_dir: Path = INTERFACES) -> list[Path]:
    """Writes every file of interfaces/ (ABIs, NatSpec, ERC-20); returns the paths written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, text in expected_files(project).items():
        path = out_dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        paths.append(path)
    return paths


def main() -> None:
    from brownie import project

    loaded = project.load(str(ROOT))
    for path in write_abis(loaded):
        print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
