# supportbot: `make run` sets up and serves the embedded stack; `make test` runs every check.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# A CPU build of torch: a local wheel folder if present, else PyTorch's CPU index (never CUDA).
TORCH_WHEELS ?= /opt/wheels
TORCH_VERSION ?= 2.13.0
# llama-cpp-python (tests' OpenAI-compatible server) builds from source. On x86-64: a portable
# AVX2 build, not -march=native, whose AMX kernels segfault on q4_1 weights
# (ggml_backend_amx_mul_mat) on CPUs that have AMX.
LLAMA_CMAKE_ARGS ?= $(if $(filter x86_64,$(shell uname -m)),-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON)

.PHONY: install run test lint typecheck node-test pytest browser-deps gate clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	if ls $(TORCH_WHEELS)/torch-$(TORCH_VERSION)+cpu-*.whl >/dev/null 2>&1; then \
	  $(BIN)/python -m pip install --quiet $(TORCH_WHEELS)/torch-$(TORCH_VERSION)+cpu-*.whl; \
	else \
	  $(BIN)/python -m pip install --quiet torch==$(TORCH_VERSION) --extra-index-url https://download.pytorch.org/whl/cpu; \
	fi
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

run: install
	$(BIN)/supportbot ingest
	$(BIN)/supportbot serve

lint: install
	$(BIN)/ruff check bot retrieval escalation evals tests benchmarks

typecheck: install
	$(BIN)/mypy

# Debian's Chromium drives the browser tests (never a downloaded browser).
browser-deps:
	@command -v chromium >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null)
	npm ci --prefix tests/browser --no-audit --no-fund --silent

# The widget's pure modules, with Node's own test runner.
node-test:
	node --test web_widget/test/

pytest: install browser-deps
	$(BIN)/python -m pytest

# The quality gate: golden-set evals on the embedded stack against evals/thresholds.toml.
gate: install
	OMP_NUM_THREADS=1 $(BIN)/supportbot eval gate

test: lint typecheck node-test pytest gate

clean:
	rm -rf $(VENV) data .pytest_cache .mypy_cache .ruff_cache
