"""A local network shared by the end-to-end tests of one module: Anvil on a free
port, the contracts deployed by web3.py, an artifact store and a verifier daemon."""

import pytest

from offchain.demo import LocalNetwork


@pytest.fixture(scope="module")
def net(tmp_path_factory):
    network = LocalNetwork(tmp_path_factory.mktemp("net"), samples=3)
    network.start()
    network.spawn("verifier", "verify")
    yield network
    network.stop()
