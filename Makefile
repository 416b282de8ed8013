# Everything a fresh machine needs: `make serve` runs the local API, `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 3000

.PHONY: install serve test test-fast lint bench synth openapi clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[infra,dev]'
	touch $(STAMP)

install: $(STAMP)

serve: $(STAMP)
	PORT=$(PORT) $(BIN)/loyalty serve

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -n 2 --dist loadgroup

test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not slow"

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: $(STAMP)
	$(BIN)/python -m tools.bench

openapi: $(STAMP)
	$(BIN)/loyalty openapi

node_modules/.installed: package.json
	npm install --no-audit --no-fund --silent
	touch node_modules/.installed

synth: $(STAMP) node_modules/.installed
	npx cdk synth --quiet

clean:
	rm -rf $(VENV) node_modules cdk.out
