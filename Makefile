# ILP Training: `make run` serves the demo site, `make test` runs the suite.
# Both create .venv, install the project and compile the translations themselves.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app app
HOST ?= 127.0.0.1
PORT ?= 5000
PYTEST_ARGS ?=

.PHONY: run test bench screenshots lint setup upgrade translations extract update-translations check-translations clean

LOCK := requirements.lock

# Installs come from the lockfile (exact versions with hashes), never from the ranges in
# pyproject.toml: an upstream release changes nothing until `make upgrade` says so.
$(VENV)/.installed: $(LOCK) pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --require-hashes --no-deps -r $(LOCK)
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $@

# Re-resolve the ranges of pyproject.toml (with the dev and redis extras) to the newest
# releases and write them, with their hashes, to the lockfile; then reinstall.
upgrade: $(VENV)/.installed
	$(VENV)/bin/uv pip compile pyproject.toml --extra dev --extra redis --generate-hashes \
		--python-version 3.11 --no-header --upgrade -o $(LOCK)
	rm -f $(VENV)/.installed
	$(MAKE) setup

setup: $(VENV)/.installed translations

translations: $(VENV)/.installed
	@$(FLASK) translate compile

# The worker (bulk certificates) runs beside the web server and stops with it.
run: setup
	mkdir -p instance
	$(FLASK) db upgrade
	$(FLASK) demo load --if-empty
	export PUBLIC_BASE_URL="$${PUBLIC_BASE_URL:-http://$(HOST):$(PORT)}"; \
	$(FLASK) worker & worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(FLASK) run --host $(HOST) --port $(PORT)

test: setup
	$(PY) -m pytest $(PYTEST_ARGS)

bench: setup
	@for script in bench/[!_]*.py; do echo "# $$script"; $(PY) $$script || exit 1; done

# The README's phone screenshots (docs/screenshots/): the demo on a fresh SQLite database,
# photographed at 360 px by Debian's chromium (scripts/screenshots.py).
screenshots: setup
	$(PY) scripts/screenshots.py

# ruff, then the layers (import contracts, pyproject.toml [tool.importlinter]), then the
# type hints (mypy on ilp_training and assessments, [tool.mypy]).
lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy

extract: $(VENV)/.installed
	$(FLASK) translate extract

update-translations: $(VENV)/.installed
	$(FLASK) translate update

check-translations: $(VENV)/.installed
	$(FLASK) translate check

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache .import_linter_cache
	find translations -name '*.mo' -delete
