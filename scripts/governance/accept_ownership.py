"""Completes an ownership transfer, signed by the pending owner.

`brownie run scripts/governance/accept_ownership.py [main ACCOUNT]`: the
signer is ACCOUNT (an address unlocked on a local node, or an index),
else NEW_OWNER_PRIVATE_KEY.
"""

from __future__ import annotations

import os

from brownie import network

from scripts.deployment import LOCAL_NETWORKS, signer
from scripts.governance._common import parameters_contract


def main(account=None, parameters=None):
    params = parameters_contract(parameters)
    if account is None and not os.environ.get("NEW_OWNER_PRIVATE_KEY"):
        if network.show_active() in LOCAL_NETWORKS:
            account = params.pending_owner()  # unlocked on the local node
    new_owner = signer("NEW_OWNER_PRIVATE_KEY", override=account)
    tx = params.accept_ownership({"from": new_owner})
    print(f"owner: {params.owner()}")
    return tx
