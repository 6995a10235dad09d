# The two commands of the README: `make run` (set up, build the index if needed, start the app) and
# `make test` (set up, run the whole test suite). `make install` only sets up .venv/.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8501

.PHONY: install run test index lint bench clean-index

install: $(STAMP)

# torch first, pinned: an unpinned torch (pulled in by sentence-transformers) would fetch gigabytes of CUDA.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip
	$(BIN)/python -m pip install torch==2.13.0
	$(BIN)/python -m pip install -e ".[dev]"
	touch $(STAMP)

index: install
	$(BIN)/assistant index documents

run: install
	$(BIN)/streamlit run app.py --server.port $(PORT)

test: install
	$(BIN)/ruff check assistant tests bench app.py
	$(BIN)/python -m pytest

bench: install
	$(BIN)/python bench/bench_core.py

clean-index:
	rm -rf index/build-* index/CURRENT
