# Two entry points for a fresh clone: `make demo` and `make test`.
# Each creates its own virtual environment in $(VENV) (once; safe to re-run),
# installs PyTorch first (TORCH_SPEC; the default takes this machine's CPU build),
# then the package with its extras.

PYTHON ?= python3
VENV ?= .venv
TORCH_SPEC ?= torch==2.13.0
PY := $(VENV)/bin/python
STAMP := $(VENV)/.sklearn_ecgmcg-installed
PYTEST_ARGS ?=

DOCS_STAMP := $(VENV)/.sklearn_ecgmcg-docs-installed

.PHONY: demo test docs install clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet "$(TORCH_SPEC)"
	$(PY) -m pip install --quiet -e ".[test,plot]"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(PY) -m sklearn_ecgmcg demo --out demo_output

# Two pytest workers on two cores: one torch/BLAS thread each, or they oversubscribe.
test: $(STAMP)
	OMP_NUM_THREADS=1 $(PY) -m pytest -n 2 --dist loadfile $(PYTEST_ARGS)

$(DOCS_STAMP): $(STAMP)
	$(PY) -m pip install --quiet -e ".[docs]"
	touch $(DOCS_STAMP)

# Sphinx with the gallery executed; any warning fails the build.
docs: $(DOCS_STAMP)
	rm -rf docs/_build docs/auto_examples docs/gen_modules docs/sg_execution_times.rst
	$(PY) -m sphinx -W --keep-going -b html docs docs/_build/html

clean:
	rm -rf $(VENV) demo_output .pytest_cache docs/_build docs/auto_examples docs/gen_modules docs/sg_execution_times.rst
