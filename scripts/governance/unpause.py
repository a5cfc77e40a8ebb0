"""Allows new tasks and claims again: `brownie run scripts/governance/unpause.py`."""

from scripts.governance._common import governance_account, parameters_contract


def main(account=None, parameters=None):
    params = parameters_contract(parameters)
    tx = params.unpause({"from": governance_account(account)})
    print(f"paused: {params.paused()}")
    return tx
