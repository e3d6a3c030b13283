# The README's two commands: `make run` and `make test`. Each creates .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck bench clean package

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/csdesk

test: $(STAMP)
	$(BIN)/ruff check src tests bench docs
	$(BIN)/mypy
	$(BIN)/pytest -n 3

lint: $(STAMP)
	$(BIN)/ruff check src tests bench docs
	$(BIN)/ruff format --check src tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/wakeup.py

# A one-folder PyInstaller build in $(PACKAGE_DIST)/csdesk (see packaging/README.md), then
# its own check: the built app signs in to its embedded server and shows the inbox.
PACKAGE_DIST ?= dist/pyinstaller
PACKAGE_WORK ?= build/pyinstaller

package: $(STAMP)
	$(BIN)/pip install -q -e '.[package]'
	$(BIN)/pyinstaller --noconfirm --log-level WARN --distpath $(PACKAGE_DIST) \
		--workpath $(PACKAGE_WORK) packaging/pyinstaller/csdesk.spec
	tmp=$$(mktemp -d) && QT_QPA_PLATFORM=offscreen CSDESK_DATA_DIR=$$tmp/data \
		CSDESK_CONFIG_DIR=$$tmp/config $(PACKAGE_DIST)/csdesk/csdesk --self-test; \
		status=$$?; rm -rf $$tmp; exit $$status

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
