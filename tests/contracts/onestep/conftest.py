"""Fixtures for the OneStepVerifier tests: the deployed library (with its OneStepV2)."""

import pytest


@pytest.fixture(scope="module")
def deployer(accounts):
    return accounts[0]


@pytest.fixture(scope="module")
def onestep_v2(OneStepV2, deployer):
    return OneStepV2.deploy({"from": deployer})


@pytest.fixture(scope="module")
def verifier(OneStepVerifier, onestep_v2, deployer):
    return OneStepVerifier.deploy(onestep_v2, {"from": deployer})
