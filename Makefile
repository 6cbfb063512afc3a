# Two commands do all the set-up on a fresh machine:
#   make run    virtualenv, install, database migration, then the assistant
#   make test   virtualenv, install, all tests on SQLite, then on PostgreSQL (a database of its
#               own, dropped afterwards; skipped without a server, except under CI=true)
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test eval bench kb-check clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/sme-assistant db upgrade
	$(BIN)/sme-assistant start

test: $(STAMP)
	$(BIN)/sme-assistant kb check
	$(BIN)/pytest
	$(BIN)/python -m tests.postgres_run

eval: $(STAMP)
	$(BIN)/python -m knowledge.evaluation --semantic

bench: $(STAMP)
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) var .pytest_cache
