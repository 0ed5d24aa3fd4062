# rmt-dnn: `make book` builds the website, `make test` runs the whole test suite.
# Both create or update .venv from requirements/pins.txt first (pip only, Python >= 3.11), with the
# extras the book and the tests need: `pip install rmtlib` alone installs numpy, scipy and numba only.

PROFILE ?= paper
WORKERS ?= 1
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.rmtlib-installed
PINS := requirements/pins.txt
TOC ?= _toc.yml
JB_FLAGS ?= -W -n --keep-going
export RMTLIB_TOC := $(TOC)

.PHONY: help venv execute pages book test site-check reproduce clean

help:
	@echo "make book     execute notebooks/*.ipynb (PROFILE=$(PROFILE)) and build _build/html"
	@echo "make test     run the test suite (executes every notebook with the quick profile)"
	@echo "make venv     create or update .venv from $(PINS)"
	@echo "make clean    remove _build and book/results"
	@echo "TOC=file.yml  build (and test) the book with another table of contents"
	@echo "WORKERS=N     run the notebooks' sweeps on N local processes (the numbers do not change)"

# Reinstall only when the pins or the package metadata changed (or the venv is missing).
$(STAMP): pyproject.toml $(PINS)
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python >= 3.11 is required")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -c $(PINS) -e '.[compendium,book,test]'
	@touch $@

venv: $(STAMP)

# Execute every notebook present with papermill into book/results/ (reusing fresh results).
execute: $(STAMP)
	$(BIN)/rmtlib execute --profile $(PROFILE) --power --workers $(WORKERS)

pages: $(STAMP)
	$(BIN)/rmtlib pages

book: $(STAMP)
	$(BIN)/rmtlib execute --profile $(PROFILE) --power --workers $(WORKERS)
	$(BIN)/rmtlib pages
	$(BIN)/jupyter-book build . $(JB_FLAGS) --toc $(TOC)
	@echo "Book: $(CURDIR)/_build/html/index.html"

test: $(STAMP)
	$(BIN)/python -m pytest

# Only the headless-Chromium check of an already built site (used by .ci/run after `make book`).
site-check: $(STAMP)
	RMTLIB_SITE_BUILT=1 $(BIN)/python -m pytest tests/test_site.py

reproduce: $(STAMP)
	$(BIN)/rmtlib reproduce --profile $(PROFILE)

clean:
	rm -rf _build book/results book/reproduction.md book/benchmarks.md book/api.md
