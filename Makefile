# The two commands (see README): `make run` serves the API locally, `make test` runs everything.
# Both set the machine up themselves (system packages + .venv) on first use.
SHELL := /bin/bash
VENV ?= .venv
BIN := $(VENV)/bin
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: run test setup setup-run lint typecheck validate sam-build openapi pytest bench fuzz clean

run: setup-run
	$(BIN)/badgekiln serve

test: setup lint typecheck sam-build validate pytest

setup:
	./scripts/bootstrap.sh

setup-run:
	./scripts/bootstrap.sh --run-only

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck:
	$(BIN)/mypy

validate:
	./scripts/validate-template.sh

# sam build without Docker (installs the SAM CLI into .venv-sam on first use; ~20 s once cached)
sam-build:
	./scripts/sam-build.sh

# regenerate the merged OpenAPI document (tests/integration/test_openapi.py fails when it is stale)
openapi:
	$(BIN)/python scripts/generate_openapi.py

pytest:
	$(BIN)/pytest -q

bench: setup
	$(BIN)/python bench/bench_baking.py
	$(BIN)/python bench/bench_proofs.py
	$(BIN)/python bench/bench_render.py
	$(BIN)/python bench/bench_verify.py

fuzz: setup
	$(BIN)/pytest -q -m slow tests

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
