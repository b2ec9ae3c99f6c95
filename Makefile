# Aduan — the two commands that matter: `make run` (the platform) and `make test` (every test).
# Both install what they need on a fresh machine: uv and the Python workspace, Kafka's jars from
# Maven Central, the SecantusDB server, Prometheus from Debian, Helm from the Go module proxy
# (tools/devstack).

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
UV := $(PYTHON) -m uv
VENV := .venv
BIN := $(VENV)/bin
DEV := $(BIN)/aduan-dev
PYTEST := $(BIN)/pytest -p no:cacheprovider
UNIT_TESTS := tests/architecture shared/tests $(wildcard services/*/tests)
SERVER_TESTS := $(wildcard tools/*/tests) tests/deploy tests/integration

.PHONY: help setup run stop test unit integration lint bench asyncapi images clean simulate

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(BIN)/python: pyproject.toml uv.lock shared/pyproject.toml $(wildcard services/*/pyproject.toml) $(wildcard tools/*/pyproject.toml)
	@$(PYTHON) -m uv --version >/dev/null 2>&1 || $(PYTHON) -m pip install -q uv
	$(UV) sync --all-packages --locked
	@touch $@

setup: $(BIN)/python ## install the Python workspace and the local servers (cached in ~/.cache)
	$(DEV) setup

# Simulated traffic (tools/simulator): `make simulate RATE=10 COUNT=800 ACT=1` on a running
# platform; `make run SIMULATE=1` starts the platform, then the simulator (with officers acting).
RATE ?= 10
COUNT ?= 800
SIM_ARGS ?=

run: setup ## start Kafka, the database, Prometheus and the six services; Ctrl-C stops all
ifdef SIMULATE
	@trap '$(DEV) down' EXIT; \
	$(DEV) run --detach || exit 1; \
	$(BIN)/aduan simulate --rate $(RATE) --count $(COUNT) --act $(SIM_ARGS) \
		|| { code=$$?; [ $$code -ne 130 ] || exit 130; }; \
	echo "make run: simulation over; the platform runs on, Ctrl-C stops everything"; \
	while sleep 3600; do :; done
else
	$(DEV) run
endif

simulate: $(BIN)/python ## realistic reports on the 13 channels to the running platform (RATE, COUNT, ACT=1)
	$(BIN)/aduan simulate --rate $(RATE) --count $(COUNT) $(if $(ACT),--act) $(SIM_ARGS)

stop: ## stop everything `make run` started (only the PIDs it recorded)
	@if [ -x $(DEV) ]; then $(DEV) down; else echo "nothing to stop: no $(DEV)"; fi

test: setup lint unit integration ## set up, lint, unit tests, integration tests on real servers

unit: $(BIN)/python ## unit and handler tests (no servers)
	$(PYTEST) $(UNIT_TESTS)

integration: setup ## devstack, chart (helm) and journey tests on real servers (fail if none can be had)
	$(PYTEST) $(SERVER_TESTS)

lint: $(BIN)/python ## ruff (lint and format) and mypy
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy shared/src services/*/src tools/*/src

POSTGIS := /usr/share/postgresql/15/extension/postgis.control

bench: setup $(POSTGIS) ## benchmarks side by side (BENCH_ARGS="--only public --quick" for one)
	$(BIN)/python scripts/bench.py $(BENCH_ARGS)

$(POSTGIS): # the geo benchmark compares with PostGIS (Debian's package, started by the benchmark)
	apt-get update -qq && apt-get install -y -qq postgresql-15-postgis-3

asyncapi: $(BIN)/python ## write every service's AsyncAPI and OpenAPI document to docs/api/
	$(BIN)/python scripts/write_asyncapi.py docs/api

DOCKER ?= docker
IMAGE_PREFIX ?= aduan
IMAGE_TAG ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo dev)
IMAGE_SERVICES := intake geo-router disposition sla-monitor notifier analytics
BOUNDARIES_DIR ?= ../shared/data/jakarta

images: ## build the six service images and the boundaries image (needs a Docker engine)
	@command -v $(DOCKER) >/dev/null 2>&1 || { echo "make images: '$(DOCKER)' not found: building images needs Docker (a client and an engine); see deploy/docker/README.md" >&2; exit 1; }
	@$(DOCKER) info >/dev/null 2>&1 || { echo "make images: '$(DOCKER)' is installed but no Docker engine answers (docker info failed): start one, or build elsewhere" >&2; exit 1; }
	@for service in $(IMAGE_SERVICES); do \
		echo "building $(IMAGE_PREFIX)/aduan-$$service:$(IMAGE_TAG)"; \
		$(DOCKER) build -f deploy/docker/Dockerfile --build-arg SERVICE=$$service \
			-t $(IMAGE_PREFIX)/aduan-$$service:$(IMAGE_TAG) . || exit 1; \
	done
	$(DOCKER) build -f deploy/docker/boundaries.Dockerfile \
		-t $(IMAGE_PREFIX)/aduan-boundaries-$(notdir $(BOUNDARIES_DIR)):$(IMAGE_TAG) $(BOUNDARIES_DIR)

clean: stop ## remove the virtualenv, run state and caches of this checkout (not ~/.cache)
	rm -rf $(VENV) .run .pytest_cache .mypy_cache .ruff_cache
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
