# Everything a fresh machine needs: `make serve` runs the local API, `make test` runs every test.
# The virtualenv runs Lambda's runtime, python3.13 (tools/runtime_python.sh finds it or warns); override with PYTHON=…
ifndef PYTHON
PYTHON := $(shell sh tools/runtime_python.sh)
endif
PYTHON_VERSION := $(shell $(PYTHON) -c 'import sys; print("%d.%d" % sys.version_info[:2])')
VENV := .venv
BIN := $(VENV)/bin
# one stamp per Python version: a virtualenv made by another Python is rebuilt
STAMP := $(VENV)/.installed-$(PYTHON_VERSION)
PORT ?= 3000
# AWS's DynamoDB Local, from the npm package amplify-dynamodb-simulator (version and sha256 pinned in
# tools/local/engine_install.py); only its emulator/ folder is kept, in the ignored .local/dynamodb/.
ENGINE := .local/dynamodb/.installed
# npm packages as package-lock.json pins them: the CDK CLI and Redoc (the reference page, tools/reference_page.py)
NODE := node_modules/.installed

.PHONY: install engine serve stop test test-fast fuzz lint mutate bench synth openapi clean

$(STAMP): pyproject.toml
	test "$$($(BIN)/python -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)" = "$(PYTHON_VERSION)" \
		|| { rm -rf $(VENV) && $(PYTHON) -m venv $(VENV); }
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[infra,dev]'
	touch $(STAMP)

install: $(STAMP) $(ENGINE) $(NODE)

$(ENGINE): tools/local/engine_install.py tools/local/java/LoopbackDynamoDBLocal.java | $(STAMP)
	$(BIN)/python -m tools.local.engine_install

engine: $(ENGINE)

serve: $(STAMP) $(ENGINE) $(NODE)
	PORT=$(PORT) exec $(BIN)/loyalty serve

stop: $(STAMP)
	$(BIN)/loyalty stop

test: $(STAMP) $(ENGINE) $(NODE)  # lint (ruff and mypy) first, so CI holds the types as make lint does
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/python -m pytest -n 2 --dist loadgroup

test-fast: $(STAMP) $(ENGINE) $(NODE)
	$(BIN)/python -m pytest -m "not slow"

# The state machines and the route fuzzer with random seeds and FUZZ_EXAMPLES examples each (CI runs them
# derandomized with far fewer); see docs/testing.md. Not part of `make test`.
FUZZ_EXAMPLES ?= 300
FUZZ_TESTS := tests/unit/test_ledger_state_machine.py tests/unit/test_offers_state_machine.py \
	tests/unit/test_voucher_state_machine.py tests/integration/test_fuzz_routes.py
fuzz: $(STAMP) $(ENGINE)
	LOYALTY_FUZZ=1 LOYALTY_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/python -m pytest -n 2 --dist loadgroup -rP $(FUZZ_TESTS)

# ruff, mypy as configured in pyproject.toml (strict on loyalty/, see docs/decisions.md), and Spectral (npm,
# pinned with package-lock.json) with the spectral:oas rules of .spectral.yaml: no error, no warning
lint: $(STAMP) $(NODE)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	node_modules/.bin/spectral lint docs/openapi.json --fail-severity=warn --quiet

# Mutation testing of the money code (not part of `make test`): MUTATE_MODULES="loyalty.services.book …" for some.
mutate: $(STAMP) $(ENGINE)
	$(BIN)/python -m tools.mutate $(MUTATE_MODULES)

bench: $(STAMP) $(ENGINE)  # BENCH_ARGS, e.g. "--functions create_award,authorizer --only cold" (python -m tools.bench --help)
	$(BIN)/python -m tools.bench $(BENCH_ARGS)
	$(BIN)/python -m tools.bench_latency
	$(BIN)/python -m tools.bench_webhooks
	$(BIN)/python -m tools.bench_imports  # BENCH_IMPORT_ROWS (default 100000), BENCH_IMPORT_WORKERS (default 4)

openapi: $(STAMP)
	$(BIN)/loyalty openapi

# the CDK CLI, Redoc and Spectral, exactly as package-lock.json pins them (npm ci never rewrites the lockfile)
$(NODE): package.json package-lock.json
	npm ci --no-audit --no-fund --silent
	touch $(NODE)

synth: $(STAMP) $(NODE)
	npx cdk synth --quiet

clean:  # keeps .local/ (the local database and its access key); `rm -rf .local` forgets them
	rm -rf $(VENV) node_modules cdk.out build mutants
