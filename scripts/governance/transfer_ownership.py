"""Starts a two-step ownership transfer of the parameter store.

`python -m scripts.run governance/transfer_ownership NEW_OWNER [--calldata-only]`,
or NEW_OWNER in the environment. The new owner must then run
accept_ownership.
"""

from __future__ import annotations

import os

from brownie import web3

from scripts.deployment import ScriptError
from scripts.governance._common import act, parameters_contract, parse


def main(*args):
    ns = parse("transfer_ownership", args, [("new_owner", "the new owner (or NEW_OWNER)"),
                                            ("legacy_account", "signer (as --account)"),
                                            ("legacy_parameters", "Parameters address (as --parameters)")])
    new_owner = ns.new_owner or os.environ.get("NEW_OWNER")
    if not new_owner:
        raise ScriptError("transfer_ownership: give NEW_OWNER")
    if not web3.is_address(str(new_owner)):
        raise ScriptError(f"transfer_ownership: {new_owner!r} is not an address")
    ns.account = ns.account or ns.legacy_account
    params = parameters_contract(ns.parameters or ns.legacy_parameters)
    tx = act("transfer_ownership", params, "transfer_ownership", (web3.to_checksum_address(str(new_owner)),), ns)
    if tx is not None:
        print(f"pending owner: {params.pending_owner()} (owner still {params.owner()})")
    return tx
