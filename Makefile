# Thin by design: the benchmark list comes from the registry (one folder per benchmark), and
# each target is one line that calls a strict script. `make help` lists everything.
SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help
PYTHON ?= python3
export PYTHON

BENCHMARKS := $(shell PYTHONPATH=. $(PYTHON) -m harness names)
OTHER_NAMES := $(shell PYTHONPATH=. $(PYTHON) -m harness names --others)
VENV := .venv/bin/python

LOG_TARGETS := $(addprefix log_,$(BENCHMARKS))
PUBLISH_TARGETS := $(addprefix publish_log_,$(BENCHMARKS))
DATA_PUSH_TARGETS := $(addprefix data_push_,$(BENCHMARKS))
COMPLIANCE_TARGETS := $(addprefix compliance_,$(BENCHMARKS))

.PHONY: help all list summary report demo test bench venv log_all $(BENCHMARKS) $(OTHER_NAMES) $(LOG_TARGETS) $(PUBLISH_TARGETS) $(DATA_PUSH_TARGETS) $(COMPLIANCE_TARGETS)

help:
	@echo "usage: make <target> [SCENARIO=..] [N_COUNT=..] [DATA_TYPE=..] [DEVICE=..] [MODE=..]"
	@echo "benchmarks: $(BENCHMARKS)"
	@echo "  (other names that work as targets: $(OTHER_NAMES))"
	@echo "  make <benchmark>  build or reuse its environment, fetch and verify artifacts, run, score, verdict"
	@echo "  make all          every benchmark; goes on past a failure, exits non-zero at the end"
	@echo "  make demo         the whole pipeline on generated data and random weights (no accuracy claim)"
	@echo "  make test         the test suite        make bench    performance ratios (bench/)"
	@echo "  make list         benchmarks, aliases, artifacts    make summary   latest result per benchmark"
	@echo "                    (per scenario, mode and data type; FORMAT=csv|json, DEMO=1 shows demo runs)"
	@echo "  make report       one self-contained HTML page of every run: LOG_DIR/report.html (DEMO=1, DIFF=A,B)"
	@echo "  make log_<name>   pull its verified log from the DVC remote mlperf-data (make log_all: every one)"
	@echo "  make publish_log_<name> RUN=<run dir> [FORCE=1]   publish a passing run as the verified log"
	@echo "  make data_push_<name>   seed the DVC remote with verified artifacts (then DATA_SOURCE=dvc)"
	@echo "  make compliance_<name> TEST=TEST01|TEST04|TEST05|TEST06 (or COMPLIANCE=all) [DEMO=1]"
	@echo "                    v4.1 compliance tests: runs, upstream's checks, verify_*.txt, PASS/FAIL"
	@echo "  make submission SYSTEM=.. SUBMITTER=.. [DIVISION=closed|open] [RUNS=..] [DEMO=1] [SUBMISSION_CHECKER=..]"
	@echo "                    export runs into the v4.1 submission tree (OUT, default submission/)"

$(BENCHMARKS) $(OTHER_NAMES): %:
	bash scripts/build_env.sh $* && bash scripts/eval.sh $*

all:
	bash scripts/run_all.sh $(BENCHMARKS)

$(LOG_TARGETS): log_%:
	bash scripts/dvc.sh log-pull $*

log_all:
	bash scripts/dvc.sh log-pull-all

$(PUBLISH_TARGETS): publish_log_%:
	bash scripts/dvc.sh publish $*

$(DATA_PUSH_TARGETS): data_push_%:
	bash scripts/dvc.sh data-push $*

$(COMPLIANCE_TARGETS): compliance_%:
	bash scripts/build_env.sh $* && bash scripts/compliance.sh $*

list summary:
	PYTHONPATH=. $(PYTHON) -m harness $@

.PHONY: submission
# SYSTEM, SUBMITTER, DIVISION, RUNS, DEMO, SUBMISSION_CHECKER and OUT reach it through the environment.
submission:
	PYTHONPATH=. $(PYTHON) -m harness submission

# FORMAT, DEMO and DIFF reach it through the environment; plots need matplotlib, so it runs in .venv.
report: venv
	PYTHONPATH=. $(VENV) -m harness report

venv:
	bash scripts/build_dev_env.sh

demo: venv
	bash scripts/build_env.sh resnet && bash scripts/demo.sh resnet

test: venv
	$(VENV) -m pytest $(PYTEST_ARGS)

bench: venv
	bash bench/run_all.sh
