# The two commands of the README: `make run` (set up, build the index if needed, start the app) and
# `make test` (set up, run the whole test suite). `make install` only sets up .venv/.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8501

.PHONY: install run test index lint bench clean-index browser ocr screenshots reader

install: $(STAMP)

# torch first, pinned: an unpinned torch (pulled in by sentence-transformers) would fetch gigabytes of CUDA.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip
	$(BIN)/python -m pip install torch==2.13.0
	$(BIN)/python -m pip install -e ".[dev,scale]"
	touch $(STAMP)

index: install
	$(BIN)/assistant index documents

run: install ocr
	$(BIN)/streamlit run app.py --server.port $(PORT)

test: install browser ocr
	$(BIN)/ruff check assistant tests bench training app.py app_pages
	$(BIN)/lint-imports
	$(BIN)/python -m pytest

# Debian packages the product or its tests use, installed when missing (as root, or with passwordless sudo); if
# one cannot be installed, warn and go on (bin/need-debian says what then does not work):
# - Chromium for the real-browser test (tests/test_browser.py drives /usr/bin/chromium with Playwright;
#   Playwright's own browser download is never used); without it that test skips and says why;
# - Tesseract, which reads scanned PDF pages (assistant/ingest/ocr.py); without it such pages are reported by name
#   and skipped, and the OCR tests skip and say why.
browser:
	@bash bin/need-debian /usr/bin/chromium "chromium chromium-driver" "the browser test will be skipped"

ocr:
	@bash bin/need-debian /usr/bin/tesseract "tesseract-ocr tesseract-ocr-eng" \
		"scanned PDF pages will be reported and skipped, not read"

# The screenshots committed in docs/app-screenshots/ (chat answer, abstention, Documents page, "Show on page" from
# Ask and from Citation lookup), taken by the browser tests; without ASSISTANT_SCREENSHOT_DIR they go to the
# git-ignored screenshots/ instead.
screenshots: install browser
	ASSISTANT_SCREENSHOT_DIR=docs/app-screenshots $(BIN)/python -m pytest -q tests/test_browser.py \
		tests/test_page_view_browser.py

bench: install
	$(BIN)/python bench/bench_core.py

clean-index:
	rm -rf index/build-* index/CURRENT

# The learned reader (assistant/reader/model/): retrained from the shipped MiniLM weights (4 layers), fixed seed,
# one torch thread (~33 min on a 2-core machine; SQuAD dev sets from ../shared/bench), exported int8, measured,
# model card written, then its highlight head fitted on the same training articles (~4 min). Beside it, on the
# other core, two readers on halves of the training articles for cross-fitting (~18 min each, one after the
# other). Then the learned ranker (assistant/query/ranker.json) is refitted on the product's candidates for the
# SQuAD training articles, each half read by the other half's reader (~15 min), and its three domain numbers are
# calibrated on the gold tuning halves. Offline; about 70 minutes in all.
READ := HF_HUB_OFFLINE=1 $(BIN)/python -m training.train_reader
reader: install
	{ $(READ) --results bench/results/reader_training.json && \
	  HF_HUB_OFFLINE=1 $(BIN)/python -m training.train_span_head --results bench/results/span_head.json; } & \
	main=$$!; \
	$(READ) --fold 0/2 --steps 700 --no-eval --out build/reader-fold0 --work build/reader-work0 && \
	$(READ) --fold 1/2 --steps 700 --no-eval --out build/reader-fold1 --work build/reader-work1; \
	folds=$$?; wait $$main && test $$folds -eq 0
	HF_HUB_OFFLINE=1 $(BIN)/python -m training.fit_ranker --fold-readers build/reader-fold0 build/reader-fold1 \
		--results bench/results/ranker_fit.json
	HF_HUB_OFFLINE=1 $(BIN)/python bench/calibrate_ranker.py
