# Clinical registry: run, test and lint. `make help` lists the targets.
# Every Python call goes through .venv/bin/python explicitly.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

PYTHON ?= python3.11
PY := .venv/bin/python
STAMP := .venv/.requirements-installed
CHROMIUM := /usr/bin/chromium
PYTEST_ARGS ?=
HOST_PORT ?= 127.0.0.1:8000
APP_ROLE ?= registry_app
BACKUP_DIR ?= var/backups
FUZZ_EXAMPLES ?= 60
# Each step of make security is cut off after this many seconds (the whole took 6.5 min
# on 2 cores: drills 131 s, fuzzing 239 s).
SECURITY_STEP_TIMEOUT ?= 600

.PHONY: help venv browser gettext messages compilemessages db migrate run test bench lint clean-db check \
	security backup restore

help:
	@echo "make venv      create .venv (python3.11) and install requirements.txt when it changed"
	@echo "make browser   install Debian's chromium for browser tests (root only)"
	@echo "make gettext   install Debian's gettext (msgfmt) when missing (root only)"
	@echo "make messages  update the French catalogues from the sources (then translate them)"
	@echo "make compilemessages  compile the catalogues (.po -> .mo); run and test do it"
	@echo "make db        start the embedded PostgreSQL (nothing when DATABASE_URL is set)"
	@echo "make migrate   apply migrations"
	@echo "make run       venv + db + migrate + compilemessages + seed_demo, then runserver on $(HOST_PORT)"
	@echo "make test      compilemessages, check, then pytest (PYTEST_ARGS='-k foo -x')"
	@echo "make security  the slow drills (crash restart, backup/restore), fuzzing at $(FUZZ_EXAMPLES) examples, check --deploy, audit_verify"
	@echo "make backup    pg_dump of DATABASE_URL's database to $(BACKUP_DIR)/<name>-<time>.dump + .sha256"
	@echo "make restore FILE=<dump> INTO=<database> [FORCE=1]  checksum checked, then pg_restore (refuses a non-empty database unless FORCE=1)"
	@echo "make bench     build (or reuse) a 100,000-case database and print every figure beside its target"
	@echo "make lint      ruff check, ruff format --check, mypy"
	@echo "make check     lint, and makemigrations --check (run by make test)"
	@echo "make clean-db  stop the embedded PostgreSQL and delete .pgdata/"

# --- environment --------------------------------------------------------------------

venv: $(STAMP)
	@echo "==> venv: .venv is up to date"

$(PY):
	@command -v $(PYTHON) >/dev/null || { echo "!! $(PYTHON) not found: install Python 3.11 or run make PYTHON=/path/to/python3.11"; exit 1; }
	@echo "==> venv: creating .venv with $(PYTHON)"
	@$(PYTHON) -m venv .venv
	@$(PY) -c 'import sys; assert sys.version_info[:2] == (3, 11), sys.version' \
		|| { echo "!! .venv is not Python 3.11; remove .venv and retry with PYTHON=python3.11"; exit 1; }

# Reinstall only when requirements.txt is newer than the stamp.
$(STAMP): requirements.txt | $(PY)
	@echo "==> venv: installing requirements.txt into .venv"
	@$(PY) -m pip install --disable-pip-version-check -q -r requirements.txt \
		|| { echo "!! venv: pip install -r requirements.txt failed"; exit 1; }
	@touch $(STAMP)

browser:
	@if [ -x $(CHROMIUM) ]; then \
		echo "==> browser: $(CHROMIUM) present"; \
	elif [ "$$(id -u)" = 0 ]; then \
		echo "==> browser: $(CHROMIUM) missing, installing Debian's chromium (apt-get)"; \
		apt-get update -qq || { echo "!! browser: apt-get update failed"; exit 1; }; \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null \
			|| { echo "!! browser: apt-get install chromium failed"; exit 1; }; \
		[ -x $(CHROMIUM) ] || { echo "!! browser: chromium installed but $(CHROMIUM) is missing"; exit 1; }; \
		echo "==> browser: installed $$($(CHROMIUM) --version 2>/dev/null || echo chromium)"; \
	else \
		echo "!! browser: $(CHROMIUM) is missing and this is not root, so it cannot be installed here."; \
		echo "!!          Ask for 'sudo apt-get install chromium'; tests marked 'browser' will not run."; \
	fi

# --- translations (docs/ui.md) ---------------------------------------------------------

# Catalogues live in <app>/locale/fr/LC_MESSAGES/django.po (committed); the .mo files are
# built here and git-ignored. tests/registry/test_i18n.py fails on any string left out.
MESSAGES_ARGS := --locale=fr --no-obsolete --no-wrap --add-location=file \
	--ignore=tests --ignore=docs --ignore=var --ignore=staticfiles --ignore=node_modules
# compilemessages walks the whole tree: keep it out of a real .venv (site-packages).
COMPILE_ARGS := --ignore=.venv --ignore=.pgdata --ignore=var --ignore=staticfiles --ignore=node_modules

gettext:
	@if command -v msgfmt >/dev/null; then \
		echo "==> gettext: msgfmt present"; \
	elif [ "$$(id -u)" = 0 ]; then \
		echo "==> gettext: msgfmt missing, installing Debian's gettext (apt-get)"; \
		apt-get update -qq || { echo "!! gettext: apt-get update failed"; exit 1; }; \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gettext >/dev/null \
			|| { echo "!! gettext: apt-get install gettext failed"; exit 1; }; \
		command -v msgfmt >/dev/null || { echo "!! gettext: installed but msgfmt is missing"; exit 1; }; \
		echo "==> gettext: installed $$(msgfmt --version | head -1)"; \
	else \
		echo "!! gettext: msgfmt is missing and this is not root, so it cannot be installed here."; \
		echo "!!          Ask for 'sudo apt-get install gettext' (translations cannot be compiled)."; \
		exit 1; \
	fi

messages: venv gettext
	@echo "==> messages: updating <app>/locale/fr/LC_MESSAGES/django.po from the sources"
	@$(PY) manage.py makemessages $(MESSAGES_ARGS) || { echo "!! messages: makemessages failed"; exit 1; }
	@echo "==> messages: now fill every empty msgstr \"\" and remove each '#, fuzzy' flag (docs/ui.md)"

# compilemessages reads no database: without DATABASE_URL, a placeholder keeps the settings
# from starting the embedded PostgreSQL (make bench would leave it running for nothing).
compilemessages: venv gettext
	@echo "==> compilemessages: compiling the catalogues (.po -> .mo)"
	@DATABASE_URL="$${DATABASE_URL:-postgres://unused@127.0.0.1:1/unused}" \
		$(PY) manage.py compilemessages $(COMPILE_ARGS) >/dev/null \
		|| { echo "!! compilemessages failed (run it without >/dev/null to see why)"; exit 1; }

# --- database ------------------------------------------------------------------------

db: venv
	@if [ -n "$${DATABASE_URL:-}" ]; then \
		echo "==> db: DATABASE_URL is set, using it (embedded PostgreSQL not started)"; \
	else \
		echo "==> db: ensuring the embedded PostgreSQL in .pgdata/ is running"; \
		url=$$($(PY) -m registry.devdb url) || { echo "!! db: embedded PostgreSQL failed to start (see .pgdata/data/log)"; exit 1; }; \
		echo "==> db: ready at $$url"; \
	fi

# Migrations run as the owner; the application role is then granted DML only (registry/dbroles.py).
migrate: venv db
	@echo "==> migrate: applying migrations (as the owner)"
	@$(PY) manage.py migrate --noinput || { echo "!! migrate failed"; exit 1; }
	@$(PY) manage.py db_roles --role $(APP_ROLE) --login || { echo "!! migrate: db_roles failed"; exit 1; }

clean-db:
	@if [ -x $(PY) ] && [ -d .pgdata ]; then \
		echo "==> clean-db: stopping the embedded PostgreSQL"; \
		$(PY) -m registry.devdb stop || { echo "!! clean-db: could not stop the server"; exit 1; }; \
	fi
	@echo "==> clean-db: removing .pgdata/"
	@rm -rf .pgdata
	@echo "==> clean-db: done (next 'make db' starts from an empty cluster)"

# --- run, test, bench, lint ---------------------------------------------------------

# Served as the application role, like production: no DDL, the audit read-only.
run: venv db migrate compilemessages
	@echo "==> run: loading demo data (seed_demo, as $(APP_ROLE))"
	@REGISTRY_DB_USER=$(APP_ROLE) $(PY) manage.py seed_demo || { echo "!! run: seed_demo failed"; exit 1; }
	@echo "==> run: http://$(HOST_PORT)/  (Ctrl-C stops the web server; the database keeps running)"
	@REGISTRY_DB_USER=$(APP_ROLE) $(PY) manage.py runserver $(HOST_PORT)

# The gates a green test run can hide come first: lint, types, migrations in step.
test: venv browser compilemessages check
	@echo "==> test: $(PY) -m pytest $(PYTEST_ARGS)"
	@$(PY) -m pytest $(PYTEST_ARGS) || { rc=$$?; echo "!! test: pytest failed (exit $$rc)"; exit $$rc; }
	@echo "==> test: passed"

# The slow parts of the security and reliability checks (docs/security.md); CI runs it
# after make test. The backup drill and the fuzzing use pytest's own test database; the
# restart drill a private throwaway cluster; audit_verify the database of DATABASE_URL.
security: venv compilemessages db
	@echo "==> security: crash-restart and backup/restore drills, check --deploy (pytest -m security)"
	@start=$$SECONDS; timeout $(SECURITY_STEP_TIMEOUT) $(PY) -m pytest -m security $(PYTEST_ARGS) \
		|| { rc=$$?; echo "!! security: drills failed (exit $$rc)"; exit $$rc; }; \
		echo "==> security: drills passed in $$((SECONDS - start)) s"
	@echo "==> security: API fuzzing, $(FUZZ_EXAMPLES) examples per operation and role"
	@start=$$SECONDS; REGISTRY_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) timeout $(SECURITY_STEP_TIMEOUT) \
		$(PY) -m pytest tests/api/test_fuzz.py \
		|| { rc=$$?; echo "!! security: fuzzing failed (exit $$rc)"; exit $$rc; }; \
		echo "==> security: fuzzing passed in $$((SECONDS - start)) s"
	@echo "==> security: audit_verify on DATABASE_URL's database (migrated first)"
	@$(PY) manage.py migrate --noinput >/dev/null || { echo "!! security: migrate failed"; exit 1; }
	@$(PY) manage.py audit_verify || { echo "!! security: the audit trail does not verify"; exit 1; }
	@echo "==> security: passed"

backup: venv db
	@echo "==> backup: pg_dump of DATABASE_URL's database into $(BACKUP_DIR)/"
	@$(PY) -m registry.backup dump --dir $(BACKUP_DIR) || { echo "!! backup failed"; exit 1; }

restore: venv db
	@[ -n "$(FILE)" ] && [ -n "$(INTO)" ] || { \
		echo "!! restore: give FILE=$(BACKUP_DIR)/<name>.dump and INTO=<database> (FORCE=1 replaces a non-empty one)"; \
		exit 1; }
	@$(PY) -m registry.backup restore "$(FILE)" --into "$(INTO)" $(if $(FORCE),--force) \
		|| { echo "!! restore failed: nothing was restored"; exit 1; }

bench: venv compilemessages
	@echo "==> bench: $(PY) -m benchmarks $(BENCH_ARGS) (BENCH_CASES=$${BENCH_CASES:-100000}; results in bench/results.json)"
	@$(PY) -m benchmarks $(BENCH_ARGS) || { rc=$$?; echo "!! bench: failed (exit $$rc)"; exit $$rc; }

lint: venv
	@echo "==> lint: ruff check, ruff format --check, mypy"
	@$(PY) -m ruff check . || { echo "!! lint: ruff found problems"; exit 1; }
	@$(PY) -m ruff format --check --quiet . || { echo "!! lint: run 'ruff format .'"; exit 1; }
	@$(PY) -m mypy || { echo "!! lint: mypy found problems (pyproject.toml [tool.mypy])"; exit 1; }
	@echo "==> lint: clean"

# lint, and no model change without its migration.
check: lint db
	@$(PY) manage.py makemigrations --check --dry-run >/dev/null \
		|| { echo "!! check: models changed without a migration: run manage.py makemigrations"; exit 1; }
	@echo "==> check: migrations in step with the models"
