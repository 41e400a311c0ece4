"""The services the web app, the HTTP API and the OpenAI-compatible API share (built once).

One ``Assistant`` (so the models load once), one rate limiter (so a client cannot dodge the
limit by switching between the chat and the API), one feedback store, one store of saved
conversations, one admin guard.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from typing import Any

from assistant.pipeline import Assistant
from core.errors import unavailable
from core.settings import Settings
from core.types import Access, Answer, Filters
from ui.conversations import ConversationStore
from ui.documents import DocumentAdmin
from ui.feedback import FeedbackStore, settings_snapshot
from ui.gaps.log import Channel, RefusalLog
from ui.identity import IdentityPolicy
from ui.security import AdminGuard, OriginPolicy, RateLimiter

log = logging.getLogger(__name__)

HIDDEN_ANSWER = (
    "This answer cited a document you can no longer see, so it is not shown. Ask again to get"
    " an answer from the documents you can see."
)


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
    identity: IdentityPolicy
    refusals: RefusalLog
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
            policy=OriginPolicy.from_settings(settings.ui),
            feedback=FeedbackStore(settings.ui.feedback_db, redact_personal_data=redacts),
            conversations=ConversationStore.from_settings(
                settings.ui, redact_personal_data=redacts
            ),
            identity=IdentityPolicy.from_settings(settings.ui),
            refusals=RefusalLog(settings.ui.feedback_db, settings.gaps.retention_days, redacts),
            documents=DocumentAdmin(settings, guard, assistant=assistant),
        )

    def access(self, request: Any) -> Access:
        """Who is asking (a FastAPI or Gradio request): the user and groups a trusted reverse
        proxy names, or anonymous, who sees only documents that name no groups."""
        client = getattr(request, "client", None)
        headers = getattr(request, "headers", None) or {}
        return self.identity.access_for(getattr(client, "host", None), headers)

    def caller(self, request: Any) -> str | None:
        """The user identity a trusted reverse proxy names for this request, or None.

        Saved conversations are kept per user when there is one, per browser otherwise.
        """
        return self.access(request).user

    def screen(self, answer: Answer, access: Access) -> Answer:
        """A saved answer as this caller may see it now: documents whose groups no longer
        include the caller are dropped from its sources, and an answer that cited one is
        withheld (its sentences came from that document)."""
        if access.unrestricted:
            return answer
        records = self.assistant.store.documents()

        def visible(c: Any) -> bool:
            record = records.get(c.doc.document_id)
            return (record.meta if record else c.doc).visible_to(access)

        sources = tuple(s for s in answer.sources if visible(s))
        shown = {s.doc.document_id for s in sources}
        closest = tuple(d for d in answer.closest_documents if d in shown)
        if all(visible(c) for c in answer.citations):
            return replace(answer, sources=sources, closest_documents=closest)
        return replace(
            answer,
            answer=HIDDEN_ANSWER,
            citations=(),
            sources=sources,
            refused=True,
            refusal_reason="a cited document is no longer visible to you",
            closest_documents=(),
        )

    def note_answer(self, answer: Answer, channel: Channel, filters: Filters | None = None) -> None:
        """A refusal goes into the gaps report's log, unless the officer's filters narrowed the
        search; failing to write it down never costs the officer the answer."""
        if not answer.refused or (filters is not None and not filters.empty):
            return
        try:
            self.refusals.record(answer, channel)
        except (sqlite3.Error, OSError):
            log.warning("a refusal could not be recorded for the gaps report", exc_info=True)

    def snapshot(self) -> dict[str, Any]:
        """The settings that produced an answer (no secrets), stored with each feedback row."""
        return settings_snapshot(self.assistant.settings)

    def record_feedback(
        self, answer: Answer | dict[str, Any], rating: str, reason: str = "", source: str = ""
    ) -> int:
        data = answer.to_dict() if isinstance(answer, Answer) else answer
        try:
            return self._add_feedback(data, rating, reason, source)
        except (sqlite3.Error, OSError) as exc:  # a full or read-only disk
            raise unavailable("the feedback store", str(self.feedback.path), exc) from exc

    def _add_feedback(self, data: dict[str, Any], rating: str, reason: str, source: str) -> int:
        return self.feedback.add(
            rating=rating,  # type: ignore[arg-type]
            question=str(data.get("question", "")),
            answer=str(data.get("answer", "")),
            citations=data.get("citations")
            or (data.get("sources") if data.get("refused") else [])
            or [],
            settings=self.snapshot(),
            reason=reason,
            refused=bool(data.get("refused")),
            source=source,
        )
