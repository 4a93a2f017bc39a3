# Two commands do all the set-up on a fresh machine:
#   make chat   index the bundled seed articles and open the chat (http://127.0.0.1:7860)
#   make test   install everything the tests need (incl. Debian's chromium) and run them
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: chat test lint bench install install-dev browser

chat: install
	$(BIN)/kabar ingest seeds
	$(BIN)/kabar serve

# The fast suite first, then the tests marked slow (local model, browser, wheel install).
# pytest exits 5 when a selection holds no test: that is not a failure; any other is.
test: install-dev browser lint
	$(BIN)/python -m pytest -m "not slow" || [ $$? -eq 5 ]
	$(BIN)/python -m pytest -m slow || [ $$? -eq 5 ]

lint: install-dev
	$(BIN)/ruff check rag tests bench && $(BIN)/ruff format --check rag tests bench
	$(BIN)/mypy

bench: install-dev
	$(BIN)/python bench/bench_core.py

install: $(VENV)/.core
install-dev: $(VENV)/.dev

$(VENV)/.core: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e .
	touch $@

# torch first, pinned: the CPU wheel (an unpinned torch pulls a multi-GB CUDA build)
$(VENV)/.dev: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e '.[dev]'
	touch $@ $(VENV)/.core

# The browser tests drive Debian's chromium (Playwright cannot download its own here).
browser:
	@command -v chromium >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium; \
	  else sudo apt-get update -qq && sudo apt-get install -y -qq chromium; fi; }
