# E-Workforce Academy: `make run` serves the platform, `make test` runs the tests.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
# `make run PORT=5001`: in development the base URL (cmi5 launch URLs, learners' xAPI
# identities) follows the port, through FLASK_RUN_PORT, which `flask run` reads too.
PORT ?= $(or $(FLASK_RUN_PORT),5000)
RUN_ENV := FLASK_RUN_PORT=$(PORT)
# The PostgreSQL server the second test run uses; each run creates and drops its own database.
PG_TEST_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/postgres
# A streaming replica of that server, for the read-replica tests (scripts/pg_replica.sh starts one).
PG_TEST_REPLICA_URL ?= postgresql+psycopg://postgres@127.0.0.1:5433/postgres
SARABUN := academy/static/vendor/sarabun/sarabun.css
CHARTJS := academy/static/vendor/chartjs/chart.umd.min.js
SWAGGER_UI := academy/static/vendor/swagger-ui/swagger-ui-bundle.js
PO_FILES := $(wildcard academy/translations/*/LC_MESSAGES/messages.po)
MO_FILES := $(PO_FILES:.po=.mo)

.PHONY: install system-packages run test test-sqlite test-postgres lint fmt translations-extract clean

install: system-packages $(VENV)/.installed $(SARABUN) $(CHARTJS) $(SWAGGER_UI) $(MO_FILES)

# The system packages the platform and its tests need (Pango, HarfBuzz's subsetter, Thai fonts,
# poppler, chromium, node): installed with apt when run as root, else the exact command to run.
system-packages:
	$(PYTHON) scripts/system_packages.py --install

$(VENV)/.installed: requirements.txt requirements-dev.txt | system-packages
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

# Sarabun, the government's standard Thai typeface, from the npm registry.
$(SARABUN): package.json package-lock.json $(VENV)/.installed
	npm ci --no-audit --no-fund --loglevel=error
	rm -rf academy/static/vendor/sarabun && mkdir -p academy/static/vendor/sarabun/files
	cp node_modules/@fontsource/sarabun/files/sarabun-*-[47]00-normal.woff* academy/static/vendor/sarabun/files/
	cat node_modules/@fontsource/sarabun/400.css node_modules/@fontsource/sarabun/700.css \
	  | $(BIN)/python scripts/keep_font_faces.py academy/static/vendor/sarabun/files > $@

# Chart.js, for the charts of the portal, from the npm registry.
$(CHARTJS): $(SARABUN)
	mkdir -p academy/static/vendor/chartjs
	cp node_modules/chart.js/dist/chart.umd.min.js $@

# Swagger UI, for the REST API's documentation page (/api/docs), from the npm registry.
$(SWAGGER_UI): $(SARABUN)
	rm -rf academy/static/vendor/swagger-ui && mkdir -p academy/static/vendor/swagger-ui
	cp node_modules/swagger-ui-dist/swagger-ui.css node_modules/swagger-ui-dist/LICENSE academy/static/vendor/swagger-ui/
	cp node_modules/swagger-ui-dist/swagger-ui-bundle.js $@

%.mo: %.po $(VENV)/.installed
	$(BIN)/pybabel compile --use-fuzzy -i $< -o $@

# The local ThaID test provider `make run` starts (node-oidc-provider on loopback, the demo people as
# its accounts; README, "Signing in with ThaID"), unless ACADEMY_OIDC_PROVIDERS names real providers.
OIDC_PORT ?= 5010
DEV_OIDC_CONFIG := instance/dev_oidc_provider.json
DEV_OIDC_ENV := ACADEMY_OIDC_PROVIDERS=thaid ACADEMY_OIDC_THAID_ISSUER=http://127.0.0.1:$(OIDC_PORT) \
  ACADEMY_OIDC_THAID_CLIENT_ID=academy-dev ACADEMY_OIDC_THAID_CLIENT_SECRET=academy-dev-not-secret \
  ACADEMY_OIDC_THAID_TOKEN_HEADERS="x-imauth-apikey: academy-dev-api-key"

# One Celery worker with beat embedded (-B) runs beside the web server, on the embedded broker
# (a SQLite file in instance/, README "Background jobs"), whose queues are declared before either
# starts (two processes declaring them at once collide); it stops when the server stops. In
# development, unless providers are configured, the local ThaID provider runs beside them too.
WORKER := $(BIN)/celery -A jobs.worker:celery_app worker -B --concurrency 1 --loglevel WARNING

run: install
	$(FLASK) db upgrade
	$(RUN_ENV) $(FLASK) academy demo --if-empty
	$(FLASK) academy jobs-declare-queues
ifeq ($(strip $(ACADEMY_OIDC_PROVIDERS)),)
	$(RUN_ENV) $(FLASK) academy dev-oidc-provider $(DEV_OIDC_CONFIG) --port $(OIDC_PORT)
	node scripts/dev_oidc_provider.mjs $(DEV_OIDC_CONFIG) 2>/dev/null & provider=$$!; \
	  $(RUN_ENV) $(WORKER) & worker=$$!; \
	  trap 'kill $$provider $$worker 2>/dev/null; wait $$worker' EXIT INT TERM; \
	  $(RUN_ENV) $(DEV_OIDC_ENV) $(FLASK) run --host 127.0.0.1
else
	$(RUN_ENV) $(WORKER) & worker=$$!; \
	  trap 'kill $$worker 2>/dev/null; wait $$worker' EXIT INT TERM; \
	  $(RUN_ENV) $(FLASK) run --host 127.0.0.1
endif

test: test-sqlite test-postgres

test-sqlite: install
	$(BIN)/python -m pytest

# Runs when PostgreSQL answers; under CI it must (.ci/run starts it).
test-postgres: install
	@if $(BIN)/python scripts/pg_ready.py "$(PG_TEST_URL)"; then \
	  if $(BIN)/python scripts/pg_ready.py "$(PG_TEST_REPLICA_URL)"; then export ACADEMY_TEST_REPLICA_URL="$(PG_TEST_REPLICA_URL)"; fi; \
	  ACADEMY_TEST_DATABASE_URL="$(PG_TEST_URL)" $(BIN)/python -m pytest; \
	elif [ "$${CI:-}" = "true" ]; then \
	  echo "PostgreSQL at $(PG_TEST_URL) does not answer, and CI needs it"; exit 1; \
	else \
	  echo "PostgreSQL at $(PG_TEST_URL) does not answer: the PostgreSQL run is skipped (set PG_TEST_URL)"; \
	fi

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy  # the packages pyproject.toml lists

fmt: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

translations-extract: install
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o academy/translations/messages.pot .
	$(BIN)/pybabel update -i academy/translations/messages.pot -d academy/translations --no-fuzzy-matching

clean:
	rm -rf $(VENV) node_modules academy/static/vendor $(MO_FILES)
