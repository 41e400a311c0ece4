"""Optional LLM-judged faithfulness and correctness, with the configured LLM backend.

The judge talks to the model directly (an OpenAI-compatible endpoint over HTTP, or a local GGUF
through llama-cpp-python) rather than through the answer backend, whose role is drafting. With
the extractive backend there is no LLM, and the judge is skipped with a stated reason.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from core.errors import AssistantError
from core.settings import Settings

SCORE = re.compile(r"SCORE\s*[:=]\s*([1-5])", re.I)

FAITHFULNESS = """You check answers for faithfulness to their sources.
Passages:
{passages}

Answer:
{answer}

Is every claim in the answer supported by the passages? Reply with one line "SCORE: n" where n is
1 (mostly unsupported) to 5 (fully supported)."""

CORRECTNESS = """You grade answers against a reference.
Question: {question}
Reference: {reference}
Answer: {answer}

Does the answer give the reference's facts without contradicting it? Reply with one line
"SCORE: n" where n is 1 (wrong or missing) to 5 (complete and correct)."""


class JudgeUnavailable(Exception):
    """Why LLM judging is skipped (shown in the report)."""


JUDGE_MAX_TOKENS = 16


def parse_score(reply: str) -> float | None:
    """'SCORE: 4' -> 0.75 (1..5 mapped onto 0..1); None when the reply has no score."""
    match = SCORE.search(reply) or re.fullmatch(r"\s*([1-5])\s*\.?\s*", reply)
    return (int(match.group(1)) - 1) / 4 if match else None


class Judge:
    def __init__(self, complete: Callable[[str], str], name: str) -> None:
        self.complete = complete
        self.name = name

    def faithfulness(self, answer: str, passages: Sequence[str]) -> tuple[float | None, str]:
        """(score 0..1 or None when the reply has none, the reply)."""
        numbered = "\n".join(f"[{i}] {p[:1500]}" for i, p in enumerate(passages, 1))
        reply = self.complete(FAITHFULNESS.format(passages=numbered, answer=answer))
        return parse_score(reply), reply.strip()[:200]

    def correctness(self, question: str, answer: str, reference: str) -> tuple[float | None, str]:
        prompt = CORRECTNESS.format(question=question, reference=reference[:3000], answer=answer)
        reply = self.complete(prompt)
        return parse_score(reply), reply.strip()[:200]


def make_judge(settings: Settings) -> Judge:
    """A judge for the configured LLM backend; raises JudgeUnavailable when there is none."""
    cfg = settings.answer
    if cfg.backend == "openai":
        if not cfg.base_url:
            raise JudgeUnavailable("the openai backend has no base_url")
        return Judge(_openai_completion(cfg), f"openai:{cfg.model}")
    if cfg.backend == "llamacpp":
        from assistant.models import resolve_model_path
        from core.errors import BackendError

        try:
            path = resolve_model_path(cfg.model_path)
        except BackendError as exc:
            raise JudgeUnavailable(str(exc)) from None
        return Judge(_llamacpp_completion(cfg, path), f"llamacpp:{path.name}")
    raise JudgeUnavailable(f"the {cfg.backend} backend has no LLM to judge with")


def _openai_completion(cfg: Any) -> Callable[[str], str]:
    """The backend's own client, so the judge reaches the endpoint exactly as answers do."""
    from assistant.backends.openai_compat import OpenAICompatibleBackend

    backend = OpenAICompatibleBackend(cfg)
    return lambda prompt: backend.complete([{"role": "user", "content": prompt}], JUDGE_MAX_TOKENS)


def _llamacpp_completion(cfg: Any, path: Path) -> Callable[[str], str]:
    from assistant.backends.llamacpp import LlamaCppBackend

    try:
        backend = LlamaCppBackend(cfg.model_copy(update={"model_path": path}))
    except AssistantError as exc:
        raise JudgeUnavailable(str(exc)) from None
    return lambda prompt: backend.complete([{"role": "user", "content": prompt}], JUDGE_MAX_TOKENS)
