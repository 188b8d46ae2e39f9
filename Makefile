# newsfigures — every target bootstraps .venv from the lockfile first (needs only python3 and make).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
UV     := $(BIN)/uv
UV_VERSION := 0.13.9

.PHONY: demo test check lint format typecheck airflow sql stack stack-airflow stack-stop stack-status clean help

help:
	@echo "make demo   serve the bundled demo news site, run the pipeline on it, print reported vs official"
	@echo "make test   run the whole test suite (includes a real Airflow and DuckLake)"
	@echo "make check  ruff format check + ruff lint (incl. AIR) + mypy strict + the fast tests (not -m slow)"
	@echo "make airflow  start airflow standalone on this project's DAGs (UI on http://127.0.0.1:8080)"
	@echo "make sql    DuckDB prompt with the warehouse attached read-only"
	@echo "make stack  start the scale profile on loopback (PostgreSQL, Redis, SeaweedFS S3); settings in .stack/env"
	@echo "make stack-airflow  the stack plus Airflow on CeleryExecutor, two workers (set NEWSFIGURES_FEEDS_FILE)"
	@echo "make stack-stop  stop it all (the data stays in .stack/)"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(UV): | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"

$(VENV)/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --locked --quiet --compile-bytecode
	@touch $@

demo: $(VENV)/.synced
	$(BIN)/newsfigures demo
	$(BIN)/newsfigures report

test: $(VENV)/.synced
	$(BIN)/pytest

format: $(VENV)/.synced
	$(BIN)/ruff format .

lint: $(VENV)/.synced
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

typecheck: $(VENV)/.synced
	$(BIN)/mypy

check: lint typecheck $(VENV)/.synced
	$(BIN)/pytest -m "not slow"

airflow: $(VENV)/.synced
	$(BIN)/python -m pipeline.airflow.standalone

sql: $(VENV)/.synced
	@$(BIN)/newsfigures sql

stack: $(VENV)/.synced
	@sh stack/install.sh
	@bash stack/stack.sh start

stack-airflow: stack
	@bash stack/airflow.sh start

stack-stop:
	@bash stack/stack.sh stop

stack-status:
	@bash stack/stack.sh status

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
