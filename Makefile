# engagement: `make help` lists the targets.
.DEFAULT_GOAL := help
SHELL := /bin/bash

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
DEMO_RAW := data/raw/demo
DEMO := data/processed/demo
# Real public data beside the checkout (see its README); used when present.
SHARED_DATA ?= ../shared/data
OULAD := data/processed/oulad
SOCIAL := data/processed/social-exports
FORUM := data/processed/forum-mooc-ed
REPORT_DATA := $(DEMO)/quality.json
ifneq ($(wildcard $(SHARED_DATA)/oulad/courses.csv),)
REPORT_DATA += $(OULAD)/quality.json
endif
ifneq ($(wildcard $(SHARED_DATA)/social-exports/*.csv),)
REPORT_DATA += $(SOCIAL)/quality.json
endif
ifneq ($(wildcard $(SHARED_DATA)/forum-mooc-ed/*.csv),)
REPORT_DATA += $(FORUM)/quality.json
endif
# pytest arguments, e.g. `make test PYTEST_ARGS="-k moodle"`
PYTEST_ARGS ?=

.PHONY: help setup reports oulad social forum lab test bench bench-big clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

$(BIN)/engagement: pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $@

setup: $(BIN)/engagement ## create .venv and install the package with its pinned dependencies

$(DEMO_RAW)/MANIFEST.json: | $(BIN)/engagement
	$(BIN)/engagement demo --out $(DEMO_RAW)

$(DEMO)/quality.json: $(DEMO_RAW)/MANIFEST.json $(wildcard src/engagement/*.py src/engagement/sources/*.py)
	$(BIN)/engagement prepare demo $(DEMO_RAW) --name demo

$(OULAD)/quality.json: $(wildcard src/engagement/*.py src/engagement/sources/*.py) | $(BIN)/engagement
	$(BIN)/engagement prepare oulad $(SHARED_DATA)/oulad --name oulad

oulad: $(OULAD)/quality.json ## prepare the OULAD dataset from ../shared/data/oulad (SHARED_DATA=...)

$(SOCIAL)/quality.json: $(wildcard src/engagement/*.py src/engagement/sources/*.py) | $(BIN)/engagement
	$(BIN)/engagement prepare social $(SHARED_DATA)/social-exports --name social-exports

social: $(SOCIAL)/quality.json ## prepare the real social-media exports from ../shared/data/social-exports

$(FORUM)/quality.json: $(wildcard src/engagement/*.py src/engagement/sources/*.py) | $(BIN)/engagement
	$(BIN)/engagement prepare reply_network $(SHARED_DATA)/forum-mooc-ed --name forum-mooc-ed

forum: $(FORUM)/quality.json ## prepare the real forum reply network from ../shared/data/forum-mooc-ed

reports: $(REPORT_DATA) ## build the demo data, run every notebook, write outputs/<batch>/index.html
	$(BIN)/engagement report reports.yaml

lab: $(BIN)/engagement ## open JupyterLab on the notebooks (the package is importable)
	$(BIN)/jupyter lab notebooks/

test: $(BIN)/engagement ## run the test suite (works on a fresh clone)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: $(BIN)/engagement ## time the activity reductions against direct DuckDB SQL and pandas
	$(BIN)/python benchmarks/bench_activity.py

bench-big: $(BIN)/engagement ## sessionise a simulated 10^8-event log (ROWS=1000000 to try small) under a 4GB DuckDB limit
	nice $(BIN)/python benchmarks/bench_sessions_1e8.py $(if $(ROWS),--rows $(ROWS))

clean: ## remove outputs and processed data (never data/raw)
	find outputs data/processed -mindepth 1 -maxdepth 1 ! -name README.md -exec rm -rf {} +
