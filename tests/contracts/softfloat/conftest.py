"""Fixtures of the soft-float tests: the deployed harnesses."""

import pytest


@pytest.fixture(scope="module")
def deployer(accounts):
    return accounts[0]


@pytest.fixture(scope="module")
def float_harness(FloatHarness, deployer):
    return FloatHarness.deploy({"from": deployer})


@pytest.fixture(scope="module")
def batch_harness(FloatBatchHarness, deployer):
    return FloatBatchHarness.deploy({"from": deployer})
