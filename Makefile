# Developer entry points. Everything runs from .venv; PostgreSQL and Redis are embedded
# (saas/dev/services.py) unless DATABASE_URL / REDIS_URL point at servers of your own.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=
SHELL := /bin/bash

.DEFAULT_GOAL := install
.PHONY: install run test lint bench messages check deploy-check

# Shell snippet: start the embedded services this run needs (only for unset URL variables),
# export their URLs, and on exit stop only what this invocation started.
define with_services
started=""; \
cleanup() { if [ -n "$$started" ]; then $(PY) -m saas.dev.services down --only $$started; fi; }; \
trap cleanup EXIT; trap 'exit 130' INT; trap 'exit 143' TERM; \
if [ -z "$${DATABASE_URL:-}" ] || [ -z "$${REDIS_URL:-}" ]; then \
	started=$$($(PY) -m saas.dev.services up) || exit 1; \
	urls=$$($(PY) -m saas.dev.services env) || exit 1; \
	eval "$$urls"; \
fi;
endef

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --disable-pip-version-check -q -e '.[dev]'
	touch $@

install: $(STAMP)
	$(PY) -m saas.dev.compilemessages

run: install
	$(PY) -m saas.dev.runner

test: install
	@$(with_services) \
	DJANGO_SETTINGS_MODULE=saas.settings.test $(VENV)/bin/pytest $(PYTEST_ARGS); status=$$?; \
	if [ $$status -eq 5 ]; then echo "make test: no test ran (pytest exit 5): failing" >&2; fi; \
	exit $$status

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy .

bench: install
	@$(with_services) $(PY) bench/run.py

# With a database (embedded when DATABASE_URL is unset): makemigrations also checks the
# migration history, and nothing waits for a pool timeout against a server that is not there.
check: install
	@$(with_services) export DJANGO_SETTINGS_MODULE=saas.settings.test; \
	$(PY) manage.py check && $(PY) manage.py makemigrations --check --dry-run

# The deploy kit (deploy/, Dockerfile, compose, Procfile): nginx -t, systemd-analyze verify,
# compose and image rules, gunicorn and Django deploy checks with production settings.
deploy-check: install
	@$(with_services) $(PY) deploy/check.py

messages: install
	@if ! command -v xgettext >/dev/null; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y gettext; \
		else \
			echo "make messages needs GNU gettext (xgettext): install the 'gettext' package." >&2; \
			exit 1; \
		fi; \
	fi
	$(PY) manage.py makemessages -l bg --ignore=.venv --ignore=.data --ignore=bench
	$(PY) -m saas.dev.compilemessages
