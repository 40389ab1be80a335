# Two commands do all set-up on a fresh machine: `make demo` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test test-fast check lint typecheck clean lock

UV_VERSION := 0.13.9

# The tested set: constraints.txt pins every package (`make lock` regenerates it), so a fresh
# machine installs what CI tested, not whatever the registry has today.
# Compiled to bytecode at install: where PYTHONDONTWRITEBYTECODE is set (this machine, CI)
# Python never writes .pyc files, so without them every process (the CLI, the embedded API,
# each drafting worker, each test's subprocess) compiled Prefect and its dependencies from
# source again, seconds of CPU each (~30 s once here). A .pyc older than its source is
# ignored, never wrong.
$(STAMP): pyproject.toml constraints.txt Makefile
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q uv==$(UV_VERSION)
	$(BIN)/uv pip install -q --python $(BIN)/python -c constraints.txt -e '.[dev]'
	$(BIN)/python -m compileall -q -j 0 $(VENV)/lib kehoach flows hierarchy >/dev/null
	touch $(STAMP)

# After changing a dependency in pyproject.toml: the newest versions it allows, pinned.
lock: $(STAMP)
	$(BIN)/uv pip compile -q pyproject.toml --extra dev --python-version 3.11 -o constraints.txt

demo: $(STAMP)
	$(BIN)/kehoach demo

lint: $(STAMP)
	$(BIN)/ruff check kehoach hierarchy flows tests templates bench
	$(BIN)/ruff format --check kehoach hierarchy flows tests templates bench

typecheck: $(STAMP)
	$(BIN)/mypy

check: lint typecheck

# Everything, as CI runs it (~4 min here): on both cores, a test file per worker at a time (a
# module's server or browser stays in one process).
test: check
	$(BIN)/pytest -q -n 2 --dist loadfile

# For everyday work (< 60 s here): lint, types, and the tests that need no server, no national
# data set, no LibreOffice and no browser, with a quarter of the fuzz examples.
test-fast: check
	KEHOACH_FUZZ_SCALE=0.25 $(BIN)/pytest -q -m "not slow" -n 2

clean:
	rm -rf $(VENV) out .pytest_cache .mypy_cache .ruff_cache
