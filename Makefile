# Buynest - the developer's front door. `make help` lists the targets.
# A first `make up` installs five venvs with uv from hashed locks (about a minute with an empty uv cache, a quarter
# of that with a warm one), starts LocalStack and deploys: about two minutes in all on two cores.
SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:

LOCAL := $(CURDIR)/.local
export BUYNEST_LOCAL_DIR := $(LOCAL)
LOCALSTACK_PORT ?= 4566
export LOCALSTACK_PORT
PYTHON313 := $(shell scripts/find-python313 2>/dev/null)
DEV := $(LOCAL)/dev-venv
TOOLS := $(LOCAL)/tools-venv
LOAD := $(LOCAL)/load-venv
PY := $(DEV)/bin/python
# uv, pinned and hash-checked in requirements-uv.txt, installs every venv and makes every lock. It never downloads a
# Python of its own (the venvs use the Python 3.13 found above), and its cache (~/.cache/uv unless UV_CACHE_DIR is
# set) is shared by the venvs, so botocore is downloaded once.
UV_VENV := $(LOCAL)/uv-venv
UV := $(UV_VENV)/bin/uv
export UV_PYTHON_DOWNLOADS := never
export SAM_CLI_TELEMETRY := 0
ifneq ($(CI),)
export UV_NO_PROGRESS := 1
endif
# uv's summary and download lines, without the list of every package it installed.
UV_SHOWN := 2>&1 | { grep -v -E '^ [-+~] |^Using Python' || true; }
# make_venv,DIR,LOCK: the venv at DIR holds exactly LOCK (uv pip sync, hashes required), then its stamp is touched.
# Any failure fails make and leaves no stamp, so the next run retries; a venv whose Python is not 3.13 is recreated.
define make_venv
	@echo "==> $(notdir $(1)) from $(2)"
	@rm -f $(1)/.stamp
	@$(1)/bin/python -c 'import sys; sys.exit(sys.version_info[:2] != (3, 13))' 2>/dev/null || \
		$(UV) venv --quiet --clear --python $(PYTHON313) $(1)
	@$(UV) pip sync --require-hashes --python $(1)/bin/python $(2) $(UV_SHOWN)
	@touch $(1)/.stamp
endef

include localstack/local.mk
include tests/browser/browser.mk

.PHONY: help uv deps first-run dev invoke validate up down url admin seed redrive bench load events openapi fuzz test test-unit test-integration test-e2e test-browser browser-deps test-localstack lint fmt logs deploy deploy-aws status clean python lock mail config screenshots

help: ## this list
	@grep -hE '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

python: ## check that Python 3.13 is found (override with PYTHON=/path/to/python3.13)
	@test -n "$(PYTHON313)" || { scripts/find-python313; exit 1; }
	@mkdir -p $(LOCAL)/bin && ln -sf $(PYTHON313) $(LOCAL)/bin/python3.13

$(UV): requirements-uv.txt | python
	@echo "==> uv ($(UV_VENV))"
	@rm -rf $(UV_VENV) && $(PYTHON313) -m venv $(UV_VENV)
	@$(UV_VENV)/bin/python -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps \
		-r requirements-uv.txt 2>&1 | { grep -v 'is ignored: it is neither' || true; }
	@test -x $@ && touch $@

uv: $(UV)

$(DEV)/.stamp: requirements-dev.txt | $(UV)
	$(call make_venv,$(DEV),requirements-dev.txt)

$(TOOLS)/.stamp: requirements-tools.txt | $(UV)
	$(call make_venv,$(TOOLS),requirements-tools.txt)

$(LOAD)/.stamp: requirements-load.txt | $(UV)
	$(call make_venv,$(LOAD),requirements-load.txt)

first-run:
	@test -e $(DEV)/.stamp || echo "==> first run: five venvs from the hashed locks (uv), LocalStack, sam build + deploy:" \
		"about 2 minutes on 2 cores (see README, Getting started)"

deps: first-run $(DEV)/.stamp $(TOOLS)/.stamp ls-venv runtime-venv

up: deps ls-start deploy ## install what is missing, start LocalStack, deploy, print the storefront and API URLs (HOT=1: as make dev)
	@$(PY) scripts/storefront.py url
	@$(PY) scripts/stack.py url

dev: ## make up with hot reload: functions and the buynest layer run from the working tree, edits live at once
	@$(MAKE) --no-print-directory up HOT=1

deploy: $(DEV)/.stamp $(TOOLS)/.stamp ## sam build + sam deploy to the running local stack (skipped when unchanged)
	@$(PY) scripts/stack.py deploy $(if $(HOT),--hot)

invoke: $(DEV)/.stamp ## make invoke FN=<function> EVENT=<events/X.sample.json | 'GET /path' | file.json> [BODY= TOKEN=]
	@FN="$(FN)" EVENT="$(EVENT)" BODY='$(BODY)' TOKEN="$(TOKEN)" $(PY) scripts/invoke.py

url: ## print the API base URL
	@$(PY) scripts/stack.py url

status: ## is the local stack running? and the depth of every dead-letter queue (loud when one is not empty)
	@$(MAKE) --no-print-directory ls-status && $(PY) scripts/status.py

down: ## stop the local stack and everything it started
	@$(MAKE) --no-print-directory ls-stop

admin: ## make admin EMAIL=... PASSWORD=... [NAME=...]: create or promote an admin
	@$(PY) scripts/make_admin.py

seed: $(DEV)/.stamp ## load the demo catalog (36 products with real images), a demo coupon and three shoppers (address, cart, orders: one shipped, one delivered) through the API
	@$(PY) scripts/seed.py

logs: $(DEV)/.stamp ## follow every function's log readably (new ones too); `make logs ORDER=<id>`: one order's story
	@ORDER="$(ORDER)" $(PY) scripts/logs.py

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

test-integration: $(DEV)/.stamp ## adapters and handlers against moto, tables from template.yaml (2 workers)
	@$(PY) -m pytest -q -n 2 tests/integration

test-localstack: $(DEV)/.stamp ls-venv runtime-venv ## the LocalStack plugins, against a LocalStack of their own
	@$(PY) -m pytest -q tests/localstack

# The end-to-end tests wait on sagas and queues far more than they use CPU: E2E_WORKERS pytest-xdist workers run
# them a file per worker; the `serial` ones (they change stack-wide state) then run alone.
E2E_WORKERS ?= 4
test-e2e: up ## end-to-end against the deployed local stack (E2E_WORKERS=4 in parallel, then the `serial` ones alone)
	@BUYNEST_E2E_REQUIRED=1 $(PY) -m pytest -q -n $(E2E_WORKERS) --dist loadfile -m "not serial" tests/e2e
	@BUYNEST_E2E_REQUIRED=1 $(PY) -m pytest -q -m serial tests/e2e

lint: $(DEV)/.stamp ## ruff, mypy, cfn-lint
	@$(DEV)/bin/ruff check .
	@$(DEV)/bin/ruff format --check .
	@$(DEV)/bin/mypy
	@PYTHONPATH=layers/buynest/python $(DEV)/bin/lint-imports --no-logo
	@$(DEV)/bin/cfn-lint template.yaml

fmt: $(DEV)/.stamp ## format and fix what ruff can
	@$(DEV)/bin/ruff format . && $(DEV)/bin/ruff check --fix .

# make deploy-aws: the settings are samconfig.toml's `default` environment (no questions; region and credentials
# from your AWS CLI); STAGE=buynest-<name> deploys another stack beside it; GUIDED=1 asks and saves the answers there.
STAGE ?= buynest
SAM_AWS := --config-file $(CURDIR)/samconfig.toml --config-env default
deploy-aws: $(DEV)/.stamp $(TOOLS)/.stamp ## deploy to AWS with your credentials (samconfig.toml; STAGE=, GUIDED=1)
	@# from .local, where sam build keeps its ./.aws-sam/deps
	@mkdir -p $(LOCAL) && cd $(LOCAL) && PATH="$(LOCAL)/bin:$$PATH" $(TOOLS)/bin/sam build $(SAM_AWS) \
		--template-file $(CURDIR)/template.yaml --build-dir $(LOCAL)/aws-build --cache-dir $(LOCAL)/aws-cache
	@$(PY) scripts/stack.py precompile $(LOCAL)/aws-build
	@$(TOOLS)/bin/sam deploy $(SAM_AWS) --template-file $(LOCAL)/aws-build/template.yaml $(if $(GUIDED),--guided) \
		$(if $(filter-out buynest,$(STAGE)),--stack-name $(STAGE) --parameter-overrides Stage=$(STAGE))
	@$(PY) scripts/storefront.py upload --aws

validate: $(TOOLS)/.stamp ## sam validate --lint on template.yaml (what AWS would refuse; cfn-lint in make lint)
	@$(TOOLS)/bin/sam validate --lint --template template.yaml --region us-east-1

# Every lock, made one way (localstack/bin/lock): hashed, for every platform, keeping today's pins where the inputs allow.
LOCKS := requirements-uv requirements-dev requirements-tools requirements-load layers/deps/requirements \
	layers/imaging/requirements localstack/requirements localstack/runtime-requirements

lock: $(UV) ## re-resolve every hashed lock (*.txt) from its .in file (needs network); a failed one is left as it was
	@# the layer locks first: the dev venv's inputs include the deps layer's lock
	@for name in layers/deps/requirements layers/imaging/requirements $(filter-out layers/%,$(LOCKS)); do \
		localstack/bin/lock $(UV) $$name.in $$name.txt; done

clean: down ## remove everything the project wrote: .local/ (venvs, builds, LocalStack data, logs) and the caches
	rm -rf $(LOCAL) .aws-sam .pytest_cache .mypy_cache .ruff_cache .import_linter_cache .grimp_cache .hypothesis
	find . -path ./.git -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +

config: $(DEV)/.stamp ## the live settings (name, value, default); SET=name=value changes one, no deploy (README, Live settings)
	@SET="$(SET)" $(PY) scripts/config.py

mail: $(DEV)/.stamp ## the emails the local stack has sent, newest first, one JSON per line; TO=<email> for one address
	@TO="$(TO)" $(PY) scripts/mail.py
