"""interfaces/<Contract>.json must equal the compiled ABI of every
deployable contract (regenerate with `make abi`)."""

from pathlib import Path

import brownie

from scripts.export_abis import INTERFACES, deployable_abis, render


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
