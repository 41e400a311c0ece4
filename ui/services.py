"""The services the web app, the HTTP API and the OpenAI-compatible API share (built once).

One ``Assistant`` (so the models load once), one rate limiter (so a client cannot dodge the
limit by switching between the chat and the API), one feedback store, one store of saved
conversations, one admin guard.
"""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from assistant.pipeline import Assistant
from core.errors import (
    AssistantError,
    BackendError,
    DocumentError,
    QuestionError,
    StoreError,
)
from core.settings import Settings
from core.types import Answer
from ui.conversations import ConversationStore
from ui.documents import DocumentAdmin
from ui.feedback import FeedbackStore, settings_snapshot
from ui.security import AdminGuard, OriginPolicy, RateLimiter


class RecentAnswers:
    """The last answers by id, so feedback can point at an answer the server really gave."""

    def __init__(self, size: int = 2000) -> None:
        self.size = size
        self._answers: OrderedDict[str, Answer] = OrderedDict()
        self._lock = threading.Lock()

    def add(self, answer: Answer) -> str:
        answer_id = uuid.uuid4().hex
        with self._lock:
            self._answers[answer_id] = answer
            while len(self._answers) > self.size:
                self._answers.popitem(last=False)
        return answer_id

    def get(self, answer_id: str) -> Answer | None:
        with self._lock:
            return self._answers.get(answer_id)


@dataclass
class Services:
    settings: Settings
    assistant: Assistant
    limiter: RateLimiter
    guard: AdminGuard
    policy: OriginPolicy
    feedback: FeedbackStore
    documents: DocumentAdmin
    conversations: ConversationStore
    answers: RecentAnswers = field(default_factory=RecentAnswers)

    @classmethod
    def build(cls, settings: Settings, assistant: Assistant | None = None) -> Services:
        assistant = assistant or Assistant(settings)
        guard = AdminGuard(settings.ui.admin_token)
        redacts = settings.privacy.redact_personal_data
        return cls(
            settings=settings,
            assistant=assistant,
            limiter=RateLimiter(settings.ui.rate_limit_per_minute),
            guard=guard,
            policy=OriginPolicy(settings.ui.allowed_origins),
            feedback=FeedbackStore(settings.ui.feedback_db, redact_personal_data=redacts),
            conversations=ConversationStore.from_settings(settings.ui, redact_personal_data=redacts),
            documents=DocumentAdmin(
                settings,
                guard,
                embedder_factory=lambda: assistant.embedder,
            ),
        )

    def caller(self, request: Any) -> str | None:
        """The user identity a trusted reverse proxy names for this request, or None.

        Saved conversations are kept per user when there is one, per browser otherwise.
        (The proxy header and its trusted addresses are wired with the access groups.)
        """
        return None

    def snapshot(self) -> dict[str, Any]:
        """The settings that produced an answer (no secrets), stored with each feedback row."""
        return settings_snapshot(self.assistant.settings)

    def record_feedback(
        self, answer: Answer | dict[str, Any], rating: str, reason: str = "", source: str = ""
    ) -> int:
        data = answer.to_dict() if isinstance(answer, Answer) else answer
        return self.feedback.add(
            rating=rating,  # type: ignore[arg-type]
            question=str(data.get("question", "")),
            answer=str(data.get("answer", "")),
            citations=data.get("citations") or (data.get("sources") if data.get("refused") else []) or [],
            settings=self.snapshot(),
            reason=reason,
            refused=bool(data.get("refused")),
            source=source,
        )


def error_status(exc: AssistantError) -> int:
    """The HTTP status for an assistant error: the user's fault 400, ours 5xx."""
    if isinstance(exc, QuestionError | DocumentError):
        return 400
    if isinstance(exc, StoreError):
        return 503
    if isinstance(exc, BackendError):
        return 502
    return 500  # IngestError, ConfigError: the server is set up wrongly
