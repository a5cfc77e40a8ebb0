# One command to run the demo, one to run the tests. Each bootstraps what it
# needs (a .venv with brownie installed interpreted, Anvil from npm) and is a
# no-op when that is already set up.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
export PATH := $(CURDIR)/node_modules/.bin:$(CURDIR)/$(BIN):$(PATH)
# pytest -n/-m selections: CI runs the seeded default set
PYTEST_ARGS ?=

.PHONY: setup demo test test-all lint abi bench clean

setup: $(VENV)/.stamp node_modules/.stamp build/.contracts-stamp

# Brownie 1.22 recompiles only changed Vyper files and then cannot resolve
# the unchanged sibling modules they import: start from a clean build dir
# whenever any contract changed.
build/.contracts-stamp: $(shell find contracts -name '*.vy')
	rm -rf build
	mkdir -p build
	touch $@

$(VENV)/.stamp: requirements.txt
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	BROWNIE_NOCOMPILE=1 $(BIN)/python -m pip install -q --no-binary eth-brownie eth-brownie==1.22.2
	$(BIN)/python -m pip install -q -r requirements.txt
	touch $@

node_modules/.stamp: package.json package-lock.json
	npm ci --no-audit --no-fund --silent
	touch $@

demo: setup
	$(BIN)/python -m offchain demo

test: setup
	$(BIN)/python -m pytest -m "not slow" $(PYTEST_ARGS)

test-all: setup
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check offchain tests scripts bench

abi: setup
	$(BIN)/python scripts/export_abis.py

clean:
	rm -rf build reports .hypothesis
