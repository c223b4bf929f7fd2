# Two commands set everything up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3.11
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: run test bench lint format venv migrate demo clean-var idp messages db-stop
IDP := deploy/dev-idp

venv: $(STAMP)

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "need $(PYTHON) (Python 3.11)"; exit 1; }
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

## Start everything for a developer: embedded PostgreSQL (when DATABASE_URL is unset),
## migrations, the two demo regions, and the web server. Prints every URL it serves.
run: venv idp
	$(PY) manage.py devserver

## The development identity provider (Node): npm ci when its packages are missing. Without npm
## the SSO tests skip locally and fail in CI (CI=true).
idp:
	@if command -v npm >/dev/null 2>&1; then \
	  test -d $(IDP)/node_modules/oidc-provider || (cd $(IDP) && npm ci --no-audit --no-fund --loglevel=error); \
	elif [ "$$CI" = "true" ]; then echo "npm is required for deploy/dev-idp"; exit 1; \
	else echo "npm not found: the identity provider tests will be skipped"; fi

test: venv idp
	$(VENV)/bin/ruff check .
	$(PY) manage.py makemigrations --check --dry-run --settings=config.settings.test
	$(PY) -m pytest $(PYTEST_ARGS)

bench: venv
	$(PY) bench/run.py $(BENCH_ARGS)

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy .

format: venv
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

## Translations (ARCHITECTURE.md "Languages"): extract every msgid into locale/<lang>/LC_MESSAGES/
## django.po and djangojs.po, then compile the .mo files (both are committed). Needs GNU gettext
## (apt-get install gettext). Translate what is new or fuzzy in locale/en, then run it again.
MESSAGES_IGNORE := -i .venv -i var -i tests -i bench -i deploy -i node_modules -i locale
messages: venv
	$(PY) manage.py makemessages -l en -l ru --no-obsolete --add-location=file $(MESSAGES_IGNORE) --settings=config.settings.test
	$(PY) manage.py makemessages -d djangojs -l en -l ru --no-obsolete --add-location=file $(MESSAGES_IGNORE) --settings=config.settings.test
	$(PY) manage.py compilemessages -l en -l ru $(MESSAGES_IGNORE) --settings=config.settings.test

## The embedded PostgreSQL keeps running between commands (make run and make test reuse it);
## this stops it (fast shutdown). The next make run or make test starts it again.
db-stop:
	@if [ -f var/pgdata/postmaster.pid ] && kill -0 $$(head -1 var/pgdata/postmaster.pid) 2>/dev/null; then \
	  kill -INT $$(head -1 var/pgdata/postmaster.pid) && echo "embedded PostgreSQL stopped"; \
	else echo "embedded PostgreSQL is not running"; fi

clean-var:
	rm -rf var/
