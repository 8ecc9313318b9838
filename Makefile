# smkit — the two commands that matter: `make demo` and `make test`.
# Everything is installed from nothing: a virtualenv in .venv, and (as root, via apt-get) the
# Debian packages influxdb and mosquitto whose servers the tests start on free loopback ports, and
# chromium, in which the tests render the readiness report.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
APT_PACKAGES := influxdb mosquitto chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: demo test bench lint servers clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

## Install influxd, mosquitto and chromium (readiness reports in a browser) from Debian when missing.
servers:
	@if ! command -v influxd >/dev/null || ! [ -x /usr/sbin/mosquitto ] || ! command -v chromium >/dev/null; then \
		echo "installing $(APT_PACKAGES) with apt-get"; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $(APT_PACKAGES) >/dev/null; \
	fi

## Run every test against real servers, a pytest-xdist worker per core; each worker starts and
## stops its own servers on free ports.
test: $(STAMP) servers
	$(PY) -m pytest -n auto

## Run the benchmarks; each prints its figure next to baselines measured in the same run.
bench: $(STAMP) servers
	@command -v wrk >/dev/null || $(SUDO) apt-get install -y -qq --no-install-recommends wrk >/dev/null
	@command -v npm >/dev/null || $(SUDO) apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
	$(PY) benchmarks/historian_write.py
	$(PY) benchmarks/simulator_model.py
	$(PY) benchmarks/simulator_serving.py
	$(PY) benchmarks/opcua_ingest.py --items 5000 --interval-ms 250
	$(PY) benchmarks/opcua_ingest.py --items 20000 --interval-ms 1000
	$(PY) benchmarks/mqtt_ingest.py
	$(PY) benchmarks/shared_collectors.py
	$(PY) benchmarks/oee_engine.py
	$(PY) benchmarks/readiness_portfolio.py
	$(PY) benchmarks/scenarios_truth.py
	$(PY) benchmarks/oee_report.py
	$(PY) benchmarks/api_load.py
	$(PY) benchmarks/board_refresh.py
	$(PY) benchmarks/collector_oee.py
	$(PY) benchmarks/soak.py

lint: $(STAMP)
	$(VENV)/bin/ruff check smkit tests benchmarks examples
	$(VENV)/bin/ruff format --check smkit tests benchmarks examples
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

## Set up and run the demo on the embedded default (SQLite); it ends serving the pages until
## Ctrl-C (`make demo EXIT=1` checks they answer and stops).
demo: $(STAMP)
	$(PY) -m smkit.demo $(if $(EXIT),--exit)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
