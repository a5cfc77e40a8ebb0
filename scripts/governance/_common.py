"""What every governance script needs: its command line, the deployed
Parameters contract, the governance signer, and one way to act.

Every script takes `--account NAME` (a brownie keystore account; else
GOVERNANCE_PRIVATE_KEY, else Anvil's first account locally), `--parameters
ADDRESS` (else the deployment record's) and `--calldata-only`: print the
transaction as multisig-ready JSON `{"to", "value", "data"}` instead of
sending it. Before anything is sent or printed the call is simulated from the
owner (eth_call), so a call the contract would refuse ends in one line with
the contract's reason, never a traceback.
"""

from __future__ import annotations

import argparse
import json

from brownie import Parameters, web3

from scripts.deployment import ScriptError, contract_address, signer


def parse(prog: str, args, positionals: list[tuple[str, str]]) -> argparse.Namespace:
    """The script's arguments: `positionals` (each optional), then the common flags."""
    p = argparse.ArgumentParser(prog=f"python -m scripts.run governance/{prog}")
    for name, help_ in positionals:
        p.add_argument(name, nargs="?", default=None, help=help_)
    p.add_argument("--account", default=None, help="brownie keystore account (or local index/address)")
    p.add_argument("--parameters", default=None, help="Parameters address (default: the deployment record's)")
    p.add_argument("--calldata-only", action="store_true",
                   help='print {"to", "value", "data"} for a multisig instead of sending')
    try:
        return p.parse_args([str(a) for a in args if a is not None])
    except SystemExit as exc:
        if exc.code:
            raise ScriptError(f"{prog}: bad arguments (see --help)") from None
        raise


def parameters_contract(address: str | None = None):
    """The Parameters contract at `address`, or the one of the deployment record."""
    address = address or contract_address("Parameters")
    if not web3.is_address(address) or len(web3.eth.get_code(web3.to_checksum_address(address))) == 0:
        raise ScriptError(f"governance: no Parameters contract at {address}")
    return Parameters.at(web3.to_checksum_address(address))


def governance_account(override=None):
    """The owner that signs governance transactions."""
    return signer("GOVERNANCE_PRIVATE_KEY", override=override)


def revert_reason(exc: Exception) -> str:
    """The contract's revert string of a failed call, one line."""
    text = str(getattr(exc, "revert_msg", None) or getattr(exc, "message", None) or exc)
    text = text.splitlines()[0] if text else "reverted"
    for prefix in ("execution reverted: ", "execution reverted"):
        text = text.removeprefix(prefix)
    return text or "reverted without a reason"


def act(what: str, params, fn: str, args: tuple, ns: argparse.Namespace, account=None,
        sender: str | None = None):
    """Simulates `params.fn(*args)` from the signer (with --calldata-only: from
    `sender`, default the owner), then prints its calldata or sends it; returns
    the receipt (None when printed)."""
    method = getattr(params, fn)
    data = method.encode_input(*args)
    if ns.calldata_only:
        frm = sender or params.owner()
    else:
        account = account or governance_account(ns.account)
        frm = account.address
    try:
        web3.eth.call({"from": frm, "to": params.address, "data": data})
    except Exception as exc:  # noqa: BLE001 - a refusal: one line with the contract's reason
        raise ScriptError(f"{what}: {revert_reason(exc)} (simulated from {frm})") from None
    if ns.calldata_only:
        print(json.dumps({"to": params.address, "value": 0, "data": data}))
        return None
    try:
        return method(*args, {"from": account})
    except Exception as exc:  # noqa: BLE001
        raise ScriptError(f"{what}: {revert_reason(exc)}") from None


def toggle_pause(fn: str, args) -> object:
    """`pause` or `unpause` (`fn`): the scripts of both, which differ only in the call.
    Also takes the legacy positionals `ACCOUNT PARAMETERS` (as --account / --parameters)."""
    ns = parse(fn, args, [("legacy_account", "signer (as --account)"),
                          ("legacy_parameters", "Parameters address (as --parameters)")])
    params = parameters_contract(ns.parameters or ns.legacy_parameters)
    ns.account = ns.account or ns.legacy_account
    tx = act(fn, params, fn, (), ns)
    if tx is not None:
        print(f"paused: {params.paused()}")
    return tx
