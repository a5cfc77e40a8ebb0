"""Starts a two-step ownership transfer of the parameter store.

`brownie run scripts/governance/transfer_ownership.py main NEW_OWNER`, or
NEW_OWNER in the environment. The new owner must then run
accept_ownership.py.
"""

from __future__ import annotations

import os

from scripts.governance._common import governance_account, parameters_contract


def main(new_owner=None, account=None, parameters=None):
    new_owner = new_owner or os.environ.get("NEW_OWNER")
    if not new_owner:
        raise ValueError("transfer_ownership: give NEW_OWNER")
    params = parameters_contract(parameters)
    tx = params.transfer_ownership(str(new_owner), {"from": governance_account(account)})
    print(f"pending owner: {params.pending_owner()} (owner still {params.owner()})")
    return tx
