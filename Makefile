# The two commands a newcomer needs:  `make local`  and  `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION = 20

.PHONY: local test lint typecheck unit openapi lock bench synth clean asl web screenshots aws-calls

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

# The tests that, together, make every call each Lambda function makes (tests/infra/test_least_privilege.py):
# 438 tests, 9 min on 2 workers (the whole suite takes ~25). Two runs give the same record.
AWS_CALL_TESTS = \
	tests/integration/test_permissions.py tests/integration/test_uploads.py tests/integration/test_assets.py \
	tests/integration/test_multipart.py tests/integration/test_ingest.py tests/integration/test_imports.py \
	tests/integration/test_originals.py tests/integration/test_pipeline.py tests/integration/test_version_pipeline.py \
	tests/integration/test_versions.py tests/integration/test_library_cleanup.py \
	tests/integration/test_library_assets.py tests/integration/test_library_collections.py \
	tests/integration/test_library_brands.py tests/integration/test_library_folders.py \
	tests/integration/test_projects.py tests/integration/test_concepts.py tests/integration/test_download_format.py \
	tests/integration/test_search.py tests/integration/test_trash.py tests/integration/test_reviews.py \
	tests/integration/test_clients.py tests/integration/test_run_ended.py tests/integration/test_audit.py \
	tests/e2e/test_asset_lifecycle.py tests/e2e/test_zip_import.py tests/e2e/test_multipart_upload.py \
	tests/e2e/test_library_cleanup_local.py tests/e2e/test_version_walk.py tests/e2e/test_trash_walk.py \
	tests/e2e/test_review_walk.py tests/e2e/test_upload_parts.py tests/e2e/test_audit_local.py

## Record which AWS actions, on which resources, each Lambda function makes (tests/infra/aws_calls.json).
aws-calls: $(BIN)/.installed
	rm -f tests/infra/aws_calls.json
	DAM_RECORD_AWS_CALLS=$(CURDIR)/tests/infra/aws_calls.json $(BIN)/pytest -q -p no:randomly -n 2 --dist loadfile $(AWS_CALL_TESTS)
