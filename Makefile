# cse-network: `make report` and `make test` are all an analyst needs.
# Each target creates or refreshes .venv from requirements.lock when it is
# missing or stale, so a fresh machine needs only python3 (3.11+) and make.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
SMALL  := data/synthetic/small.sqlite

.DEFAULT_GOAL := help
.PHONY: help setup report lint pg browser test test-fast notebooks answers bench screenshot clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-11s %s\n", $$1, $$2}'

$(STAMP): requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	@touch $(STAMP)

setup: $(STAMP) ## create or refresh .venv from requirements.lock (with cse-network installed)

$(SMALL): $(STAMP) $(wildcard src/helpers/synth/*.py)
	$(BIN)/cse-network synth --profile small --seed 1 --out $(SMALL)

report: setup ## run the whole pipeline on the embedded synthetic force (wmp scale) into output/
	$(BIN)/cse-network run

lint: setup ## ruff (style, imports, bugs, complexity) and mypy (types); no file in git over 1 MB
	$(BIN)/ruff check src tests benchmarks scripts
	$(BIN)/mypy src
	$(BIN)/python scripts/check_large_files.py --max-kb 1024

pg: ## start the PostgreSQL test server on 127.0.0.1 (installs it with apt if missing) and print its URL
	scripts/pg-test-server.sh --url

browser: ## install headless Chromium from Debian's packages (the pack's browser test) when missing
	scripts/install-chromium.sh

test: setup lint $(SMALL) pg browser ## run lint, then every test: unit, integration (PostgreSQL, Chromium), nbval
	CSE_TEST_PG_URL=$$(scripts/pg-test-server.sh --url) $(BIN)/python -m pytest tests
	$(BIN)/python -m pytest --nbval notebooks --nbval-sanitize-with tests/notebooks/sanitize.cfg -p no:cacheprovider

test-fast: setup $(SMALL) ## unit tests only
	$(BIN)/python -m pytest tests/unit -q

notebooks: setup $(SMALL) ## re-execute notebooks/ in place on the small profile (refreshes nbval's expected outputs)
	$(BIN)/python -c "from helpers.runner import refresh_notebooks; refresh_notebooks()"

answers: setup $(SMALL) ## re-record the small profile's table and export hashes (only after a change meant to alter answers)
	$(BIN)/python scripts/record_answers.py --update

bench: setup ## time and measure every stage on small, wmp and 10x wmp (writes benchmarks/RESULTS.md)
	$(BIN)/python benchmarks/run.py

screenshot: ## screenshot output/report.html with headless Chromium (installs chromium with apt if missing)
	@command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium)
	chromium --headless --no-sandbox --disable-gpu --no-first-run --disable-background-networking \
	  --disable-component-update --disable-sync --user-data-dir=$$(mktemp -d) \
	  --screenshot=docs/report-first-page.png --window-size=1280,1600 file://$(CURDIR)/output/report.html

clean: ## remove outputs and generated databases (never the code)
	rm -rf output output-* .pytest_cache data/synthetic/*.sqlite data/synthetic/*.truth.*
