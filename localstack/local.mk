# LocalStack for local runs and end-to-end tests. Included by the top-level Makefile, which defines
# PYTHON313 (a Python 3.13 interpreter), LOCAL (the state directory, .local) and UV (the installer, with its rule).
#
#   make ls-venv        LocalStack's venv from localstack/requirements.txt, plus the buynest plugins
#   make runtime-venv   the venv that runs Lambda functions, from localstack/runtime-requirements.txt
#   make ls-start       start LocalStack on 127.0.0.1:$(LOCALSTACK_PORT) unless it is already running
#   make ls-stop        stop it and every process it started
#   make ls-status      exit 0 when it is running and healthy
#   make ls-restart     ls-stop, then ls-start (picks up plugin changes)
#   make ls-lock        regenerate both lock files from their .in files (make lock does every lock)
#
# LOCALSTACK_DOCKER=1 runs LocalStack's Docker image with localstack/docker-compose.yml instead (needs a
# Docker engine and LOCALSTACK_AUTH_TOKEN); the venvs are not used then.

LS_DIR := $(patsubst %/,%,$(dir $(lastword $(MAKEFILE_LIST))))
LOCALSTACK_PORT ?= 4566
LOCALSTACK_DOCKER ?=
LS_VENV := $(LOCAL)/ls-venv
RUNTIME_VENV := $(LOCAL)/runtime-venv
LS_PLUGIN_BUILD := $(LOCAL)/ls-plugin-build
LS_PLUGIN_SOURCES := $(shell find $(LS_DIR)/plugins -type f \( -name '*.py' -o -name '*.toml' \) \
	-not -path '*/build/*' -not -path '*.egg-info/*')
LS_CTL_ENV := LOCAL=$(LOCAL) LOCALSTACK_PORT=$(LOCALSTACK_PORT) LS_VENV=$(LS_VENV) \
	BUYNEST_LAMBDA_PYTHON=$(RUNTIME_VENV)/bin/python
LS_COMPOSE := LOCALSTACK_PORT=$(LOCALSTACK_PORT) docker compose -f $(LS_DIR)/docker-compose.yml

.PHONY: ls-venv runtime-venv ls-start ls-stop ls-status ls-restart ls-lock ls-python313

ls-python313:
	@test -n "$(PYTHON313)" || { echo "no Python 3.13 found (see scripts/find-python313)" >&2; exit 1; }

ls-venv: $(LS_VENV)/.buynest-plugins.stamp

runtime-venv: $(RUNTIME_VENV)/.buynest-requirements.stamp

# In place, so that a LocalStack running from this venv keeps working while it is updated. A failure leaves no
# stamp, so the next run retries.
$(LS_VENV)/.buynest-requirements.stamp: $(LS_DIR)/requirements.txt | ls-python313 $(UV)
	@echo "==> ls-venv from $<"
	@rm -f $@
	@$(LS_VENV)/bin/python -c 'import sys; sys.exit(sys.version_info[:2] != (3, 13))' 2>/dev/null || \
		$(UV) venv --quiet --clear --python $(PYTHON313) $(LS_VENV)
	@$(UV) pip sync --require-hashes --python $(LS_VENV)/bin/python $< $(UV_SHOWN)
	@touch $@

# The plugins are built from a copy, so that setuptools leaves no build/ or *.egg-info in the source tree.
$(LS_VENV)/.buynest-plugins.stamp: $(LS_VENV)/.buynest-requirements.stamp $(LS_PLUGIN_SOURCES)
	@echo "==> ls-venv: buynest plugins"
	@rm -f $@ && rm -rf $(LS_PLUGIN_BUILD) && cp -R $(LS_DIR)/plugins $(LS_PLUGIN_BUILD)
	@$(UV) pip install --quiet --no-deps --reinstall --python $(LS_VENV)/bin/python $(LS_PLUGIN_BUILD)
	@rm -rf $(LS_PLUGIN_BUILD)
	@touch $@

# From scratch, so that the venv holds exactly the lock and nothing a function could wrongly rely on.
$(RUNTIME_VENV)/.buynest-requirements.stamp: $(LS_DIR)/runtime-requirements.txt | ls-python313 $(UV)
	@echo "==> runtime-venv from $<"
	@$(UV) venv --quiet --clear --python $(PYTHON313) $(RUNTIME_VENV)
	@$(UV) pip sync --require-hashes --python $(RUNTIME_VENV)/bin/python $< $(UV_SHOWN)
	@touch $@

ifeq ($(LOCALSTACK_DOCKER),1)
ls-start:
	$(LS_COMPOSE) up -d --wait
ls-stop:
	$(LS_COMPOSE) down
ls-status:
	@curl -fsS -m 2 http://127.0.0.1:$(LOCALSTACK_PORT)/_localstack/health >/dev/null
ls-restart:
	$(LS_COMPOSE) down
	$(LS_COMPOSE) up -d --wait
else
ls-start: ls-venv runtime-venv
	@$(LS_CTL_ENV) $(LS_DIR)/bin/start
ls-stop:
	@$(LS_CTL_ENV) $(LS_DIR)/bin/stop
ls-status:
	@$(LS_CTL_ENV) $(LS_DIR)/bin/status
ls-restart: ls-venv runtime-venv
	@$(LS_CTL_ENV) $(LS_DIR)/bin/stop
	@$(LS_CTL_ENV) $(LS_DIR)/bin/start
endif

ls-lock: $(UV)
	$(LS_DIR)/bin/lock $(UV) $(LS_DIR)/requirements.in $(LS_DIR)/requirements.txt
	$(LS_DIR)/bin/lock $(UV) $(LS_DIR)/runtime-requirements.in $(LS_DIR)/runtime-requirements.txt
