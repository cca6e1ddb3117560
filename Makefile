# cruce: `make demo` runs the main job on the embedded default store; `make test` runs all tests.
# Both create .venv when missing and install what they need.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test check lint typecheck sysdeps python-version clean

demo: $(VENV)/.installed-run
	$(BIN)/cruce demo

test: $(VENV)/.installed-test
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy
	$(BIN)/pytest

# Hygiene: ruff and strict mypy over the package.
check: lint typecheck
lint: $(VENV)/.installed-test
	$(BIN)/ruff check src tests bench
typecheck: $(VENV)/.installed-test
	$(BIN)/mypy

# followthemoney pulls in PyICU, which compiles against ICU: it needs pkg-config and libicu-dev.
sysdeps:
	@missing=""; \
	command -v pkg-config >/dev/null 2>&1 || missing="$$missing pkg-config"; \
	pkg-config --exists icu-uc 2>/dev/null || missing="$$missing libicu-dev"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing$$missing (PyICU, needed by followthemoney, builds against them)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	  else \
	    echo "missing$$missing: run 'sudo apt-get install -y pkg-config libicu-dev', then make again"; \
	    exit 1; \
	  fi; \
	fi

python-version:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' || \
	  { echo "cruce needs Python >= 3.11; set PYTHON=python3.11 (or newer)"; exit 1; }

$(BIN)/python: | python-version
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed-run: pyproject.toml | $(BIN)/python sysdeps
	$(BIN)/pip install -q -e '.[binary]'
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python sysdeps
	$(BIN)/pip install -q -e '.[binary,test]'
	touch $@ $(VENV)/.installed-run

clean:
	rm -rf $(VENV) demo-out bench/out .pytest_cache .mypy_cache .ruff_cache
