"""Fixtures for the OneStepVerifier tests: the deployed library."""

import pytest


@pytest.fixture(scope="module")
def deployer(accounts):
    return accounts[0]


@pytest.fixture(scope="module")
def verifier(OneStepVerifier, deployer):
    return OneStepVerifier.deploy({"from": deployer})
