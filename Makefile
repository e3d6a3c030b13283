# The README's two commands: `make run` and `make test`. Each creates .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck bench clean package i18n i18n-extract i18n-update i18n-compile \
	visual visual-update

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

# Translations (docs/languages.md): extract the template from the code, merge it into every
# shipped locale's catalogue, compile the .mo files the desk reads. Both .po and .mo are
# committed, so `make run` needs no compile step on a fresh machine.
LOCALES := de fr es nl ar
TRANSLATIONS := resources/translations
POT := $(TRANSLATIONS)/csdesk.pot

i18n-extract: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k N_ -k ngettext:1,2 -k Reject:2 -k _reject:2 \
		-k reject:2 -k MergeRefused:2 -k TemplateRefused:2 -k ConversationRefused:2 \
		-k Phrase -k ApiError:3 -k NP_:1c,2 \
		--no-location --sort-output \
		--project csdesk --copyright-holder "csdesk contributors" --width 100 \
		-o $(POT) src/csdesk

i18n-update: $(STAMP)
	for lang in $(LOCALES); do \
		mkdir -p $(TRANSLATIONS)/$$lang/LC_MESSAGES; \
		if [ -f $(TRANSLATIONS)/$$lang/LC_MESSAGES/csdesk.po ]; then \
			$(BIN)/pybabel update -D csdesk -i $(POT) -d $(TRANSLATIONS) -l $$lang \
				--no-fuzzy-matching --ignore-obsolete --width 100 || exit 1; \
		else \
			$(BIN)/pybabel init -D csdesk -i $(POT) -d $(TRANSLATIONS) -l $$lang \
				--width 100 || exit 1; \
		fi; \
	done
	$(BIN)/python packaging/i18n_normalise.py $(TRANSLATIONS)

i18n-compile: $(STAMP)
	$(BIN)/pybabel compile -D csdesk -d $(TRANSLATIONS) --statistics

i18n: i18n-extract i18n-update i18n-compile

# --- visual regression ---
# The look against tests/visual/references/ (docs/visual-regression.md); `visual-update`
# redraws the references after a change of look that was meant: commit them with the change.
visual: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/pytest -q tests/visual

visual-update: $(STAMP)
	QT_QPA_PLATFORM=offscreen CSDESK_VISUAL_UPDATE=1 $(BIN)/pytest -q -n 0 tests/visual
	git status --short tests/visual/references

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
