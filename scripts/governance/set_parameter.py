"""Sets one protocol parameter (bounded on chain).

`python -m scripts.run governance/set_parameter NAME VALUE [--calldata-only]
[--account NAME] [--network NET]`, or with PARAM_NAME / PARAM_VALUE in the
environment. NAME `treasury` takes an address. The value is checked against
the contract's bounds (`Parameters.bounds`) before anything is sent: out of
bounds is one line, `challenge_window: 5 is below the lower bound 600`.
Prints the old and new value (or, with --calldata-only, the transaction).
"""

from __future__ import annotations

import os

from brownie import web3

from scripts.deployment import ScriptError
from scripts.governance._common import act, parameters_contract, parse


def check_value(params, name: str, raw) -> int:
    """`raw` as an integer within the bounds of parameter `name` (read from the contract)."""
    try:
        value = int(str(raw), 0)
    except ValueError:
        raise ScriptError(f"{name}: VALUE must be an integer, got {raw!r}") from None
    try:
        lo, hi = params.bounds(name)
    except Exception:  # noqa: BLE001 - the only revert of bounds() is an unknown name
        raise ScriptError(f"set_parameter: unknown parameter {name!r}") from None
    if value < lo:
        raise ScriptError(f"{name}: {value} is below the lower bound {lo}")
    if value > hi:
        raise ScriptError(f"{name}: {value} is above the upper bound {hi}")
    return value


def main(*args):
    ns = parse("set_parameter", args, [("name", "parameter name (or PARAM_NAME)"),
                                       ("value", "new value (or PARAM_VALUE)"),
                                       ("legacy_account", "signer (as --account)"),
                                       ("legacy_parameters", "Parameters address (as --parameters)")])
    ns.account = ns.account or ns.legacy_account
    name = ns.name or os.environ.get("PARAM_NAME")
    value = ns.value if ns.value is not None else os.environ.get("PARAM_VALUE")
    if not name or value is None:
        raise ScriptError("set_parameter: give NAME and VALUE (or PARAM_NAME and PARAM_VALUE)")
    params = parameters_contract(ns.parameters or ns.legacy_parameters)
    if name == "treasury":
        if not web3.is_address(str(value)):
            raise ScriptError(f"treasury: {value!r} is not an address")
        old = params.treasury()
        tx = act("set_treasury", params, "set_treasury", (web3.to_checksum_address(str(value)),), ns)
        new = params.treasury()
    else:
        value = check_value(params, name, value)
        old = getattr(params, name)()
        tx = act(f"set_parameter {name}", params, "set_parameter", (name, value), ns)
        new = getattr(params, name)()
    if tx is not None:
        print(f"{name}: {old} -> {new}")
    return tx
