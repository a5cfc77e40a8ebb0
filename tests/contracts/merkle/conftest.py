"""Fixtures for the merkle module tests: a deployed MerkleHarness and random trees."""

import os

import pytest


@pytest.fixture(scope="module")
def deployer(accounts):
    return accounts[0]


@pytest.fixture(scope="module")
def harness(MerkleHarness, deployer):
    return MerkleHarness.deploy({"from": deployer})


@pytest.fixture
def random_leaves():
    def make(n: int) -> list[bytes]:
        return [os.urandom(32) for _ in range(n)]

    return make
