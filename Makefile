# Every step the README's two commands need. `make run` and `make test` install first.
PYTHON ?= python3.11
VENV ?= .venv
PY := $(VENV)/bin/python
STORE ?= .assistant/store
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export ANONYMIZED_TELEMETRY := False
export GRADIO_ANALYTICS_ENABLED := False

.PHONY: install run ingest serve test test-fast lint bench eval-gate clean

$(VENV)/.installed: pyproject.toml scripts/install.sh
	bash scripts/install.sh $(PYTHON) $(VENV)
	touch $@

install: $(VENV)/.installed

ingest: install
	$(PY) -m assistant ingest --store $(STORE)

run: ingest
	$(PY) -m assistant serve --store $(STORE)

# The eval gate runs first so that pytest's summary is the last line CI reads.
test: install
	$(VENV)/bin/ruff check .
	$(PY) -m assistant eval --subset ci --gate --no-progress --store .assistant/eval-store
	$(PY) -m pytest -q

test-fast: install
	$(PY) -m pytest -q -m unit

bench: install
	$(PY) benchmarks/bench_ingest.py
	$(PY) benchmarks/bench_answer.py

eval-gate: install
	$(PY) -m assistant eval --subset ci --gate --store .assistant/eval-store

clean:
	rm -rf $(VENV) .assistant test-output
