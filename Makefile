# The two commands of the README work on a machine with only Python 3.11 and make.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PARAMS := params

.PHONY: help venv reports test test-fast lab lock docs clean

help:
	@echo "make reports  - set up .venv from requirements.lock and regenerate every report under $(PARAMS)/"
	@echo "make test     - same set-up, then the whole test suite"
	@echo "make lab      - open the master notebook in JupyterLab"

$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	@touch $(STAMP)

venv: $(STAMP)

reports: $(STAMP)
	$(BIN)/kit batch $(PARAMS)

test: $(STAMP)
	$(BIN)/python -m pytest

test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not slow and not browser"

lab: $(STAMP)
	$(BIN)/jupyter lab notebooks/report.ipynb

# Regenerate the lock from pyproject's direct pins (run after changing a pin).
lock:
	rm -rf .venv-lock && $(PYTHON) -m venv .venv-lock
	.venv-lock/bin/python -m pip install --quiet -e ".[lab]" pytest==9.2.0 hypothesis==6.170.17 \
		selenium==4.51.0 beautifulsoup4==4.15.0 lxml==6.1.3
	{ echo "# Every package the kit installs, at its exact version (make lock regenerates it)."; \
	  .venv-lock/bin/python -m pip freeze --exclude-editable; } > requirements.lock
	rm -rf .venv-lock

clean:
	rm -rf $(VENV) output
