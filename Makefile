# Buynest - the developer's front door. `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

LOCAL := $(CURDIR)/.local
export BUYNEST_LOCAL_DIR := $(LOCAL)
LOCALSTACK_PORT ?= 4566
export LOCALSTACK_PORT
PYTHON313 := $(shell scripts/find-python313 2>/dev/null)
DEV := $(LOCAL)/dev-venv
TOOLS := $(LOCAL)/tools-venv
PY := $(DEV)/bin/python
PIP_QUIET := 2>&1 | grep -v -E 'is ignored: it is neither|^$$' || true

include localstack/local.mk

.PHONY: help up down url admin seed redrive bench events openapi fuzz test test-unit test-integration test-e2e test-localstack lint fmt logs deploy deploy-aws status clean python lock

help: ## this list
	@grep -hE '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

python: ## check that Python 3.13 is found (override with PYTHON=/path/to/python3.13)
	@test -n "$(PYTHON313)" || { scripts/find-python313; exit 1; }
	@mkdir -p $(LOCAL)/bin && ln -sf $(PYTHON313) $(LOCAL)/bin/python3.13

$(DEV)/.stamp: requirements-dev.txt | python
	@echo "==> dev venv ($(DEV))"
	@test -x $(PY) || $(PYTHON313) -m venv $(DEV)
	@$(DEV)/bin/pip install -q -r requirements-dev.txt $(PIP_QUIET)
	@touch $@

$(TOOLS)/.stamp: requirements-tools.txt | python
	@echo "==> tools venv (aws-sam-cli)"
	@test -x $(TOOLS)/bin/python || $(PYTHON313) -m venv $(TOOLS)
	@$(TOOLS)/bin/pip install -q -r requirements-tools.txt $(PIP_QUIET)
	@touch $@

deps: $(DEV)/.stamp $(TOOLS)/.stamp ls-venv runtime-venv

up: deps ls-start deploy ## install what is missing, start LocalStack, deploy, print the API URL
	@$(PY) scripts/stack.py url

deploy: $(DEV)/.stamp $(TOOLS)/.stamp ## sam build + sam deploy to the running local stack (skipped when unchanged)
	@$(PY) scripts/stack.py deploy

url: ## print the API base URL
	@$(PY) scripts/stack.py url

status: ## is the local stack running?
	@$(MAKE) --no-print-directory ls-status

down: ## stop the local stack and everything it started
	@$(MAKE) --no-print-directory ls-stop

admin: ## make admin EMAIL=... PASSWORD=... [NAME=...]: create or promote an admin
	@$(PY) scripts/make_admin.py

seed: $(DEV)/.stamp ## load the demo catalog (36 products with real images) and a demo coupon through the API
	@$(PY) scripts/seed.py

logs: ## follow every function's log; `make logs ORDER=<id>` prints one order's story across all functions
	@if [ -n "$(ORDER)" ]; then ORDER="$(ORDER)" $(PY) scripts/logs.py; \
	else mkdir -p $(LOCAL)/logs/lambda && tail -n 50 -F $(LOCAL)/logs/lambda/*.log; fi

openapi: $(DEV)/.stamp ## regenerate openapi.yaml (OpenAPI 3.1) from template.yaml, the handlers and the models
	@$(PY) scripts/gen_openapi.py

fuzz: up ## schemathesis against the local stack (BUYNEST_FUZZ_EXAMPLES per operation, default 25)
	@$(PY) -m pytest -q tests/e2e/test_schemathesis.py

events: $(DEV)/.stamp ## regenerate events/ (JSON Schema + sample of every bus event) from the producers' models
	@$(PY) scripts/gen_events.py

bench: up ## speed figures on the local stack (table + .local/bench/latest.json); BENCH_ARGS=--quick for a smoke run
	@$(PY) scripts/bench.py $(BENCH_ARGS)

redrive: $(DEV)/.stamp ## move every dead-letter queue's messages back to their source queues
	@$(PY) scripts/redrive.py

test: up test-unit test-integration test-localstack test-e2e ## the whole suite (brings the local stack up first)

test-unit: $(DEV)/.stamp ## unit tests (no network)
	@$(PY) -m pytest -q tests/unit

test-integration: $(DEV)/.stamp ## adapters and handlers against moto, tables from template.yaml
	@$(PY) -m pytest -q tests/integration

test-localstack: $(DEV)/.stamp ls-venv runtime-venv ## the LocalStack plugins, against a LocalStack of their own
	@$(PY) -m pytest -q tests/localstack

test-e2e: up ## end-to-end against the deployed local stack
	@$(PY) -m pytest -q tests/e2e

lint: $(DEV)/.stamp ## ruff, mypy, cfn-lint
	@$(DEV)/bin/ruff check .
	@$(DEV)/bin/ruff format --check .
	@$(DEV)/bin/mypy
	@PYTHONPATH=layers/buynest/python $(DEV)/bin/lint-imports --no-logo
	@$(DEV)/bin/cfn-lint template.yaml

fmt: $(DEV)/.stamp ## format and fix what ruff can
	@$(DEV)/bin/ruff format . && $(DEV)/bin/ruff check --fix .

deploy-aws: $(TOOLS)/.stamp ## deploy to a real AWS account (interactive, uses your AWS credentials)
	@PATH="$(LOCAL)/bin:$$PATH" $(TOOLS)/bin/sam build --parallel --build-dir $(LOCAL)/aws-build
	@$(TOOLS)/bin/sam deploy --guided --template-file $(LOCAL)/aws-build/template.yaml --capabilities CAPABILITY_IAM CAPABILITY_AUTO_EXPAND

lock: python ## re-resolve requirements-dev.txt from requirements-dev.in (needs network)
	@rm -rf $(LOCAL)/lock-venv && $(PYTHON313) -m venv $(LOCAL)/lock-venv
	@$(LOCAL)/lock-venv/bin/pip install -q -r requirements-dev.in $(PIP_QUIET)
	@(echo "# Fully pinned dev/test environment (Python 3.13). Regenerate: make lock (from requirements-dev.in)."; \
	  $(LOCAL)/lock-venv/bin/pip freeze) > requirements-dev.txt && rm -rf $(LOCAL)/lock-venv

clean: down ## remove all local state (venvs, LocalStack data, logs)
	rm -rf $(LOCAL)
