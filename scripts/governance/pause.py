"""Pauses new tasks and claims: `brownie run scripts/governance/pause.py`."""

from scripts.governance._common import governance_account, parameters_contract


def main(account=None, parameters=None):
    params = parameters_contract(parameters)
    tx = params.pause({"from": governance_account(account)})
    print(f"paused: {params.paused()}")
    return tx
