# The two commands a newcomer needs:  `make local`  and  `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION = 20

.PHONY: local test lint typecheck unit openapi lock bench synth clean asl web screenshots

# pip names each package as it goes: the first install takes a few minutes and must not look like a hang.
$(BIN)/.installed: requirements.lock pyproject.toml
	@echo "Setting up $(VENV) with the $$(grep -c '==' requirements.lock) pinned packages of requirements.lock (first run only: a few minutes)…"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --disable-pip-version-check --progress-bar on -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	@echo "$(VENV) is ready."
	touch $@

node_modules/.installed: package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# The web app (web/): its own node_modules and lock file; rebuilt only when a source, the lock or the API changed.
WEB_SOURCES := $(shell find web/src -type f -not -name api-types.ts 2>/dev/null) web/index.html web/vite.config.ts web/tsconfig.json

web/node_modules/.installed: web/package-lock.json
	cd web && npm ci --no-audit --no-fund --loglevel=error
	touch $@

web/dist/index.html: web/node_modules/.installed $(WEB_SOURCES) openapi.json
	cd web && npm run --silent build

## Build the web app that `dam local` serves at / (type-checked against openapi.json).
web: web/dist/index.html

## Start the whole system on 127.0.0.1 with demo data (Ctrl-C stops it).
local: $(BIN)/.installed web
	$(BIN)/dam local --demo

## Everything CI runs: lint, types, unit, integration, infrastructure (cdk-nag, cfn-lint) and end-to-end tests.
test: $(BIN)/.installed node_modules/.installed web
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/pytest -n 2 --dist loadfile

## The README's screenshots of the web app (docs/screenshots/), from `dam local --demo` in chromium.
screenshots: $(BIN)/.installed web
	$(BIN)/python bench/screenshots.py

lint: $(BIN)/.installed
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

openapi: $(BIN)/.installed
	$(BIN)/python -m dam.api.openapi > openapi.json

synth: $(BIN)/.installed node_modules/.installed
	npx cdk synth --quiet

bench: $(BIN)/.installed
	$(BIN)/python bench/cold_start.py
	$(BIN)/python bench/aws_calls.py
	$(BIN)/python bench/renditions.py
	$(BIN)/python -m bench.search
	$(BIN)/python bench/e2e_ready.py
	$(BIN)/python bench/local_persistence.py

## Re-pin every Python dependency from pyproject.toml's ranges (needs the registry).
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/pip install --quiet --disable-pip-version-check -e '.[local,infra,dev]'
	.lock-venv/bin/pip freeze --exclude-editable --exclude dam | sed '/^-e /d' > requirements.lock
	rm -rf .lock-venv

clean:
	rm -rf $(VENV) node_modules cdk.out .build .dam .mypy_cache .ruff_cache .pytest_cache

## Regenerate the local stack's state machine from the CDK definition (kept in sync by tests/infra/test_pipeline.py).
asl: $(BIN)/.installed
	$(BIN)/python -c 'from pathlib import Path; from stacks.pipeline import export_local_definition as e; Path("local/dam_local/pipeline.asl.json").write_text(e())'
