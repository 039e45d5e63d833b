# Vanishing Gradients: the course's front door.
#   make lab    create .venv if needed, install the course (what a learner uses), open
#               JupyterLab on notebooks/
#   make test   same set-up plus the development tools, then run the whole test suite

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# Two stamps: what a learner uses ([project.dependencies]) and, on top, the development
# extras (tests, lint, browser, PostgreSQL, JupyterHub, the site's MathJax). `make lab` needs
# only the first; the same .venv gets the second on the first `make test`.
STAMP  := $(VENV)/.installed-runtime
DEV    := $(VENV)/.installed-dev
PORT   ?= 8888
NB     ?=
# JupyterLab refuses to start as root unless told (containers, CI machines)
ROOTFLAG := $(if $(filter 0,$(shell id -u)),--allow-root)
# The course's matrices are small: one BLAS thread per kernel is as fast on a laptop and much
# faster on a shared machine or a crowded hub (threads of several kernels fight for the cores).
export OPENBLAS_NUM_THREADS ?= 1
export OMP_NUM_THREADS ?= 1
# Local kernels talk ZMQ over unix sockets in Jupyter's runtime directory, not TCP on
# 127.0.0.1: nothing on the network, and no "Kernel is running over TCP without encryption"
# warning from each kernel (ipykernel >= 7 prints it for every TCP kernel). The script prints
# --KernelManager.transport=ipc where that works (ZMQ has IPC, the socket paths are short
# enough), nothing elsewhere; `make lab KERNEL_IPC=` keeps TCP.
KERNEL_IPC = $$($(BIN)/python tools/kernel_transport.py)

.PHONY: lab formgrader test lint format release selfcheck bench clean-venv

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	@touch $(STAMP)

$(DEV): $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $(DEV)

lab: $(STAMP)
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/jupyter lab --notebook-dir=notebooks --port=$(PORT) $(KERNEL_IPC) $(ROOTFLAG)

# Instructors: JupyterLab at the repository root, where nbgrader finds the course
# configuration (Nbgrader -> Formgrader grades the written answers).
formgrader: $(STAMP)
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/jupyter lab --port=$(PORT) $(KERNEL_IPC) $(ROOTFLAG)

# Seeded results change with the BLAS kernel's rounding order, and learners' CPUs pick other
# kernels than this one: after the whole suite, the science tests (thresholds on trained or
# seeded results, the capstone's grading) run again under other OpenBLAS kernels. On
# OpenBLAS 0.3.x "Zen" selects the Haswell kernels, so these two plus the default cover
# Haswell, Zen, Sandybridge and the machine's own (SkylakeX on AVX-512 machines).
KERNELS ?= Haswell Sandybridge

# --dist loadscope: all tests of a module on one worker, so a module fixture that grades a
# batch or starts a server (the mistake corpus, the pipeline, PostgreSQL, Slurm) is built
# once, not once per worker.
test: $(DEV)
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/python -m pytest -n auto --dist loadscope
	@for k in $(KERNELS); do \
	  echo "== science tests and the capstone's grading under OPENBLAS_CORETYPE=$$k =="; \
	  OPENBLAS_CORETYPE=$$k PATH="$(abspath $(BIN)):$$PATH" $(BIN)/python -m pytest -n auto \
	    -m science -p no:cacheprovider -q --durations=5 || exit 1; \
	  OPENBLAS_CORETYPE=$$k MISTAKES_ONLY=09_gradient_doctor PATH="$(abspath $(BIN)):$$PATH" \
	    $(BIN)/python -m pytest tests/mistakes -p no:cacheprovider -q --durations=3 || exit 1; \
	done

lint: $(DEV)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(DEV)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

release: $(STAMP)
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/python -m grader release

selfcheck: $(STAMP)
	@test -n "$(NB)" || { echo "usage: make selfcheck NB=notebooks/00_backprop_refresher/00_backprop_refresher.ipynb"; exit 2; }
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/python -m grader selfcheck "$(NB)"

bench: $(DEV)
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/python bench/run.py

clean-venv:
	rm -rf $(VENV)

# --- publishing and deployment (docs/jupyterhub.md, docs/README-deploy.md) -------------------
#   make site                                   static HTML of the executed notebooks in site/
#   make nbgitpuller-link HUB=https://hub.example.org [REPO=https://github.com/ORG/vanishing-gradients]
.PHONY: site nbgitpuller-link

site: $(DEV)
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/python tools/build_site.py --out site

nbgitpuller-link:
	@test -n "$(HUB)" || { echo "usage: make nbgitpuller-link HUB=https://hub.example.org [REPO=<git URL>]"; exit 2; }
	@$(PYTHON) tools/links.py nbgitpuller --hub "$(HUB)" $(if $(REPO),--repo "$(REPO)")
