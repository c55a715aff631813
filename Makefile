# supportbot: `make run` sets up and serves the embedded stack; `make test` runs every check.
# Both install the exact, hash-checked versions in requirements/ (see the README, "Installs").
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
UV := $(BIN)/uv
# The CPU build of torch comes from a local wheel folder if it has it, else PyTorch's CPU index;
# the lock pins torch==2.13.0+cpu with its hash, so a CUDA build can never be installed.
TORCH_WHEELS ?= /opt/wheels
TORCH := torch==2.13.0+cpu
TORCH_SOURCE := $(if $(wildcard $(TORCH_WHEELS)/torch-2.13.0+cpu-*.whl),--find-links $(TORCH_WHEELS),--extra-index-url https://download.pytorch.org/whl/cpu)
UV_INSTALL = $(UV) pip install --quiet --python $(BIN)/python $(TORCH_SOURCE)
# Every extra: what `make test` installs and `make lock` resolves together.
ALL_EXTRAS := dev,local,postgres,redis,report,train,bench
# The lock's target: CPython 3.11 on x86-64 Linux (what CI and the Dockerfile run).
LOCK_FLAGS := --generate-hashes --python-version 3.11 --python-platform x86_64-manylinux_2_28 \
	--find-links $(TORCH_WHEELS) --constraint requirements/torch.txt --quiet
# llama-cpp-python (the tests' OpenAI-compatible server) builds from source. On x86-64: a portable
# AVX2 build, not -march=native, whose AMX kernels segfault on q4_1 weights
# (ggml_backend_amx_mul_mat) on CPUs that have AMX.
LLAMA_CMAKE_ARGS ?= $(if $(filter x86_64,$(shell uname -m)),-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON)

ifeq ($(LATEST),1)
DEV_INSTALL = CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(UV_INSTALL) --upgrade -e '.[$(ALL_EXTRAS)]' '$(TORCH)'
else
DEV_INSTALL = CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(UV_INSTALL) --require-hashes -r requirements/dev.txt \
	&& $(UV_INSTALL) --no-deps -e .
endif
comma := ,

.PHONY: install install-dev run test test-latest lock lint typecheck node-test pytest \
	browser-deps mail-deps widget widget-deps gate clean

$(UV): requirements/uv.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements/uv.txt
	touch $@

# Runtime only: core dependencies plus the PostgreSQL and Redis clients (wheels; nothing compiles).
install: $(VENV)/.run-installed
$(VENV)/.run-installed: requirements/run.txt pyproject.toml $(UV)
	$(UV_INSTALL) --require-hashes -r requirements/run.txt
	$(UV_INSTALL) --no-deps -e .
	touch $@

# Everything the checks need: every extra, llama.cpp's server included (built once, then cached).
install-dev: $(VENV)/.dev-installed
$(VENV)/.dev-installed: requirements/dev.txt pyproject.toml $(UV)
	$(DEV_INSTALL)
	touch $@

# The demo shop: its sample announcement and its signed-in demo customer (never in production).
run: install
	$(BIN)/supportbot ingest
	$(BIN)/supportbot announce --demo
	SUPPORTBOT_IDENTITY__DEMO=true $(BIN)/supportbot serve

# Re-resolve every lock to the newest releases; run `make test` before committing the result.
lock: $(UV)
	$(UV) pip compile pyproject.toml --extra $(subst $(comma), --extra ,$(ALL_EXTRAS)) --upgrade \
		$(LOCK_FLAGS) -o requirements/dev.txt
	$(UV) pip compile pyproject.toml --extra postgres --extra redis --upgrade \
		$(LOCK_FLAGS) --constraint requirements/dev.txt -o requirements/run.txt
	echo uv | $(UV) pip compile - --upgrade --generate-hashes --python-version 3.11 --quiet \
		--no-header -o requirements/uv.txt

lint: install-dev
	$(BIN)/ruff check bot retrieval escalation evals tests benchmarks
	$(BIN)/lint-imports --no-cache

typecheck: install-dev
	$(BIN)/mypy

# Debian's Chromium drives the browser tests (never a downloaded browser).
browser-deps:
	@command -v chromium >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null)
	npm ci --prefix tests/browser --no-audit --no-fund --silent

# esbuild (exact version in web_widget/package-lock.json) bundles the widget into the committed
# web_widget/dist/widget.js; run `make widget` after editing web_widget/ (a test checks it).
widget-deps:
	npm ci --prefix web_widget --no-audit --no-fund --silent

widget: widget-deps
	node web_widget/build.mjs

# Debian's Dovecot is the real IMAP server the email channel's tests deliver to (never started as
# a system service: each test runs its own on a free port).
mail-deps:
	@command -v /usr/sbin/dovecot >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dovecot-imapd >/dev/null)

# The widget's and the staff pages' pure modules, with Node's own test runner.
node-test:
	node --test web_widget/test/ bot/web/static/test/

pytest: install-dev browser-deps mail-deps widget-deps
	$(BIN)/python -m pytest

# The quality gate: golden-set evals on the embedded stack against evals/thresholds.toml.
gate: install-dev
	OMP_NUM_THREADS=1 $(BIN)/supportbot eval gate

test: lint typecheck node-test pytest gate

# The same checks against the newest release of every dependency (torch stays the CPU 2.13.0),
# in its own .venv-latest: how an upgrade is tried before `make lock` makes it the default.
test-latest:
	rm -f .venv-latest/.dev-installed
	$(MAKE) test VENV=.venv-latest LATEST=1

clean:
	rm -rf $(VENV) .venv-latest data .pytest_cache .mypy_cache .ruff_cache
