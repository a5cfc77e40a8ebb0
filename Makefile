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

# numba kernels (fast executor, hashing) compiled once into their on-disk
# cache, so a user's first `python -m offchain train` does not compile them
WARMUP_STAMP := offchain/__pycache__/warmup.stamp
KERNELS := offchain/runtime/fast.py offchain/commit/keccak_numba.py offchain/commit/keccak_lanes.py \
	offchain/runtime/warmup.py offchain/jitcache.py

.PHONY: setup warmup demo test test-all test-float lint abi bench clean

setup: $(VENV)/.stamp node_modules/.stamp build/.contracts-stamp $(WARMUP_STAMP)

$(WARMUP_STAMP): $(VENV)/.stamp $(KERNELS)
	$(BIN)/python -m offchain warmup
	mkdir -p $(@D)
	touch $@

warmup: $(VENV)/.stamp
	$(BIN)/python -m offchain warmup

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

# the training network (python -m offchain demo), then the money paths that
# the honest run does not take: a cancelled and an expired task, with balances.
# The lifecycle step starts its own Anvil on ANVIL_PORT, else on a free port,
# and refuses a port where some other node already listens.
demo: setup
	$(BIN)/python -m offchain demo
	@echo; echo "== lifecycle: create/claim/commit/finalize, one cancel, one expiry (python -m scripts.run lifecycle_demo) =="
	@set -o pipefail; $(BIN)/python -m scripts.run lifecycle_demo --port $${ANVIL_PORT:-0} 2>&1 | grep -v -E 'Transaction sent|Gas price|confirmed|deployed at|Waiting for|^Brownie v|active project|^$$'

test: setup
	$(BIN)/python -m pytest -m "not slow" $(PYTEST_ARGS)

test-all: setup
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# the full soft-float differential set (>100,000 operand pairs against numpy)
test-float: setup
	$(BIN)/python -m pytest tests/contracts/softfloat $(PYTEST_ARGS)

# every benchmark; figures are recorded in bench/README.md
bench: setup
	$(BIN)/python bench/repro_overhead.py
	$(BIN)/python bench/commit_cost.py
	$(BIN)/python bench/gas_lifecycle.py
	$(BIN)/python bench/gas_onestep.py
	$(BIN)/python bench/dispute_cost.py
	$(BIN)/python bench/skip_detection.py
	$(BIN)/python bench/adversary.py --games 200 --quiet

lint: setup
	$(BIN)/ruff check offchain tests scripts bench
	$(BIN)/python scripts/gen_vyper_constants.py --check
	$(BIN)/python scripts/gen_settings_doc.py --check

abi: setup
	$(BIN)/python scripts/export_abis.py

clean:
	rm -rf build reports .hypothesis
