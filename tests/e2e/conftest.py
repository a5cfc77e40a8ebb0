"""A local network shared by the end-to-end tests of one module: Anvil on a free
port, the contracts deployed by web3.py, an artifact store and a verifier daemon.

Every daemon these tests start (LocalNetwork.spawn, the demos, `python -m offchain
demo` subprocesses) inherits TT_THROUGHPUT: a fixed figure of this machine's speed, so
that no daemon spends its first 5-18 s timing calibration programs before it admits a
task (offchain/roles/admission.py). Tests of the measurement itself are in
tests/offchain/test_admission.py; production settings default to measuring."""

import pytest

from offchain.demo import LocalNetwork

#: micro-ops per second the e2e daemons assume (the figure tests/offchain/fakechain.py uses);
#: every e2e task is tiny, so admission's time checks pass as they do with a measured figure
E2E_THROUGHPUT = "1e9"


@pytest.fixture(scope="module", autouse=True)
def fixed_throughput():
    """TT_THROUGHPUT for the daemons of one module (set before its `net`, undone after it)."""
    with pytest.MonkeyPatch.context() as m:
        m.setenv("TT_THROUGHPUT", E2E_THROUGHPUT)
        yield


@pytest.fixture(scope="module")
def net(tmp_path_factory, fixed_throughput):
    network = LocalNetwork(tmp_path_factory.mktemp("net"), samples=3)
    network.start()
    network.spawn("verifier", "verify")
    yield network
    network.stop()
