"""Removing one document from the index: the same transaction wherever it is asked for."""

from __future__ import annotations

from core.settings import Settings
from index.store import DocumentStore, open_store


def remove_document(
    settings: Settings, document_id: str, store: DocumentStore | None = None
) -> bool:
    """Drop ``document_id``'s record and chunks under the store's writer lock, then bump the
    revision so every reader (in this process or another) sees it at its next question.

    Returns False, changing nothing, when no such document is indexed.
    """
    store = store or open_store(settings)
    with store.writing():
        if document_id not in store.documents():
            return False
        store.drop_document(document_id)
        store.finish_ingest(settings.embed_model, changed=True)
    return True
