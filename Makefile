# One entry point for people and CI. Each target sets up what it needs first.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
# Python's compiled bytecode goes to one cache outside the tree, even where the
# environment asks for none beside the sources: every build and test run starts faster.
CACHE_DIR ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/llm-field-manual-ch11
export PYTHONPYCACHEPREFIX := $(CACHE_DIR)/pycache
export PYTHONDONTWRITEBYTECODE :=

.PHONY: serve site test check bench bench-sw clean system-deps

serve: $(VENV)/.installed node_modules/.installed
	$(PY) build.py --serve --port $(PORT)

site: $(VENV)/.installed node_modules/.installed
	$(PY) build.py $(BUILD_ARGS)

# One test process per core (pytest-xdist), each with its own Chromium; a test file
# stays in one process, so a module's shared pages and fixtures are made once.
test: $(VENV)/.installed node_modules/.installed system-deps
	$(PY) -m pytest -n auto --dist loadfile

# The fast tests (units, a few builds, no browser, nothing slow): under half a minute.
check: $(VENV)/.installed node_modules/.installed
	$(PY) -m pytest -q -m "not browser and not slow"

# Our page against a PyScript peer in headless Chromium, plus Lighthouse and build time:
# prints medians and PASS/FAIL budgets, writes bench-results.json (BENCH_ARGS=--runs 7 …).
bench: $(VENV)/.installed node_modules/.installed system-deps
	$(PY) tests/bench/run.py $(BENCH_ARGS)

# What the offline service worker costs in memory, in a Chromium with no DevTools
# attached (our page with and without it; nothing of the peer): prints the medians.
bench-sw: $(VENV)/.installed node_modules/.installed system-deps
	$(PY) tests/bench/sw_cost.py $(BENCH_SW_ARGS)

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

# Debian's chromium for the browser tests and a JRE for the Nu HTML Checker.
system-deps:
	@missing=""; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	command -v java >/dev/null 2>&1 || missing="$$missing default-jre-headless"; \
	if [ -n "$$missing" ]; then \
	  echo "Installing from Debian:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

clean:
	rm -rf _site .build-* .cache .hypothesis test-artifacts bench-results.json sw-cost.json $(VENV) node_modules $(CACHE_DIR)
