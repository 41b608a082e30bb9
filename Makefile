# worldNET GeoGuessr. `make setup`, `make test`, `make play`, `make bench`.
# Every target creates .venv and installs requirements first when needed.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
# Touched after a successful install: a second `make setup` is a no-op until a
# requirements file changes.
INSTALLED := $(VENV)/.installed

# The database tests run twice: the whole suite on SQLite (the embedded default), then the
# tests that use the database again on a throwaway PostgreSQL server (tests/support/postgres.py).
# Both passes run even when the first fails; the target fails if either did.
PYTEST := $(BIN)/python -m pytest

.PHONY: setup lint test test-fast test-postgres play bench clean

setup: $(INSTALLED)

# requirements.txt is requirements-web.txt and requirements-worker.txt (-r): all three are prerequisites.
$(INSTALLED): requirements.txt requirements-web.txt requirements-worker.txt requirements-test.txt
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Python 3.11 is required, found " + sys.version' 
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt -r requirements-test.txt
	touch $@

# ruff (lint, then formatting), import-linter's contracts (the floors, the apps' directions, no
# cycles) and mypy (strict on worldnet_core, with django-stubs on geoguess): any finding stops here.
lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy

test: setup lint
	status=0; $(PYTEST) || status=$$?; $(PYTEST) -p tests.support.postgres || status=$$?; exit $$status

test-fast: setup lint
	status=0; $(PYTEST) -m "not slow" || status=$$?; $(PYTEST) -p tests.support.postgres -m "not slow" || status=$$?; exit $$status

test-postgres: setup
	$(PYTEST) -p tests.support.postgres

play: setup
	$(BIN)/python manage.py play

bench: setup
	$(BIN)/python -m training bench geo
	$(BIN)/python -m training bench demo-world
	$(BIN)/python -m training bench predictor
	# 20 players for 30 s on gunicorn, PostgreSQL, Redis and a worker (docs/benchmarks.md#the-game-under-load); a lighter
	# demo worldNET than make play's, trained once and kept in var/load-bench (a few minutes the first time)
	$(BIN)/python -m benchmarks.load --players 20 --run-time 30 --warmup 5 --training-per-city 10 --epochs 3
	# 10 parties of 4 players over WebSockets on two Daphne processes, 3 rounds (about a minute; the full run's figures:
	# docs/benchmarks.md#parties-under-load)
	$(BIN)/python -m benchmarks.party_load --parties 10 --rounds 3 --think 1 3 --ramp 3

clean:
	rm -rf $(VENV) var
