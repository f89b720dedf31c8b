# The project's commands. `make demo` and `make test` set everything up on a fresh machine.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 || command -v python3)
# The supported Python range, tested: the construct tests also run on the oldest supported Python
# with the oldest supported aws-cdk-lib (one venv for both floors), and the Lambda asset runs on
# the newest Python here, nearest the function's python3.14. Found on the PATH (an interpreter
# that runs: pyenv's shims exist for versions they refuse to run) or among pyenv's versions.
find_python = $(firstword $(shell python$(1) -c 'import sys; print(sys.executable)' 2>/dev/null) $(lastword $(sort $(wildcard $(or $(PYENV_ROOT),$(HOME)/.pyenv)/versions/$(1).*/bin/python$(1)))))
OLDEST_PYTHON := $(call find_python,3.10)
NEWEST_PYTHON := $(or $(call find_python,3.14),$(call find_python,3.13))
# In CI a missing interpreter is an error; elsewhere the machine's Python stands in, and
# `make test` says which versions it covered.
ifeq ($(CI),true)
  ifeq ($(OLDEST_PYTHON),)
    $(error CI: Python 3.10, the oldest supported, was not found on the PATH or in pyenv)
  endif
  ifeq ($(NEWEST_PYTHON),)
    $(error CI: Python 3.13 or newer, for the Lambda asset, was not found on the PATH or in pyenv)
  endif
endif
OLDEST_PYTHON := $(or $(OLDEST_PYTHON),$(PYTHON))
NEWEST_PYTHON := $(or $(NEWEST_PYTHON),$(PYTHON))
# Read when the recipe line runs (a shell substitution), not when make expands the recipe: in a
# fresh clone the venvs do not exist yet at that moment.
python_version = $$($(1) -c 'import sys; print("%d.%d" % sys.version_info[:2])')
VENV := .venv
RUNTIME_VENV := .venv-runtime
OLDEST_VENV := .venv-cdk-oldest
BIN := $(CURDIR)/$(VENV)/bin
STAMPS := .make

# Node.js 24 and the CDK CLI come from the venv and node_modules, never from the system.
export PATH := $(BIN):$(CURDIR)/node_modules/.bin:$(PATH)
export CDK_DISABLE_CLI_TELEMETRY := true
export PIP_DISABLE_PIP_VERSION_CHECK := 1
# Python's bytecode caches stay on however the shell is set: with PYTHONDONTWRITEBYTECODE each of
# the suite's processes compiles every module of the project and pytest rewrites every test
# module again: collecting `make check`'s tests took 8.2 s of CPU in each worker, 3.5 s with the
# caches. __pycache__ is ignored by git and left out of the Lambda asset and its hash.
unexport PYTHONDONTWRITEBYTECODE
CDK := cdk --no-notices
# --strict: a warning fails synthesis, as in users' pipelines; the library adds none.
SYNTH := $(CDK) synth --quiet --strict

# pytest workers: more than the cores, since the end-to-end tests mostly wait on the local
# cloud's clocks (rate limits, backoff, status changes) rather than compute; but each worker
# starts and collects on its own, with its own jsii kernel and imports, and every process more
# makes the others' CPU dearer. The suite alone on 2 cores (docs/design.md, "The test loop"):
# 6 workers 207-226 s, 8 workers 228-258 s, 5 workers 269 s, 4 workers 289 s.
PYTEST_WORKERS ?= 6
PYTEST_PARALLEL := -n $(PYTEST_WORKERS) --dist load --maxschedchunk 1
# Sub-makes run their targets side by side, each target's output kept together.
PARALLEL_MAKE := $(MAKE) --no-print-directory -j4 -Otarget

.PHONY: help setup demo localcloud-up localcloud-down deploy-local destroy-local test check suite oldest-suite lint typecheck bench deploy synth clean

help:
	@echo "make demo           set up, then bootstrap, deploy, use and destroy the example app with the CDK CLI, locally"
	@echo "make deploy-local   start the local cloud in the background, then cdk deploy the example app to it"
	@echo "make destroy-local  cdk destroy what deploy-local deployed, then stop the local cloud"
	@echo "make localcloud-up  start the local cloud in the background (state kept in .localcloud/)"
	@echo "make localcloud-down  stop it"
	@echo "make test           set up, then run the whole test suite"
	@echo "make check          the inner loop: unit, snapshot, handler and local-cloud tests (no end-to-end)"
	@echo "make bench          run the benchmarks (about 40 minutes); writes bench/RESULTS.md"
	@echo "make deploy         deploy the example app to your AWS account (cdk deploy)"
	@echo "make clean          remove the venvs, node_modules, build output and local state"

# pip -qq: errors only. The setup prints no warning of any kind (a machine's pip configuration can
# name index locations that do not exist, and setuptools warns on every editable install).
#
# aws-cdk-lib goes in first, without bytecode: pip compiles every module it installs, and
# aws-cdk-lib's 300-odd service modules took 16 s of CPU per venv, of which the project imports
# about 30. Python compiles those at their first import, which each venv's last line makes once
# (it also unpacks aws-cdk-lib into jsii's package cache): before the suite's workers all start at
# once, and outside pytest, which would report the DeprecationWarnings that compiling aws-cdk-lib
# 2.110's modules raises (invalid escape sequences in their docstrings).
# The aws-cdk-lib pin of a requirements file, `aws-cdk-lib==X.Y.Z` (a shell command).
CDK_LIB_PIN = grep -o '^aws-cdk-lib==[0-9.]*' $(1)
# What the project imports of aws-cdk-lib, imported once so that Python compiles it.
IMPORT_THE_LIBRARY := import personalize_event_tracker, aws_cdk.assertions
$(STAMPS)/venv: requirements.txt requirements-dev.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -qq --upgrade pip
	$(BIN)/python -m pip install -qq --no-compile --no-deps $$($(call CDK_LIB_PIN,requirements.txt))
	$(BIN)/python -m pip install -qq -r requirements-dev.txt
	$(BIN)/python -c "$(IMPORT_THE_LIBRARY)"
	@mkdir -p $(STAMPS) && touch $@

# A venv with only what the Lambda runtime provides (boto3, and awslambdaric, its runtime interface
# client), on the newest Python here: the bundled asset runs in it. Its stamp names the interpreter,
# so a newer one rebuilds it.
RUNTIME_STAMP := $(STAMPS)/runtime-$(notdir $(NEWEST_PYTHON))
$(RUNTIME_STAMP): requirements-runtime.txt
	rm -rf $(RUNTIME_VENV) $(STAMPS)/runtime*
	$(NEWEST_PYTHON) -m venv $(RUNTIME_VENV)
	$(RUNTIME_VENV)/bin/python -m pip install -qq -r requirements-runtime.txt
	@mkdir -p $(STAMPS) && touch $@

# The oldest aws-cdk-lib the library supports on the oldest Python, with the library from this checkout.
OLDEST_STAMP := $(STAMPS)/oldest-$(notdir $(OLDEST_PYTHON))
# After the main venv: both install this checkout in editable mode, which writes its build files.
$(OLDEST_STAMP): requirements-oldest.txt pyproject.toml $(STAMPS)/venv
	rm -rf $(OLDEST_VENV) $(STAMPS)/oldest*
	$(OLDEST_PYTHON) -m venv $(OLDEST_VENV)
	$(OLDEST_VENV)/bin/python -m pip install -qq --no-compile --no-deps $$($(call CDK_LIB_PIN,requirements-oldest.txt))
	$(OLDEST_VENV)/bin/python -m pip install -qq -r requirements-oldest.txt
	$(OLDEST_VENV)/bin/python -m pip install -qq --no-deps -e .
	$(OLDEST_VENV)/bin/python -c "$(IMPORT_THE_LIBRARY)"
	@mkdir -p $(STAMPS) && touch $@

# npm's cache first. The lockfiles name no registry (the machine's npm configuration leaves it
# out), and this machine's registry answers without caching headers: a plain `npm ci` fetched
# every package's metadata and tarball again, 4 to 18 s for the 46 packages, and 140 s once
# while pip was downloading too. Offline it takes what the cache holds (about 1 s and 10 s). Only
# where the cache lacks a package of the lockfile, on a fresh machine say, is the registry asked.
NPM_CI_QUIET := npm ci --no-audit --no-fund --loglevel=error
NPM_CI = $(NPM_CI_QUIET) $(1) --offline 2>/dev/null \
  || { echo "npm's cache lacks a package of the lockfile: from the registry"; $(NPM_CI_QUIET) $(1); }
$(STAMPS)/npm: package.json package-lock.json $(STAMPS)/venv
	$(call NPM_CI)
	@mkdir -p $(STAMPS) && touch $@

# What Lambda's Node.js runtimes provide a function besides Node (the venv's Node 24): the AWS SDK
# for JavaScript v3 clients, pinned by their own lockfile, on the functions' module path.
NODE_RUNTIME := localcloud/lambda_runtime/nodejs
$(STAMPS)/npm-runtime: $(NODE_RUNTIME)/package.json $(NODE_RUNTIME)/package-lock.json $(STAMPS)/venv
	$(call NPM_CI,--prefix $(NODE_RUNTIME))
	@mkdir -p $(STAMPS) && touch $@

# The venvs and node_modules are independent of each other but for Node.js (from the main venv):
# they are built side by side.
SETUP_STAMPS = $(STAMPS)/venv $(RUNTIME_STAMP) $(STAMPS)/npm $(STAMPS)/npm-runtime
setup:
	@$(PARALLEL_MAKE) $(SETUP_STAMPS)

synth: setup
	$(SYNTH)

# The main job: on a local cloud of its own, the real CDK CLI bootstraps, deploys (synthesizing
# with --strict), and destroys the example app; between them an event goes to its tracker.
demo: setup
	$(BIN)/python -m localcloud demo

# The same commands against a local cloud that keeps running in the background, its state in
# .localcloud/ (it survives a restart): deploy-local starts it if needed, destroy-local stops it.
# Meanwhile `python -m localcloud cdk ...` runs any CDK CLI command against it, and
# `eval "$$(python -m localcloud env)"` points a shell's boto3 and AWS CLI at it.
LOCALCLOUD := $(BIN)/python -m localcloud
localcloud-up: setup
	$(LOCALCLOUD) up

localcloud-down:
	$(LOCALCLOUD) down

deploy-local: localcloud-up
	$(LOCALCLOUD) cdk deploy --strict --require-approval never --outputs-file .localcloud/outputs.json
	$(LOCALCLOUD) outputs

destroy-local: setup
	$(LOCALCLOUD) cdk destroy --force
	$(LOCALCLOUD) down

# The whole suite: lint, types, every test with coverage, and the construct tests on the
# oldest supported aws-cdk-lib, side by side, each as soon as what it needs is set up: lint and
# types need only the main venv, so they run while node_modules and the other venvs are built
# (mypy without a cache, in a fresh clone, took 60 s beside the suite). The suite's own setup
# comes first in this order, which is the order make starts them in.
test:
	@$(PARALLEL_MAKE) suite oldest-suite lint typecheck
	@echo "Python versions covered: the suite on $(call python_version,$(BIN)/python);" \
	  "the construct tests on $(call python_version,$(OLDEST_VENV)/bin/python) with aws-cdk-lib" \
	  "$$($(call CDK_LIB_PIN,requirements-oldest.txt) | cut -d= -f3);" \
	  "the Lambda asset on $(call python_version,$(RUNTIME_VENV)/bin/python)."

# Every test; each one's time goes to .make/suite.xml as well, for `make bench` (bench/suite.py).
suite: $(SETUP_STAMPS)
	$(BIN)/python -m pytest $(PYTEST_PARALLEL) --cov=personalize_event_tracker --cov-report=term --cov-fail-under=90 \
	  --junitxml=$(STAMPS)/suite.xml

# What differs by aws-cdk-lib release, on the oldest supported one and the oldest Python: the tests
# marked `release`, the construct's and one app's synthesis with its asset (docs/design.md, "The test loop").
oldest-suite: $(OLDEST_STAMP)
	PATH="$(CURDIR)/$(OLDEST_VENV)/bin:$$PATH" $(OLDEST_VENV)/bin/python -m pytest -p no:cacheprovider -q -m release tests/unit

# The inner loop (its time once set up is in bench/RESULTS.md): the tests that need no local cloud
# deployment, but those marked slow (a synthesis in an interpreter of its own, a request to every
# moto service), which `make test` runs. Five workers, and work stealing: a worker that runs
# out of tests takes the last ones of another, so none is left alone with a queue at the end.
check: $(SETUP_STAMPS)
	$(BIN)/python -m pytest -n 5 --dist worksteal -q -m "not slow" tests/unit tests/snapshot tests/handler tests/localcloud

lint: $(STAMPS)/venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMPS)/venv
	$(BIN)/mypy constructs/personalize_event_tracker lambda/event_tracker localcloud bench tests app.py examples/consumer_app/app.py

deploy: setup
	$(CDK) deploy

# Benchmarks side by side with the peers; writes bench/RESULTS.md, bench/results.png and bench/scale.png.
bench: setup
	$(BIN)/python -m bench.stabilization
	$(BIN)/python -m bench.synthesis
	$(BIN)/python -m bench.synthesis_profile
	$(BIN)/python -m bench.scale
	$(BIN)/python -m bench.asset
	$(BIN)/python -m bench.lambda_runtime
	$(BIN)/python -m bench.cli
	$(BIN)/python -m bench.project 3
	$(BIN)/python -m bench.suite
	$(BIN)/python -m bench.report

clean:
	-test -x $(BIN)/python && $(LOCALCLOUD) down
	rm -rf $(VENV) $(RUNTIME_VENV) $(OLDEST_VENV) node_modules $(NODE_RUNTIME)/node_modules cdk.out .localcloud $(STAMPS) build dist *.egg-info .pytest_cache
