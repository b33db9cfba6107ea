# Two commands do all the set-up on a fresh machine:  `make run`  and  `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: install run test lint bench

# (Re)install whenever pyproject.toml changes.
$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	@touch $(STAMP)

install: $(STAMP)

# Local development (ppp.settings.local, manage.py's default): DEBUG on, SQLite and the file-system broker
# under var/. Set DATABASE_URL / CELERY_BROKER_URL to use PostgreSQL and Redis instead (see README).
run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	$(VENV)/bin/honcho start -f Procfile

test: install
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	DJANGO_SETTINGS_MODULE=ppp.settings.test $(PY) manage.py makemigrations --check --dry-run
	$(PY) -m pytest $(PYTEST_ARGS)

lint: install
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

# Benchmarks at national-programme size (not part of the tests): needs PostgreSQL; see docs/benchmarks.md.
# BENCH_DATABASE_URL picks the database (default postgres://postgres@127.0.0.1:5432/ppp_bench; created if missing).
bench: install
	$(PY) -m pip install --quiet -e ".[test,bench]"
	@command -v wrk >/dev/null || { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk; }
	$(PY) -m bench.run $(BENCH_ARGS)
