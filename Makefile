# Shoppable: `make demo` runs it, `make test` tests it. Needs only Python 3.11+ and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install demo serve test test-postgres lint format check-migrations bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit("Shoppable needs Python 3.11 or newer") if sys.version_info < (3, 11) else None'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## Migrate a SQLite database under var/, seed the demo shops and serve on http://127.0.0.1:8000
demo: install
	$(BIN)/shoppable demo

serve: install
	$(BIN)/shoppable serve

## The whole suite on SQLite; on PostgreSQL when SHOPPABLE_TEST_DATABASE_URL is set
test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check src tests bench migrations
	$(BIN)/ruff format --check src tests bench migrations
	$(BIN)/mypy

format: install
	$(BIN)/ruff format src tests bench migrations
	$(BIN)/ruff check --fix src tests bench migrations

## Models and migrations agree (on the database SHOPPABLE_DATABASE_URL names; a scratch SQLite file by default)
check-migrations: install
	rm -f var/check-migrations.db
	SHOPPABLE_DATABASE_URL=$${SHOPPABLE_DATABASE_URL:-sqlite+aiosqlite:///./var/check-migrations.db} \
		sh -c '$(BIN)/alembic upgrade head && $(BIN)/alembic check'

bench: install
	$(BIN)/python bench/import.py
	$(BIN)/python bench/catalog.py
	$(BIN)/python bench/checkout.py
	$(BIN)/python bench/hot_sku.py
	$(BIN)/python bench/redirect.py
	$(BIN)/python bench/live_fanout.py
	$(BIN)/python bench/flash_sale.py
	$(BIN)/python bench/dashboard.py

clean:
	rm -rf var .pytest_cache .mypy_cache .ruff_cache
