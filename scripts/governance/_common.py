"""What every governance script needs: the deployed Parameters contract and
the governance signer (GOVERNANCE_PRIVATE_KEY, or Anvil's first account)."""

from __future__ import annotations

from brownie import Parameters

from scripts.deployment import load_deployment, signer


def parameters_contract(address: str | None = None):
    """The Parameters contract at `address`, or the one of the deployment record."""
    return Parameters.at(address or load_deployment()["contracts"]["Parameters"])


def governance_account(override=None):
    """The owner that signs governance transactions."""
    return signer("GOVERNANCE_PRIVATE_KEY", override=override)
