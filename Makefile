# TerraSAM developer commands. `make help` lists them; every target that runs project code first runs
# `make env` (scripts/bootstrap.sh: Debian packages, .venv, pinned pip install; about a second when done).

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
MAKEFLAGS += --no-print-directory
.DEFAULT_GOAL := help

VENV := .venv
PYTHON := $(VENV)/bin/python
VERSION := $(shell sed -n 's/^version *= *//p' metadata.txt)

# make demo RASTER=... CHECKPOINT=... OUT=...   (CHECKPOINT defaults to $SAM_CHECKPOINT from the environment;
# with none found, the official vit_b is downloaded into ~/.cache/terrasam/checkpoints, verified against its
# SHA-256 or CHECKPOINT_SHA256=; offline, the demo runs on random weights and says so)
RASTER ?= $(wildcard ../shared/data/RGB.byte.tif)
CHECKPOINT ?= $(SAM_CHECKPOINT)
CHECKPOINT_SHA256 ?=
OUT ?= demo_out

PYTEST_ARGS ?=
BENCH_ARGS ?=

# make qgis: a private QGIS profile under build/ (your own profile is not touched) with the plugin enabled.
QGIS ?= qgis
QGIS_ARGS ?=
QGIS_PLUGINS := $(CURDIR)/build/qgis-plugins
QGIS_PROFILES ?= $(CURDIR)/build/qgis-profiles
QGIS_INI = $(QGIS_PROFILES)/profiles/default/QGIS/QGIS3.ini

# make wheelhouse: the pinned wheels (for the Python that runs pip: the .venv's, i.e. QGIS's version) in one folder,
# for Set up engine → Wheel folder on a machine without internet. Another platform or Python:
# WHEELHOUSE_ARGS="--platform win_amd64 --python-version 3.12".
WHEELHOUSE ?= wheelhouse
WHEELHOUSE_PYTHON ?= $(if $(wildcard $(PYTHON)),$(PYTHON),python3)
WHEELHOUSE_REQUIREMENTS ?= requirements.txt
WHEELHOUSE_ARGS ?=

# make i18n-update LANGS="de fr": languages default to the existing i18n/terrasam_<lang>.ts files (else de).
LANGS ?= $(or $(patsubst i18n/terrasam_%.ts,%,$(wildcard i18n/terrasam_*.ts)),de)
I18N_SOURCES = $(shell find . \( -path ./.venv -o -path ./.git -o -path ./build -o -path ./dist -o -path ./tests \
	-o -path ./sam_core -o -path ./bench -o -path ./tools \) -prune -o -name '*.py' -print | sort)

.PHONY: help env test demo bench lint package wheelhouse qgis i18n-update i18n-compile clean distclean

help: ## list the targets
	@echo "TerraSAM $(VERSION): make <target>"
	@awk 'BEGIN {FS = ":[^#]*## "} /^[a-z0-9_-]+:.*## / {printf "  %-13s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

env: ## build or check the environment (Debian packages as root, .venv, pinned pip install)
	@bash scripts/bootstrap.sh

test: env ## run the test suite offscreen (PYTEST_ARGS="-k plugin" to select)
	@QT_QPA_PLATFORM=offscreen $(PYTHON) -m pytest $(PYTEST_ARGS) \
		|| { rc=$$?; echo "make test: pytest exited with status $$rc" >&2; exit $$rc; }

demo: env ## segment a raster end to end (RASTER=, CHECKPOINT= or env SAM_CHECKPOINT, OUT=demo_out; downloads vit_b)
	@$(PYTHON) tools/demo.py $(if $(RASTER),--raster "$(RASTER)") \
		$(if $(CHECKPOINT),--checkpoint "$(CHECKPOINT)") \
		$(if $(CHECKPOINT_SHA256),--sha256 "$(CHECKPOINT_SHA256)") --out "$(OUT)"

bench: env ## run the benchmarks (bench/run.py; BENCH_ARGS= to pass options)
	@$(PYTHON) bench/run.py $(BENCH_ARGS)

lint: env ## ruff check (configuration in pyproject.toml)
	@$(VENV)/bin/ruff check .

package: ## build dist/terrasam-<version>.zip for the QGIS plugin manager / plugins.qgis.org
	@python3 tools/package.py

wheelhouse: ## download the pinned wheels into WHEELHOUSE=wheelhouse for an offline engine install (about 5 GB)
	@$(WHEELHOUSE_PYTHON) -m pip download --only-binary=:all: -r "$(WHEELHOUSE_REQUIREMENTS)" -c constraints.txt \
		-d "$(WHEELHOUSE)" $(WHEELHOUSE_ARGS)
	@echo "make wheelhouse: $$(ls "$(WHEELHOUSE)" | wc -l) wheels, $$(du -sh "$(WHEELHOUSE)" | cut -f1), in $(WHEELHOUSE)"

qgis: env ## start QGIS with this checkout as the plugin "terrasam" (private profile in build/)
	@mkdir -p "$(QGIS_PLUGINS)" "$(dir $(QGIS_INI))"
	@ln -sfn "$(CURDIR)" "$(QGIS_PLUGINS)/terrasam"
	@/usr/bin/python3 -c 'import sys; from PyQt5.QtCore import QSettings; \
		s = QSettings(sys.argv[1], QSettings.IniFormat); s.setValue("PythonPlugins/terrasam", True); s.sync()' \
		"$(QGIS_INI)"
	@echo "make qgis: QGIS_PLUGINPATH=$(QGIS_PLUGINS), profiles in $(QGIS_PROFILES)"
	@QGIS_PLUGINPATH="$(QGIS_PLUGINS)" $(QGIS) --profiles-path "$(QGIS_PROFILES)" $(QGIS_ARGS)

# pylupdate5 runs under LC_ALL=C.UTF-8: under the C/POSIX locale it crashes (it encodes paths with the locale's codec).
i18n-update: ## extract translatable strings into i18n/terrasam_<lang>.ts (LANGS="de fr"; pylupdate5)
	@bash scripts/bootstrap.sh --i18n >/dev/null
	@LC_ALL=C.UTF-8 PYTHONWARNINGS=ignore pylupdate5 -noobsolete $(I18N_SOURCES) \
		-ts $(foreach lang,$(LANGS),i18n/terrasam_$(lang).ts)
	@echo "make i18n-update: updated $(foreach lang,$(LANGS),i18n/terrasam_$(lang).ts)"

i18n-compile: ## compile i18n/*.ts into the .qm files the plugin loads (lrelease)
	@bash scripts/bootstrap.sh --i18n >/dev/null
	@if ls i18n/*.ts >/dev/null 2>&1; then lrelease -silent i18n/*.ts && ls i18n/*.qm; \
		else echo "make i18n-compile: no i18n/*.ts yet (make i18n-update LANGS=de)"; fi

clean: ## remove build outputs and caches (keeps .venv)
	@rm -rf build dist demo_out bench/out tests/artifacts .pytest_cache .ruff_cache
	@find . -path ./.venv -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +

distclean: clean ## clean, and remove .venv too
	@rm -rf $(VENV)
