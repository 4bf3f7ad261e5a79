# The two commands users need: `make run` and `make test` (CONTRACT.md §1). Everything the project
# needs is installed from here: Python packages into .venv, Debian's chromium for browser tests.
PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
TEST_ENV := DJANGO_SETTINGS_MODULE=aftersales.settings.test
# pytest-xdist workers for `make test` (each gets its own test database, test_<name>_gw<N>).
TEST_WORKERS ?= 2

.PHONY: run test lint check-migrations services browser-deps bench chaos clean messages

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.run-installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.run-installed

## make run: web on http://127.0.0.1:8000 + Celery worker + Celery beat, with demo data.
## Embedded defaults (SQLite, file-system broker) unless DATABASE_URL / REDIS_URL are set.
run: $(VENV)/.run-installed
	mkdir -p var
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	PATH="$(BIN):$$PATH" $(BIN)/honcho --procfile Procfile start --port $${PORT:-8000}

## make test: the whole suite on real PostgreSQL and Redis (started here if installed but stopped).
test: $(VENV)/.dev-installed services browser-deps check-migrations
	$(TEST_ENV) $(BIN)/pytest -n $(TEST_WORKERS)

# What mypy holds to its types: the core, and the services and selectors of every app.
TYPED := aftersales/core $(wildcard */services.py */services */selectors.py)

## make lint: ruff (complexity included), the layers (import-linter), mypy, and the OpenAPI schema
## must generate without a warning and validate.
lint: $(VENV)/.dev-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(TEST_ENV) $(BIN)/mypy $(TYPED)
	$(BIN)/python manage.py spectacular --validate --fail-on-warn --file /dev/null

check-migrations: $(VENV)/.dev-installed services
	$(TEST_ENV) $(BIN)/python manage.py makemigrations --check --dry-run

services: $(VENV)/.dev-installed
	$(TEST_ENV) $(BIN)/python scripts/ensure_services.py

# Playwright drives Debian's Chromium (Playwright's own browser download needs the internet).
browser-deps:
	@command -v chromium >/dev/null 2>&1 || { \
	  if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium is not installed: browser tests will be skipped"; fi; }

bench: $(VENV)/.dev-installed services
	$(TEST_ENV) $(BIN)/pytest -m bench bench

chaos: $(VENV)/.dev-installed services
	$(TEST_ENV) $(BIN)/pytest -m chaos

clean:
	rm -rf var staticfiles .pytest_cache

## make messages: refresh the Chinese translation catalogue (needs GNU gettext). The compiled .mo is
## committed so `make run` works on a machine with only Python.
messages: $(VENV)/.dev-installed
	$(BIN)/python manage.py makemessages -l zh_Hans --ignore=.venv --ignore=staticfiles --ignore="*/tests/*"
	cd locale/zh_Hans/LC_MESSAGES && msgfmt --check-format -o django.mo django.po
