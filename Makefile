# The README's two commands: `make run` and `make test`. Everything else supports them.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PORT ?= 8000
SITE_URL ?= http://127.0.0.1:$(PORT)
# Where `make run` keeps its state (SQLite database, file broker, media) and its .env;
# the system tests (tests/system) point both elsewhere to leave a developer's alone.
VAR_DIR ?= var
ENV_FILE ?= .env
export PORT SITE_URL VAR_DIR ENV_FILE
UV_VERSION := 0.13.9
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
export PATH := $(CURDIR)/$(BIN):$(PATH)

# The suite always runs on PostgreSQL and a real broker; override to point elsewhere.
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/giftshop
TEST_BROKER_URL ?= redis://127.0.0.1:6379/15
# The system stage (tests/system) starts the whole stack with `make run`: on PostgreSQL
# (database <TEST_DATABASE_URL's name>_system, recreated each run) with this Redis database
# as the broker, which it FLUSHES, so point it at one nothing else uses; then on SQLite.
# SYSTEM_PORT fixes the stack's port (default: any free one).
SYSTEM_BROKER_URL ?= redis://127.0.0.1:6379/13

.PHONY: help setup run test test-scale bench lint format messages regions check-deploy clean

help:
	@echo "make run     set up, migrate, seed demo data, start web + Celery worker + beat (PORT=$(PORT))"
	@echo "make test    the whole test suite on PostgreSQL"
	@echo "make bench   benchmarks (tests/perf), never part of make test"
	@echo "make test-scale  the cluster campaign with faults (tests/scale; deploy/cluster/README.md)"
	@echo "make lint    ruff, migrations check"

$(BIN)/uv:
	python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.synced: $(BIN)/uv pyproject.toml uv.lock
	$(BIN)/uv sync --frozen --inexact --quiet
	@touch $@

setup: $(VENV)/.synced $(ENV_FILE)

# A local .env with a fresh secret key, made once from the documented example.
$(ENV_FILE):
	@sed "s/^SECRET_KEY=.*/SECRET_KEY=$$(python3 -c 'import secrets; print(secrets.token_urlsafe(50))')/" .env.example > $@
	@echo "Created $@ from .env.example"

# PAYMENT_GATEWAY=wechatpay (or PAYMENT_METHODS naming it): the WeChat Pay emulator runs
# beside the shop on WECHATPAY_EMULATOR_PORT, its keys and the shop's WECHATPAY_* settings
# for it in $(VAR_DIR)/wechatpay (shop.env, which then wins over the environment).
WECHATPAY_EMULATOR_PORT ?= 8101
export WECHATPAY_EMULATOR_PORT
ifneq ($(findstring wechatpay,$(PAYMENT_GATEWAY) $(PAYMENT_METHODS)),)
EMULATOR_ENV = set -a && . $(VAR_DIR)/wechatpay/shop.env && set +a &&
WECHATPAY_PROCESS = wechatpay
endif

# The same for Alipay: its emulator on ALIPAY_EMULATOR_PORT, settings in $(VAR_DIR)/alipay.
ALIPAY_EMULATOR_PORT ?= 8110
export ALIPAY_EMULATOR_PORT
ifneq ($(findstring alipay,$(PAYMENT_GATEWAY) $(PAYMENT_METHODS)),)
EMULATOR_ENV += set -a && . $(VAR_DIR)/alipay/shop.env && set +a &&
ALIPAY_PROCESS = alipay
endif

run: setup
	@mkdir -p $(VAR_DIR)
ifneq ($(WECHATPAY_PROCESS),)
	$(PY) -m shop.emulators.wechatpay --keys-only --key-dir $(VAR_DIR)/wechatpay --port $(WECHATPAY_EMULATOR_PORT)
endif
ifneq ($(ALIPAY_PROCESS),)
	$(PY) -m shop.emulators.alipay --keys-only --keys-dir $(VAR_DIR)/alipay --port $(ALIPAY_EMULATOR_PORT)
endif
	$(EMULATOR_ENV) $(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput --verbosity 0
	@# The demo history is paid through the sandbox, whichever provider the shop offers.
	$(EMULATOR_ENV) PAYMENT_GATEWAY=sandbox $(PY) manage.py seed_demo
	@echo "Starting web on http://127.0.0.1:$(PORT) with a Celery worker and beat; Ctrl-C stops all."
	$(EMULATOR_ENV) $(BIN)/honcho --no-colour start --env $(ENV_FILE) --port $(PORT) --procfile Procfile web worker beat $(WECHATPAY_PROCESS) $(ALIPAY_PROCESS)

TEST_ENV = DATABASE_URL=$(TEST_DATABASE_URL) CELERY_BROKER_URL=$(TEST_BROKER_URL) SECRET_KEY=test-only-secret \
	DEBUG=0 SECURE_SSL_REDIRECT=0 CACHE_URL=locmemcache:// WEBHOOK_ALLOW_INSECURE=1 WEBHOOK_RETRY_BASE_SECONDS=1 \
	SYSTEM_BROKER_URL=$(SYSTEM_BROKER_URL)

# Two stages: the suite, then the system tests against `make run`'s stack (run even when the
# suite failed, so CI reports both). With PYTEST_ARGS, one pytest run of just what they name
# (PYTEST_ARGS=tests/system for the system stage alone).
test: $(VENV)/.synced
	@if command -v msgfmt >/dev/null; then DEBUG=1 $(PY) manage.py compilemessages --ignore=.venv -v 0; fi
ifeq ($(strip $(PYTEST_ARGS)),)
	@status=0; \
	echo "== Stage 1: the suite"; \
	$(TEST_ENV) $(BIN)/pytest --ignore=tests/perf --ignore=tests/system --ignore=tests/scale || status=$$?; \
	echo "== Stage 2: the system tests (make run's stack)"; \
	$(TEST_ENV) $(BIN)/pytest tests/system || status=$$?; \
	exit $$status
else
	$(TEST_ENV) $(BIN)/pytest --ignore=tests/perf --ignore=tests/scale $(PYTEST_ARGS)
endif

# Same servers as `make test`. The bench's test database is test_<name>_perf (see
# tests/perf/conftest.py), so it never drops a running `make test`'s; its broker and the
# HTTP bench's cache are Redis databases of their own (BENCH_BROKER_URL, default
# redis://127.0.0.1:6379/11; BENCH_CACHE_URL, default redis://127.0.0.1:6379/12), which the
# bench FLUSHES before and after: point them at ones nothing else uses.
# Figures are printed and written as JSON (and the HTTP chart as PNG) to tests/perf/results/.
bench: $(VENV)/.synced
	@if command -v msgfmt >/dev/null; then DEBUG=1 $(PY) manage.py compilemessages --ignore=.venv -v 0; fi
	DATABASE_URL=$(TEST_DATABASE_URL) CELERY_BROKER_URL=$(or $(BENCH_BROKER_URL),redis://127.0.0.1:6379/11) SECRET_KEY=test-only-secret \
		BENCH_CACHE_URL=$(or $(BENCH_CACHE_URL),redis://127.0.0.1:6379/12) \
		DEBUG=0 SECURE_SSL_REDIRECT=0 CACHE_URL=locmemcache:// \
		$(BIN)/pytest tests/perf -s -p no:cacheprovider $(PYTEST_ARGS)

# The cluster campaign (tests/scale): two web nodes behind HAProxy, a worker per queue on
# RabbitMQ (vhost giftshop_cluster, made anew), one beat, a streaming replica on 5433, the
# Redis cache (db 10, FLUSHED); the issue's sizes unless SCALE_GIFTS, SCALE_CLAIMS, … say
# otherwise. Prints a report and keeps it in the README.
test-scale: $(VENV)/.synced
	@if command -v msgfmt >/dev/null; then DEBUG=1 $(PY) manage.py compilemessages --ignore=.venv -v 0; fi
	DATABASE_URL=$(TEST_DATABASE_URL) CELERY_BROKER_URL=$(TEST_BROKER_URL) SECRET_KEY=test-only-secret \
		DEBUG=0 SECURE_SSL_REDIRECT=0 CACHE_URL=locmemcache:// \
		$(BIN)/pytest tests/scale -s -p no:cacheprovider $(PYTEST_ARGS)

lint: $(VENV)/.synced
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	DEBUG=1 $(PY) manage.py makemigrations --check --dry-run

format: $(VENV)/.synced
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Refresh the translation catalogues after changing strings, then translate and run again.
messages: $(VENV)/.synced
	DEBUG=1 $(PY) manage.py makemessages -l zh_Hans -l en --ignore=.venv --ignore=var --ignore=tests --no-obsolete
	DEBUG=1 $(PY) manage.py compilemessages --ignore=.venv

# The region picker's province → city → district list, from a kept npm package (the file
# is committed: the shop needs neither npm nor the network to run).
AREA_DATA_VERSION = 2.1.0
regions:
	tmp=$$(mktemp -d) && (cd $$tmp && npm pack --silent @vant/area-data@$(AREA_DATA_VERSION) >/dev/null && tar xzf *.tgz) \
		&& node shop/core/build_regions.js $$tmp/package > shop/core/static/shop/regions.json; status=$$?; rm -rf $$tmp; exit $$status

check-deploy: $(VENV)/.synced
	DEBUG=0 SECRET_KEY=$$(python3 -c 'import secrets; print(secrets.token_urlsafe(50))') \
		ALLOWED_HOSTS=shop.example.com $(PY) manage.py check --deploy --fail-level WARNING

clean:
	rm -rf $(VENV) var .pytest_cache
