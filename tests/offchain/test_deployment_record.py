"""offchain/deployment.py: the one deployment-record format (write, read, refuse),
legacy records, the token's name and decimals, exact token units, ABI lookup."""

import json

import pytest

from offchain.chain.client import ChainError, load_deployment
from offchain.deployment import (
    FORMAT,
    DeploymentError,
    abi_file,
    add_contract,
    addresses,
    data_root,
    new_record,
    read_record,
    set_token,
    to_units,
    token_decimals,
    write_record,
)

A1, A2, A3 = ("0x" + c * 40 for c in "123")


def _record(test_token=False):
    r = new_record("sepolia", 11155111, A1, "abc", 100)
    set_token(r, A2, "USDC", 6, test_token=test_token)
    add_contract(r, "TaskRegistry", A3, "0x" + "aa" * 32, 101)
    return r


def test_round_trip_and_names(tmp_path):
    path = write_record(tmp_path / "sepolia.json", _record())
    r = read_record(path)
    assert r["format"] == FORMAT and r["chain_id"] == 11155111 and r["start_block"] == 100
    assert addresses(r) == {"TaskRegistry": A3, "Token": A2}  # a live token is no TestToken
    assert token_decimals(r) == 6
    assert addresses(_record(test_token=True))["TestToken"] == A2
    assert load_deployment(tmp_path, "sepolia")["Token"] == A2  # what the agents read


def test_refuses_unknown_format_and_malformed(tmp_path):
    p = tmp_path / "x.json"
    p.write_text(json.dumps({**_record(), "format": 2}))
    with pytest.raises(DeploymentError, match="format 2"):
        read_record(p)
    p.write_text("{not json")
    with pytest.raises(DeploymentError, match="not readable JSON"):
        read_record(p)
    bad = _record()
    bad["contracts"]["TaskRegistry"] = {"address": "nope"}
    with pytest.raises(DeploymentError, match="TaskRegistry has no address"):
        write_record(tmp_path / "y.json", bad)
    with pytest.raises(ChainError, match="no deployment record"):
        load_deployment(tmp_path, "mainnet")


def test_legacy_records_still_give_addresses():
    assert addresses({"contracts": {"token": A2, "Parameters": A1}}) == {"Token": A2, "Parameters": A1}
    assert addresses({"TestToken": A2})["Token"] == A2
    assert token_decimals({"contracts": {}}) == 18


def test_token_units_are_exact():
    assert to_units(10, 6) == 10_000_000
    assert to_units(0.1, 18) == 10**17  # no float rounding (0.1 * 10**18 as a float is not exact)
    with pytest.raises(ValueError, match="more than 0 decimals"):
        to_units("1.5", 0)
    with pytest.raises(ValueError, match="more than 6 decimals"):
        to_units("0.0000001", 6)
    with pytest.raises(ValueError, match="not a token amount"):
        to_units("ten", 6)


def test_abi_lookup_from_any_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no interfaces/ here
    assert abi_file("interfaces", "Token") == data_root() / "interfaces" / "ERC20.json"
    assert abi_file("interfaces", "TaskRegistry").is_file()
    assert abi_file(str(tmp_path / "abis"), "TaskRegistry") == tmp_path / "abis" / "TaskRegistry.json"
