# The two promises: `make demo` and `make test` work on a fresh clone.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install demo test clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $(STAMP)

# the seed tutorial: its Theano snippets, then its Keras model trained, evaluated and saved
demo: $(STAMP)
	$(PY) build_tools/demo.py
	$(PY) build_tools/demo_keras.py

test: $(STAMP)
	$(PY) -m pytest -q -n 2 tests
	if command -v nvcc >/dev/null; then $(MAKE) check-cuda; fi

# CUDA codegen check without a GPU: nvcc-builds the CUDA modules of the op suite's
# kernels, the MLP steps and the fused expressions (build_tools/check_cuda.py)
.PHONY: check-cuda
check-cuda: $(STAMP)
	$(PY) build_tools/check_cuda.py

clean:
	rm -rf $(VENV) build *.egg-info

# Benchmarks against numpy, PyTensor and JAX (build_tools/bench.py). The bench extra is
# installed once, on top of the test install; BENCH_ARGS passes options, e.g.
# `make bench BENCH_ARGS="--only mlp --json mlp.json"`.
BENCH_STAMP := $(VENV)/.bench-installed
BENCH_ARGS ?=

.PHONY: bench bench-quick

$(BENCH_STAMP): $(STAMP) pyproject.toml
	$(PY) -m pip install -q -e '.[test,bench]'
	touch $(BENCH_STAMP)

bench: $(BENCH_STAMP)
	$(PY) build_tools/bench.py $(BENCH_ARGS)

bench-quick: $(BENCH_STAMP)
	$(PY) build_tools/bench.py --quick $(BENCH_ARGS)
