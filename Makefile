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
	@echo "make lab      - open the master notebook in JupyterLab (PARAMS=params/<agency>/<year>.yaml: and that file)"

$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	@touch $(STAMP)

venv: $(STAMP)

reports: $(STAMP)
	$(BIN)/kit batch $(PARAMS)

# Lint and type-check first (settings in pyproject.toml), then the whole suite.
test: $(STAMP)
	$(BIN)/ruff check kit tests bench
	$(BIN)/mypy kit
	$(BIN)/python -m pytest

test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not slow and not browser"

# JupyterLab lives in an environment of its own: its dependencies make every
# `import nbformat` about a second slower, which kit run and kit batch don't pay.
LAB_STAMP := .venv-lab/.installed
$(LAB_STAMP): requirements-lab.lock pyproject.toml
	$(PYTHON) -m venv .venv-lab
	.venv-lab/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-lab.lock
	.venv-lab/bin/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	@touch $(LAB_STAMP)

# make lab [PARAMS=params/<agency>/<year>.yaml]: JupyterLab rooted at the project (its file browser
# shows params/ and notebooks/), the master notebook open and the parameter file beside it; the
# notebook reads that file ($$KIT_PARAMS) while its params_file is None. --allow-root only for root.
LAB_ARGS ?=
LAB_SPACES := $(CURDIR)/.venv-lab/workspaces
LAB_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root,)
lab: $(LAB_STAMP)
	.venv-lab/bin/python -m kit.lab $(PARAMS) > .venv-lab/workspace.json
	.venv-lab/bin/jupyter lab workspaces import --LabWorkspaceImportApp.workspaces_dir="$(LAB_SPACES)" .venv-lab/workspace.json
	KIT_PARAMS="$(if $(filter %.yaml %.yml,$(PARAMS)),$(PARAMS),)" .venv-lab/bin/jupyter lab $(LAB_ROOT) \
	  --ServerApp.root_dir="$(CURDIR)" --LabApp.workspaces_dir="$(LAB_SPACES)" \
	  --LabApp.default_url=/lab/workspaces/kit $(LAB_ARGS)

DEV := pytest==9.2.0 hypothesis==6.170.17 selenium==4.51.0 beautifulsoup4==4.15.0 lxml==6.1.3 psutil==7.2.2 \
       ruff==0.17.5 mypy==2.4.1 pandas-stubs==3.1.0.261029 types-PyYAML==6.0.12.20261122 \
       types-openpyxl==3.1.5.20261017 types-Pygments==2.21.0.20260819 lxml-stubs==0.5.1

# Regenerate both locks from pyproject's direct pins (run after changing a pin).
lock:
	rm -rf .venv-lock && $(PYTHON) -m venv .venv-lock
	.venv-lock/bin/python -m pip install --quiet -e ".[dask]" $(DEV)
	{ echo "# Every package kit run / kit batch / the tests install, at its exact version (make lock regenerates it)."; \
	  echo "# JupyterLab is not here: it slows every 'import nbformat' (see requirements-lab.lock, make lab)."; \
	  .venv-lock/bin/python -m pip freeze --exclude-editable; } > requirements.lock
	rm -rf .venv-lock && $(PYTHON) -m venv .venv-lock
	.venv-lock/bin/python -m pip install --quiet -e ".[lab]" $(DEV)
	{ echo "# The analyst's environment for 'make lab': requirements.lock plus JupyterLab (make lock regenerates it)."; \
	  .venv-lock/bin/python -m pip freeze --exclude-editable; } > requirements-lab.lock
	rm -rf .venv-lock

clean:
	rm -rf $(VENV) .venv-lab output
