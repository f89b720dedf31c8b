# The project's commands. `make demo` and `make test` set everything up on a fresh machine.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
RUNTIME_VENV := .venv-runtime
OLDEST_VENV := .venv-cdk-oldest
BIN := $(CURDIR)/$(VENV)/bin
STAMPS := .make

# Node.js 24 and the CDK CLI come from the venv and node_modules, never from the system.
export PATH := $(BIN):$(CURDIR)/node_modules/.bin:$(PATH)
export CDK_DISABLE_CLI_TELEMETRY := true
export PIP_DISABLE_PIP_VERSION_CHECK := 1
CDK := cdk --no-notices

.PHONY: help setup demo deploy-local destroy-local test lint typecheck bench deploy synth clean

help:
	@echo "make demo           set up, synthesize the example app, then deploy, use and destroy it locally"
	@echo "make deploy-local   deploy the example app to the local cloud (state kept in .localcloud/)"
	@echo "make destroy-local  destroy what deploy-local deployed"
	@echo "make test           set up, then run the whole test suite"
	@echo "make bench          run the benchmarks (about 25 minutes); writes bench/RESULTS.md"
	@echo "make deploy         deploy the example app to your AWS account (cdk deploy)"
	@echo "make clean          remove the venvs, node_modules, build output and local state"

$(STAMPS)/venv: requirements.txt requirements-dev.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	@mkdir -p $(STAMPS) && touch $@

# A venv with only what the Lambda runtime provides (boto3): the bundled asset runs in it.
$(STAMPS)/runtime: requirements-runtime.txt
	@test -x $(RUNTIME_VENV)/bin/python || $(PYTHON) -m venv $(RUNTIME_VENV)
	$(RUNTIME_VENV)/bin/python -m pip install --quiet -r requirements-runtime.txt
	@mkdir -p $(STAMPS) && touch $@

# The oldest aws-cdk-lib the library supports, with the library from this checkout.
$(STAMPS)/oldest: requirements-oldest.txt pyproject.toml
	@test -x $(OLDEST_VENV)/bin/python || $(PYTHON) -m venv $(OLDEST_VENV)
	$(OLDEST_VENV)/bin/python -m pip install --quiet -r requirements-oldest.txt
	$(OLDEST_VENV)/bin/python -m pip install --quiet --no-deps -e .
	@mkdir -p $(STAMPS) && touch $@

$(STAMPS)/npm: package.json package-lock.json $(STAMPS)/venv
	npm ci --no-audit --no-fund --loglevel=error
	@mkdir -p $(STAMPS) && touch $@

setup: $(STAMPS)/venv $(STAMPS)/runtime $(STAMPS)/npm

synth: setup
	$(CDK) synth --quiet

# The main job: synthesize with the real CDK CLI, then deploy, use and destroy on the local cloud.
demo: setup
	$(CDK) synth --quiet
	$(BIN)/python -m localcloud demo cdk.out

# The same in separate steps; the local cloud's state stays in .localcloud/ between them.
deploy-local: setup
	$(CDK) synth --quiet
	$(BIN)/python -m localcloud deploy cdk.out

destroy-local: setup
	$(BIN)/python -m localcloud destroy

# The whole suite: lint, types, every test with coverage, and the construct tests on the
# oldest supported aws-cdk-lib.
test: setup lint typecheck $(STAMPS)/oldest
	$(BIN)/python -m pytest --cov=personalize_event_tracker --cov-report=term --cov-fail-under=90
	PATH="$(CURDIR)/$(OLDEST_VENV)/bin:$$PATH" $(OLDEST_VENV)/bin/python -m pytest -p no:cacheprovider -q tests/unit

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: setup
	$(BIN)/mypy constructs/personalize_event_tracker lambda/event_tracker localcloud bench tests app.py examples/consumer_app/app.py

deploy: setup
	$(CDK) deploy

# Benchmarks side by side with the peers; writes bench/RESULTS.md, bench/results.png and bench/scale.png.
bench: setup
	$(BIN)/python -m bench.stabilization
	$(BIN)/python -m bench.synthesis
	$(BIN)/python -m bench.scale
	$(BIN)/python -m bench.asset
	$(BIN)/python -m bench.project
	$(BIN)/python -m bench.report

clean:
	rm -rf $(VENV) $(RUNTIME_VENV) $(OLDEST_VENV) node_modules cdk.out .localcloud $(STAMPS) build dist *.egg-info .pytest_cache
