# ILP Training: `make run` serves the demo site, `make test` runs the suite.
# Both create .venv, install the project and compile the translations themselves.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app app
HOST ?= 127.0.0.1
PORT ?= 5000
PYTEST_ARGS ?=

.PHONY: run test bench lint setup translations extract update-translations check-translations clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $@

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

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .

extract: $(VENV)/.installed
	$(FLASK) translate extract

update-translations: $(VENV)/.installed
	$(FLASK) translate update

check-translations: $(VENV)/.installed
	$(FLASK) translate check

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
	find translations -name '*.mo' -delete
