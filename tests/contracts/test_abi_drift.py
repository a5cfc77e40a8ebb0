"""interfaces/<Contract>.json must equal the compiled ABI of every
deployable contract, and its NatSpec interfaces/_natspec/<Contract>.json;
interfaces/ERC20.json is the EIP-20 ABI (regenerate all with `make abi`)."""

import json
from pathlib import Path

import brownie

from scripts.export_abis import INTERFACES, NATSPEC, deployable_abis, expected_files, render


def _project():
    return brownie.project.get_loaded_projects()[0]


def test_every_deployable_has_an_abi_file():
    names = set(deployable_abis(_project()))
    assert {"Parameters", "StakeManager", "TaskRegistry"} <= names
    files = {p.stem for p in Path(INTERFACES).glob("*.json")}
    missing = names - files
    assert not missing, f"run `make abi`: no interfaces/ file for {sorted(missing)}"


def test_abi_files_match_compiled_contracts():
    drifted = [
        name
        for name, abi in deployable_abis(_project()).items()
        if (Path(INTERFACES) / f"{name}.json").read_text() != render(abi)
    ]
    assert not drifted, f"run `make abi`: interfaces/ drifted from {drifted}"


def test_no_test_contract_or_module_exported():
    names = set(deployable_abis(_project()))
    assert "TestToken" not in names
    assert "pausable" not in names and "ownable_2step" not in names


def test_interfaces_match_export():
    """Every file `make abi` writes (ABIs, NatSpec, the ERC-20 ABI) is in interfaces/ as
    exported, and interfaces/ holds nothing stale."""
    expected = expected_files(_project())
    drifted = [name for name, text in expected.items()
               if not (Path(INTERFACES) / name).is_file() or (Path(INTERFACES) / name).read_text() != text]
    assert not drifted, f"run `make abi`: interfaces/ drifted for {drifted}"
    stale = {p.relative_to(INTERFACES).as_posix() for p in Path(INTERFACES).rglob("*.json")} - set(expected)
    assert not stale, f"interfaces/ holds files no contract exports: {sorted(stale)}"


def test_natspec_exported_for_integrators():
    """Each deployable's NatSpec carries user and developer docs of its external functions."""
    for name in deployable_abis(_project()):
        doc = json.loads((Path(INTERFACES) / NATSPEC / f"{name}.json").read_text())
        assert set(doc) == {"userdoc", "devdoc"}, name
        assert doc["devdoc"].get("methods") or doc["userdoc"].get("methods"), name
    registry = json.loads((Path(INTERFACES) / NATSPEC / "TaskRegistry.json").read_text())
    create = next(v for k, v in registry["devdoc"]["methods"].items() if k.startswith("create_task("))
    assert "num_steps" in create["params"]


def test_erc20_abi_is_the_standard():
    abi = json.loads((Path(INTERFACES) / "ERC20.json").read_text())
    names = {e["name"] for e in abi}
    assert names == {"name", "symbol", "decimals", "totalSupply", "balanceOf", "allowance", "transfer",
                     "transferFrom", "approve", "Transfer", "Approval"}
    assert "mint" not in names  # a TestToken extra: a live token has none
