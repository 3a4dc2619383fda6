# Two commands on a fresh machine (see README):
#   make demo   — install pinned dependencies into .venv and run `latsar demo`
#   make test   — install pinned dependencies (+ test tools) and run the test suite
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test install clean

$(STAMP): requirements.lock pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "Butuh $(PYTHON) (Python 3.11)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	npm install --prefix .npm --no-audit --no-fund --silent configurable-http-proxy@5.3.0
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/latsar demo --course .

test: $(STAMP)
	$(BIN)/python -m pytest -n 2 tests

clean:
	rm -rf submitted autograded/* feedback gradebook.db release/* export
