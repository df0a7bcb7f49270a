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

.PHONY: demo test install benchmarks clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet "$(TORCH_SPEC)"
	$(PY) -m pip install --quiet -e ".[test,plot]"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(PY) -m sklearn_ecgmcg demo --out demo_output

test: $(STAMP)
	$(PY) -m pytest -n 2 --dist loadfile $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) demo_output .pytest_cache
