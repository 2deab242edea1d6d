# Two set-up commands on a fresh machine: `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# llama-cpp-python compiles llama.cpp (4–8 min on 2 cores, once per CPU): for the instruction
# sets this CPU has (AVX-512 where there is: prefill ~1.5x faster than AVX2; never AMX), no curl
# (weights come from PyPI packages, never from a hub). The wheel is kept in a cache keyed by
# those options, so another CPU compiles its own (assistant/llm/cpu_build.py).
LLAMA_BUILD := $(PYTHON) assistant/llm/cpu_build.py
export CMAKE_ARGS ?= $(shell $(LLAMA_BUILD) cmake-args)
LLAMA_WHEELS := $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/dragoman/llama-wheels/$(shell CMAKE_ARGS='$(CMAKE_ARGS)' $(LLAMA_BUILD) key)
export HF_HUB_OFFLINE := 1
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: install base-venv llama llama-wheel demo test test-unit lint typecheck pytest eval-gate bench clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip wheel
	$(MAKE) --no-print-directory llama-wheel
	$(BIN)/pip install --quiet --no-deps $(LLAMA_WHEELS)/llama_cpp_python-*.whl
	$(BIN)/pip install --quiet -e '.[server,dev,st,postgres]'
	touch $(STAMP)

# llama.cpp compiled for this CPU, once, into the keyed wheel cache (a temporary folder first,
# so an interrupted build leaves no half wheel behind).
llama-wheel:
	@if ! ls $(LLAMA_WHEELS)/llama_cpp_python-*.whl >/dev/null 2>&1; then \
	  echo "Compiling llama.cpp for this CPU (4-8 min on 2 cores, once): $(CMAKE_ARGS)"; \
	  tmp=$$(mktemp -d) && $(BIN)/pip wheel --quiet --no-deps --no-cache-dir \
	    --no-binary llama-cpp-python -w $$tmp "$$($(LLAMA_BUILD) requirement)" && \
	  mkdir -p $(LLAMA_WHEELS) && mv $$tmp/llama_cpp_python-*.whl $(LLAMA_WHEELS)/ && rm -rf $$tmp; \
	fi

# An existing environment moved onto this CPU's build (`dragoman doctor` says when it helps).
llama: install
	$(MAKE) --no-print-directory llama-wheel
	$(BIN)/pip install --quiet --no-deps --force-reinstall $(LLAMA_WHEELS)/llama_cpp_python-*.whl
	@$(BIN)/python -c "import llama_cpp; print(llama_cpp.llama_print_system_info().decode())"

# A bare install (the base dependencies alone, no extra), as a user's `pip install -e .`:
# tests/reliability/test_base_install.py ingests HTML and a feed with it.
BASE_VENV := .venv-base
base-venv: $(BASE_VENV)/.installed

$(BASE_VENV)/.installed: pyproject.toml
	test -x $(BASE_VENV)/bin/python || $(PYTHON) -m venv $(BASE_VENV)
	$(BASE_VENV)/bin/pip install --quiet --upgrade pip wheel
	$(MAKE) --no-print-directory llama-wheel BIN=$(BASE_VENV)/bin
	$(BASE_VENV)/bin/pip install --quiet --no-deps $(LLAMA_WHEELS)/llama_cpp_python-*.whl
	$(BASE_VENV)/bin/pip install --quiet -e .
	touch $@

DEMO := corpus/demo
HOST ?= 127.0.0.1
PORT ?= 8000
DEMO_USER ?= analyst
DEMO_PASSWORD ?= dragoman-demo
DEMO_SITE_PORT ?= 8765

demo: install
	$(BIN)/dragoman ingest $(DEMO)/un --kind policy --source "UN General Debate" \
	  --filename-pattern '(?P<country>[A-Z]{2,3})_(?P<session>\d+)_(?P<year>\d{4})\.txt$$' \
	  --set 'title={country_name} — UN General Debate, session {session} ({year})' \
	  --set 'published_at={year}-09-20'
	$(BIN)/dragoman ingest $(DEMO)/whitehouse --kind news --source "The White House"
	$(BIN)/dragoman ingest $(DEMO)/prc --kind policy --source "State Council of the PRC" \
	  --map text=content --set 'published_at={year}-03-05'
	$(BIN)/dragoman docs list --limit 30
	$(BIN)/dragoman search "中国对乌克兰危机的立场是什么？" --k 5
	$(BIN)/dragoman doctor
	@echo "$(DEMO_PASSWORD)" | $(BIN)/dragoman users add $(DEMO_USER) --role analyst \
	  --clearance internal --password-stdin --exist-ok
	@for who in press:press_officer approver:approver admin:admin; do echo "$(DEMO_PASSWORD)" | \
	  $(BIN)/dragoman users add $${who%%:*} --role $${who##*:} --clearance public \
	  --password-stdin --exist-ok; done
	@# The demo's sources, served on loopback (bench/demo_site.py) for as long as the demo runs:
	@# a news feed with full articles and a social account; collected now, then on schedule.
	@$(BIN)/python bench/demo_site.py --port $(DEMO_SITE_PORT) & site=$$!; trap "kill $$site" EXIT; \
	  export DRAGOMAN_COLLECT_ALLOW_PRIVATE=true; sleep 2; \
	  $(BIN)/dragoman sources add http://127.0.0.1:$(DEMO_SITE_PORT)/feed.xml --every 30m \
	    --name "White House statements (demo feed)" --source "The White House" --exist-ok && \
	  $(BIN)/dragoman sources add http://127.0.0.1:$(DEMO_SITE_PORT)/api/v1/accounts/1/statuses \
	    --type mastodon --every 10m --name "Delegations quoted (demo social)" --exist-ok && \
	  $(BIN)/dragoman collect && \
	  echo "Writing the first briefing (the last 3 days, on the embedded model: a few minutes)" && \
	  $(BIN)/dragoman brief --window 3d && \
	  echo "Open http://$(HOST):$(PORT) and sign in as $(DEMO_USER) / $(DEMO_PASSWORD) (Ctrl-C stops)" && \
	  echo "Drafting official posts: sign in as press, review as approver; sources: admin (same password)" && \
	  $(BIN)/dragoman serve --host $(HOST) --port $(PORT)

# ruff, then the layer contract of docs/ARCHITECTURE.md (import-linter, pyproject.toml).
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: install
	$(BIN)/mypy

# pytest exits 5 when it collected no test: that is a failure here, never a pass.
# Two workers (pytest-xdist) by default: whole files, longest first in the order
# tests/conftest.py gives them (--no-loadscope-reorder), the embedded model at one thread per
# worker. TEST_WORKERS=0 runs in one process. The slowest tests are listed at the end.
TEST_WORKERS ?= 2
pytest: install base-venv
	$(BIN)/pytest -q -p no:cacheprovider -n $(TEST_WORKERS) --dist loadfile \
	  --no-loadscope-reorder --durations=25; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests" >&2; exit 1; fi; exit $$rc

# The fast tier alone (tests/unit: no model, no corpora, no servers; seconds).
test-unit: install
	$(BIN)/pytest -q -p no:cacheprovider tests/unit

# The factuality gate: every eval suite on the real 0.5B model against the committed
# baseline; fails only on a regression beyond the paired-bootstrap interval.
EVAL_HOME ?= .ci-home
eval-gate: install
	DRAGOMAN_HOME=$(EVAL_HOME) $(BIN)/dragoman eval gate --baseline evals/baselines/ci

test: lint typecheck pytest eval-gate

# Every headline figure in one run (about 75 min on 2 cores; bench/RESULTS.md records them).
# The other studies (XQuAD retrieval, fusion tuning, drafting, monitoring) run one by one:
# `$(BIN)/python bench/<name>.py`.
bench: install
	$(BIN)/pip install --quiet -e '.[bench]'
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) $(BASE_VENV) build *.egg-info .mypy_cache .ruff_cache
