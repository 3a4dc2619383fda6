# Two commands on a fresh machine (see README):
#   make demo   — install pinned dependencies into .venv and run `latsar demo`
#   make test   — install pinned dependencies (+ test tools) and run the test suite
#   make check  — the quick part of the tests (no browser, hub, PostgreSQL or slow tests)
# Debian's /usr/bin/python3.11 when present: unlike a pyenv build under /root, every OS
# user can run it — the hub's participant accounts and the grading sandbox's user.
PYTHON ?= $(firstword $(wildcard /usr/bin/python3.11) python3.11)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test check install system hub clean

$(STAMP): requirements.lock pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "Butuh $(PYTHON) (Python 3.11)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

# JupyterHub's proxy and the lesson extension's build tools, pinned in package-lock.json.
PROXY := node_modules/.bin/configurable-http-proxy
$(PROXY): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $(PROXY)

# The lesson extension (labextension/): a lesson runs its cells when it opens and hides its code.
# Built with jupyter-builder (PyPI) and @jupyter/builder (npm, pinned in package-lock.json).
LESSON := latsar/hub/deploy/jupyter/common/labextensions/@latsar/lesson/package.json
$(LESSON): $(STAMP) $(PROXY) $(wildcard labextension/package.json labextension/src/* labextension/style/*)
	$(BIN)/jupyter-builder build labextension
	touch $(LESSON)

install: $(STAMP) $(PROXY) $(LESSON)

# Commands find the proxy in the course folder's node_modules, else on PATH: a course copied
# elsewhere (tests, benchmarks) finds this checkout's.
export PATH := $(CURDIR)/node_modules/.bin:$(PATH)

# Debian packages for the browser and PostgreSQL tests (installed when run as root).
system:
	bash scripts/system-deps.sh

demo: $(STAMP)
	$(BIN)/latsar demo --course .

# Try the course on a local JupyterHub (see README, "JupyterHub").
hub: $(STAMP) $(PROXY) $(LESSON)
	$(BIN)/latsar hub --course .

test: system $(STAMP) $(PROXY) $(LESSON)
	$(BIN)/python -m pytest -n 2 --dist loadfile --durations=15 tests

# The quick part, for the edit-test loop (under 3 minutes): no browser, hub, PostgreSQL or slow tests.
check: $(STAMP)
	$(BIN)/python -m pytest -n 2 --dist loadfile -m "not e2e and not hub and not pg and not slow" tests

clean:
	rm -rf submitted autograded/* feedback gradebook.db release/* export formulir
