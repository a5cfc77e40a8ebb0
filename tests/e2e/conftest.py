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
#: seconds between blocks of the e2e chains (1 s in the demo): a daemon waits a block for each
#: transaction, so a dispute's ~25 moves take a quarter of the time; block timestamps still
#: follow the wall clock (several blocks may share a second)
E2E_BLOCK_TIME = 0.25


@pytest.fixture(scope="session")
def block_time() -> float:
    return E2E_BLOCK_TIME


@pytest.fixture(scope="module", autouse=True)
def fixed_throughput():
    """TT_THROUGHPUT for the daemons of one module (set before its `net`, undone after it)."""
    with pytest.MonkeyPatch.context() as m:
        m.setenv("TT_THROUGHPUT", E2E_THROUGHPUT)
        yield


@pytest.fixture(scope="module")
def net(tmp_path_factory, fixed_throughput, block_time):
    network = LocalNetwork(tmp_path_factory.mktemp("net"), samples=3, block_time=block_time)
    network.start()
    network.spawn("verifier", "verify")
    yield network
    network.stop()
