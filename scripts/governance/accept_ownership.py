"""Completes an ownership transfer, signed by the pending owner.

`python -m scripts.run governance/accept_ownership [--account NAME] [--calldata-only]`:
the signer is --account (a brownie keystore account; locally also an
unlocked address or an index), else NEW_OWNER_PRIVATE_KEY, else, locally,
the pending owner (unlocked on Anvil). --calldata-only prints the
transaction for the pending owner (a multisig) to send.
"""

from __future__ import annotations

import os

from brownie import network

from scripts.deployment import LOCAL_NETWORKS, signer
from scripts.governance._common import act, parameters_contract, parse


def main(*args):
    ns = parse("accept_ownership", args, [("legacy_account", "signer (as --account)"),
                                          ("legacy_parameters", "Parameters address (as --parameters)")])
    params = parameters_contract(ns.parameters or ns.legacy_parameters)
    pending = params.pending_owner()
    account = None
    if not ns.calldata_only:
        override = ns.account or ns.legacy_account
        if override is None and not os.environ.get("NEW_OWNER_PRIVATE_KEY"):
            if network.show_active() in LOCAL_NETWORKS:
                override = pending  # unlocked on the local node
        account = signer("NEW_OWNER_PRIVATE_KEY", override=override)
    tx = act("accept_ownership", params, "accept_ownership", (), ns, account=account, sender=pending)
    if tx is not None:
        print(f"owner: {params.owner()}")
    return tx
