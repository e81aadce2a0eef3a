# Developer entry points. Everything runs from .venv; PostgreSQL and Redis are embedded
# (saas/dev/services.py) unless DATABASE_URL / REDIS_URL point at servers of your own.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# Locked dependencies with hashes (`make lock` writes them): dev.txt is what make install and
# CI install, production.txt what the image installs, build.txt the image's build-only tools.
LOCK := requirements/dev.txt
UV := $(VENV)/bin/uv
UV_COMPILE = $(UV) pip compile --quiet --generate-hashes --universal --python-version 3.11 \
	--index-url https://pypi.org/simple --custom-compile-command "make lock" \
	$(if $(filter 1,$(UPGRADE)),--upgrade)
PYTEST_ARGS ?=
# Test processes (pytest-xdist, one test file per worker at a time); 0 runs them in one.
PYTEST_WORKERS ?= 2
SHELL := /bin/bash

.DEFAULT_GOAL := install
.PHONY: install run test lint bench messages check deploy-check lock audit

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

# Exactly the locked versions, each checked against its hash; then the project itself
# (editable, no dependencies of its own choosing).
$(STAMP): $(LOCK) pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --disable-pip-version-check -q --require-hashes -r $(LOCK)
	$(PY) -m pip install --disable-pip-version-check -q --no-deps -e .
	touch $@

# Re-resolve the locks after editing pyproject.toml: versions already locked are kept where
# pyproject still allows them. `make lock UPGRADE=1` moves everything to the newest allowed.
lock:
	test -x $(UV) || $(MAKE) install
	$(UV_COMPILE) pyproject.toml --extra dev -o requirements/dev.txt
	$(UV_COMPILE) pyproject.toml -c requirements/dev.txt -o requirements/production.txt
	$(UV_COMPILE) requirements/build.in -c requirements/dev.txt -o requirements/build.txt

install: $(STAMP)
	$(PY) -m saas.dev.compilemessages

run: install
	$(PY) -m saas.dev.runner

test: install
	@$(with_services) \
	DJANGO_SETTINGS_MODULE=saas.settings.test $(VENV)/bin/pytest \
		-n $(PYTEST_WORKERS) --dist loadfile $(PYTEST_ARGS); status=$$?; \
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
# Locked dependencies against PyPI's advisories (docs/dependencies.md: what it does not see).
audit: install
	$(PY) -m saas.dev.audit $(LOCK)

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
