"""Fixtures for the dispute game tests: actors by role and the descent harness."""

import pytest


@pytest.fixture(scope="module")
def deployer(accounts):
    return accounts[0]


@pytest.fixture(scope="module")
def descent_harness(DisputeDescentHarness, deployer):
    return DisputeDescentHarness.deploy({"from": deployer})
