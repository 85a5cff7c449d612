# The two commands (see README): `make run` serves the API locally, `make test` runs everything.
# Both set the machine up themselves (system packages + .venv) on first use.
SHELL := /bin/bash
VENV ?= .venv
BIN := $(VENV)/bin
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: run test setup setup-run lint typecheck validate sam-build interop-setup openapi pytest bench load fuzz fuzz-setup fuzz-smoke fuzz-long lock clean

run: setup-run
	$(BIN)/badgekiln serve

# sam build runs before validate so that `sam validate` is part of it; it is skipped (with a
# message) only where no python3.13 exists, as on a plain Debian machine. pytest runs on one
# worker per core (pytest-xdist; PYTEST_WORKERS=0 runs it in one process).
PYTEST_WORKERS ?= auto
test: setup lint typecheck interop-setup
	SAM_BUILD_OPTIONAL=1 ./scripts/sam-build.sh
	./scripts/validate-template.sh
	$(BIN)/pytest -q -n $(PYTEST_WORKERS)

setup:
	./scripts/bootstrap.sh

setup-run:
	./scripts/bootstrap.sh --run-only

# lint-imports: the layer and forbidden-import contracts of pyproject.toml ([tool.importlinter])
lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache --no-logo

typecheck:
	$(BIN)/mypy

validate:
	./scripts/validate-template.sh

# the independent verifiers the interop tests run (tests/interop/README.md), cached outside the checkout
interop-setup: setup
	$(BIN)/python tests/interop/harness.py setup

# sam build without Docker (installs the SAM CLI into .venv-sam on first use; ~20 s once cached)
sam-build:
	./scripts/sam-build.sh

# regenerate the merged OpenAPI document (tests/integration/test_openapi.py fails when it is stale)
openapi:
	$(BIN)/python scripts/generate_openapi.py

# refresh the two locks from pyproject.toml's ranges (uv pip compile; docs/development.md "Dependencies"):
# requirements-dev.lock (this machine: CI and `make test`) and layers/badgekiln/requirements.txt (the
# Lambda layer: python3.13 on arm64). Versions already locked are kept unless UPGRADE=1.
UV_VERSION := 0.13.8
LOCK_UPGRADE := $(if $(filter 1,$(UPGRADE)),--upgrade,)
lock: setup
	$(BIN)/python -m pip install -q --disable-pip-version-check uv==$(UV_VERSION)
	$(BIN)/uv pip compile pyproject.toml --extra dev --extra fuzz --python-version 3.11 \
		--python-platform x86_64-manylinux_2_28 --custom-compile-command "make lock" $(LOCK_UPGRADE) -o requirements-dev.lock
	$(BIN)/uv pip compile pyproject.toml --extra aws --extra render --extra http --python-version 3.13 \
		--python-platform aarch64-manylinux_2_28 --custom-compile-command "make lock" $(LOCK_UPGRADE) \
		-o layers/badgekiln/requirements.txt

pytest:
	$(BIN)/pytest -q -n $(PYTEST_WORKERS)

# every bench/bench_*.py, so a new benchmark cannot be left out
bench: setup
	set -e; for script in bench/bench_*.py; do $(BIN)/python "$$script"; done

# `badgekiln serve` under load (bench/load.py): 100 kept-alive clients verify the demo's did:web
# badge and read its documents over loopback; prints req/s, p50, p99 and errors as a Markdown table
# (docs/reliability.md quotes it) and the cold and warm verify latency of one client
load: setup-run
	nice -n 10 $(BIN)/python bench/load.py

# long-running tests (property campaigns, the 200-revocation herds: -m slow), then a short
# coverage-guided run of every harness (fuzz-smoke)
fuzz: setup
	$(BIN)/pytest -q -n $(PYTEST_WORKERS) -m slow tests
	$(MAKE) fuzz-smoke

# atheris (the extra badgekiln[fuzz]) into .venv
fuzz-setup: setup
	$(BIN)/python -m pip install -q --disable-pip-version-check -c requirements-dev.lock -e ".[dev,fuzz]"

# Coverage-guided fuzzing (fuzz/, docs/reliability.md), one harness at a time at low priority so
# a shared machine keeps working. fuzz-smoke: a few thousand cases per harness (about 5 minutes);
# fuzz-long: the issue #14 campaign (1,000,000 cases per container/JWS/status/batch harness,
# 100,000 per verification, rendering and handler harness; hours), then its table in
# docs/reliability.md; then fault injection, every AWS call × every fault kind (fuzz/faults.py;
# `make test` runs its bounded sample). Corpora, crashes and logs stay in .fuzz/.
fuzz-smoke: fuzz-setup
	nice -n 15 $(BIN)/python -m fuzz.campaign --smoke

fuzz-long: fuzz-setup
	nice -n 15 $(BIN)/python -m fuzz.campaign --long; status=$$?; \
	$(BIN)/python -m fuzz.report .fuzz/results/long.json docs/reliability.md; \
	nice -n 15 $(BIN)/python -m fuzz.faults --full --json .fuzz/results/faults.json \
		--document docs/reliability.md || status=1; exit $$status

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis .fuzz
