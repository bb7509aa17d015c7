# The two commands of the README: `make demo` (main job) and `make test` (every check).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint setup clean browser

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

demo: $(STAMP)
	$(BIN)/edigateway demo

# mypy checks src and tests ([tool.mypy] files; tests without the annotation rules).
# lint-imports checks the layer contracts in pyproject.toml ([tool.importlinter]); no cache
# (it takes a fraction of a second), so nothing is written into the checkout.
lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks tools
	$(BIN)/ruff format --check src tests benchmarks tools
	$(BIN)/mypy src tests
	$(BIN)/lint-imports --no-cache

# Browser tests drive Debian's Chromium; install it where we may (root with apt), else the
# browser tests skip with a message saying so.
browser:
	@command -v chromium >/dev/null 2>&1 || { command -v apt-get >/dev/null 2>&1 && \
	  [ "$$(id -u)" = 0 ] && { apt-get install -y -q chromium >/dev/null 2>&1 || \
	  { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q chromium >/dev/null 2>&1; }; }; } || \
	  echo "chromium could not be installed: the browser tests will be skipped"

# -n auto: pytest-xdist runs the tests on every core; each worker has its own PostgreSQL
# database, schemas and temporary folders (tests/conftest.py). Finding no tests still fails
# (pytest's exit 5).
test: lint browser
	$(BIN)/pytest -q -n auto

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
