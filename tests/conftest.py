"""Shared pytest setup.

Brownie's plugin launches Anvil (its `development` network) for the whole
session. ANVIL_PORT moves it off 8545, so that several checkouts can run
their suites side by side.
"""

import os


def pytest_configure(config):
    port = os.environ.get("ANVIL_PORT")
    if port:
        from brownie._config import CONFIG

        CONFIG.networks["development"]["cmd_settings"]["port"] = int(port)
