"""Allows new tasks and claims again: `python -m scripts.run governance/unpause [--calldata-only]`."""

from scripts.governance._common import act, parameters_contract, parse


def main(*args):
    ns = parse("unpause", args, [("legacy_account", "signer (as --account)"),
                                 ("legacy_parameters", "Parameters address (as --parameters)")])
    params = parameters_contract(ns.parameters or ns.legacy_parameters)
    ns.account = ns.account or ns.legacy_account
    tx = act("unpause", params, "unpause", (), ns)
    if tx is not None:
        print(f"paused: {params.paused()}")
    return tx
