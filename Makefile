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
LOAD := $(LOCAL)/load-venv
PY := $(DEV)/bin/python
PIP_QUIET := 2>&1 | grep -v -E 'is ignored: it is neither|^$$' || true

include localstack/local.mk
include tests/browser/browser.mk

.PHONY: help up down url admin seed redrive bench load events openapi fuzz test test-unit test-integration test-e2e test-browser browser-deps test-localstack lint fmt logs deploy deploy-aws status clean python lock lock-load

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

$(LOAD)/.stamp: requirements-load.txt | python
	@echo "==> load venv (locust)"
	@test -x $(LOAD)/bin/python || $(PYTHON313) -m venv $(LOAD)
	@$(LOAD)/bin/pip install -q -r requirements-load.txt $(PIP_QUIET)
	@touch $@

deps: $(DEV)/.stamp $(TOOLS)/.stamp ls-venv runtime-venv

up: deps ls-start deploy ## install what is missing, start LocalStack, deploy, print the storefront and API URLs
	@$(PY) scripts/storefront.py url
	@$(PY) scripts/stack.py url

deploy: $(DEV)/.stamp $(TOOLS)/.stamp ## sam build + sam deploy to the running local stack (skipped when unchanged)
	@$(PY) scripts/stack.py deploy

url: ## print the API base URL
	@$(PY) scripts/stack.py url

status: ## is the local stack running? and the depth of every dead-letter queue (loud when one is not empty)
	@$(MAKE) --no-print-directory ls-status && $(PY) scripts/status.py

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

# Knobs of `make load` (override on the command line: make load LOAD_USERS=40 LOAD_TIME=90s). LOAD_ORDER_WAIT: seconds
# a customer polls one order before counting it as not final.
LOAD_USERS ?= 20
LOAD_SPAWN_RATE ?= 5
LOAD_TIME ?= 60s
LOAD_ORDER_WAIT ?= 45
LOAD_DIR := $(LOCAL)/load

load: up $(LOAD)/.stamp ## locust on the local stack (127.0.0.1 only): browse + order mix, p50/p95/p99 table; LOAD_USERS/LOAD_TIME
	@rm -rf $(LOAD_DIR) && mkdir -p $(LOAD_DIR)
	@URL=$$($(PY) scripts/stack.py url) && echo "==> locust: $(LOAD_USERS) users (+$(LOAD_SPAWN_RATE)/s) for $(LOAD_TIME) on $$URL (log: $(LOAD_DIR)/locust.log)" && \
	LOAD_OUT=$(LOAD_DIR) LOAD_ORDER_WAIT=$(LOAD_ORDER_WAIT) $(LOAD)/bin/locust -f load/locustfile.py --headless --only-summary \
		--host "$$URL" -u $(LOAD_USERS) -r $(LOAD_SPAWN_RATE) -t $(LOAD_TIME) \
		--csv $(LOAD_DIR)/locust --json-file $(LOAD_DIR)/locust --logfile $(LOAD_DIR)/locust.log \
		--exit-code-on-error 0 >$(LOAD_DIR)/locust.out 2>&1 || { tail -n 30 $(LOAD_DIR)/locust.out $(LOAD_DIR)/locust.log; exit 1; }
	@$(PY) load/report.py $(LOAD_DIR) --run "$(LOAD_USERS) users, +$(LOAD_SPAWN_RATE)/s, $(LOAD_TIME)"

redrive: $(DEV)/.stamp ## move every dead-letter queue's messages back to their source queues
	@$(PY) scripts/redrive.py

test: up test-unit test-integration test-localstack test-e2e test-browser ## the whole suite (brings the local stack up first)

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

deploy-aws: $(DEV)/.stamp $(TOOLS)/.stamp ## deploy to a real AWS account (interactive, uses your AWS credentials)
	@PATH="$(LOCAL)/bin:$$PATH" $(TOOLS)/bin/sam build --parallel --build-dir $(LOCAL)/aws-build
	@$(PY) scripts/stack.py precompile $(LOCAL)/aws-build
	@$(TOOLS)/bin/sam deploy --guided --template-file $(LOCAL)/aws-build/template.yaml --capabilities CAPABILITY_IAM CAPABILITY_AUTO_EXPAND
	@$(PY) scripts/storefront.py upload --aws

lock: python ## re-resolve requirements-dev.txt from requirements-dev.in (needs network)
	@rm -rf $(LOCAL)/lock-venv && $(PYTHON313) -m venv $(LOCAL)/lock-venv
	@$(LOCAL)/lock-venv/bin/pip install -q -r requirements-dev.in $(PIP_QUIET)
	@(echo "# Fully pinned dev/test environment (Python 3.13). Regenerate: make lock (from requirements-dev.in)."; \
	  $(LOCAL)/lock-venv/bin/pip freeze) > requirements-dev.txt && rm -rf $(LOCAL)/lock-venv

lock-load: python ## re-resolve requirements-load.txt (make load's venv) from requirements-load.in (needs network)
	@rm -rf $(LOCAL)/lock-venv && $(PYTHON313) -m venv $(LOCAL)/lock-venv
	@$(LOCAL)/lock-venv/bin/pip install -q -r requirements-load.in $(PIP_QUIET)
	@(echo "# Fully pinned load-test environment (Python 3.13), .local/load-venv. Regenerate: make lock-load."; \
	  $(LOCAL)/lock-venv/bin/pip freeze) > requirements-load.txt && rm -rf $(LOCAL)/lock-venv

clean: down ## remove all local state (venvs, LocalStack data, logs)
	rm -rf $(LOCAL)

.PHONY: mail
mail: $(DEV)/.stamp ## the emails the local stack has sent, newest first, one JSON per line; TO=<email> for one address
	@TO="$(TO)" $(PY) scripts/mail.py
