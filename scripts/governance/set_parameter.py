"""Sets one protocol parameter (bounded on chain).

`brownie run scripts/governance/set_parameter.py main NAME VALUE`, or with
PARAM_NAME / PARAM_VALUE in the environment. NAME `treasury` takes an
address. Prints the old and new value.
"""

from __future__ import annotations

import os

from scripts.governance._common import governance_account, parameters_contract


def main(name: str | None = None, value=None, account=None, parameters=None):
    name = name or os.environ.get("PARAM_NAME")
    value = value if value is not None else os.environ.get("PARAM_VALUE")
    if not name or value is None:
        raise ValueError("set_parameter: give NAME and VALUE (or PARAM_NAME and PARAM_VALUE)")
    params = parameters_contract(parameters)
    owner = governance_account(account)
    if name == "treasury":
        old = params.treasury()
        tx = params.set_treasury(str(value), {"from": owner})
        new = params.treasury()
    else:
        try:
            old = getattr(params, name)()
        except AttributeError:
            raise ValueError(f"set_parameter: unknown parameter {name!r}") from None
        tx = params.set_parameter(name, int(value), {"from": owner})
        new = getattr(params, name)()
    print(f"{name}: {old} -> {new}")
    return tx
