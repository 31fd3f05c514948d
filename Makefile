# Quick start: `make run` (baseline Monte Carlo) and `make test`.
# constraints.txt pins the versions the results and tests were checked with (same seed, same bits).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Two stamps: `make run` installs what `evacsim run` needs (the core); `make test` adds every extra
# (dask, plan, discover, serve) and the test extra (pytest, hypothesis, ruff, mypy, import-linter, Playwright).
RUNTIME := $(VENV)/.runtime
STAMP := $(VENV)/.installed

.PHONY: run test test-slow lint bench clean

$(RUNTIME): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e . -c constraints.txt
	touch $(RUNTIME)

$(STAMP): $(RUNTIME)
	$(BIN)/pip install --quiet -e '.[all,test]' -c constraints.txt
	touch $(STAMP)

run: $(RUNTIME)
	$(BIN)/evacsim run scenarios/qasrak_baseline.toml

# The what-if page (docs/SERVE.md): its packages (the serve extra), then the page on 127.0.0.1 with a token.
SERVE := $(VENV)/.serve
$(SERVE): $(RUNTIME)
	$(BIN)/pip install --quiet -e '.[serve]' -c constraints.txt
	touch $(SERVE)

.PHONY: serve
serve: $(SERVE)
	$(BIN)/evacsim serve scenarios/qasrak_baseline.toml

test: $(STAMP)
	$(BIN)/ruff check sim tests
	$(BIN)/ruff format --check sim tests
	$(BIN)/mypy sim
	$(BIN)/lint-imports
	$(BIN)/pytest -n auto --dist loadfile -m "not slow"

# The statistical checks that take minutes each (marked slow), one process each core.
test-slow: $(STAMP)
	$(BIN)/pytest -n auto -m slow

lint: $(STAMP)
	$(BIN)/ruff check --fix sim tests
	$(BIN)/ruff format sim tests

# The harness lives in benchmarks/ (not in the installed package); `evacsim bench` imports it from this checkout.
# It times the Dask cluster too, so it installs every extra.
bench: $(STAMP)
	$(BIN)/evacsim bench

# evacsim sweep against EMA Workbench on the same replication function (EMA in a venv of its own, never a dependency).
EMA_VENV := .venv-ema
$(EMA_VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(EMA_VENV)
	$(EMA_VENV)/bin/pip install --quiet -e . ema_workbench -c constraints.txt
	touch $(EMA_VENV)/.installed

# make ema-compare PROCESSES=16 POINTS=8000: the same comparison on a bigger machine
PROCESSES ?= 2
POINTS ?= 1000
ROUNDS ?= 5
.PHONY: ema-compare
ema-compare: $(EMA_VENV)/.installed
	$(EMA_VENV)/bin/python benchmarks/ema_compare.py --points $(POINTS) --rounds $(ROUNDS) --processes $(PROCESSES)

clean:
	rm -rf $(VENV) $(EMA_VENV) .pytest_cache

.PHONY: readme-figures
readme-figures: $(RUNTIME)
	$(BIN)/python scripts/readme_figures.py
