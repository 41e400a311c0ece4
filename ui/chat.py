"""The officer chat (Gradio): streamed, cited answers, feedback, saved conversations, filters,
and the documents view.

Every string shown comes through ``ui.render`` (escaped there). Admin actions need the token
typed into the documents view; the configured token itself is never sent to the browser.
``/chat/`` serves the chat alone, for the intranet widget (``ui/static/embed.js``). The layout
keeps the question box and the notices in view (``ui/static/app.css``): the conversation
scrolls inside its own box, sized to the window.
"""

from __future__ import annotations

import logging
from typing import Any, Optional

import gradio as gr

from assistant.pipeline import clean_question
from core.errors import AssistantError, BackendError, QuestionError, StoreError
from core.settings import HISTORY_TURNS
from core.types import Answer, Filters, Turn
from index.loaders import SUPPORTED_SUFFIXES
from ui import history
from ui.gaps.tab import gaps_tab
from ui.identity import ANONYMOUS
from ui.render import (
    answer_markdown,
    documents_table,
    markdown_text,
    partial_markdown,
    pending_markdown,
    withheld_table,
    without_interrupted,
)
from ui.searched import searched_for_box
from ui.security import AdminError, client_key
from ui.services import Services

TITLE = "Council document assistant"
INTRO = (
    f"# {TITLE}\n"
    "Answers come only from the indexed council documents. Every sentence cites its source:"
    " select a number to read the passage. When the documents do not answer, it says so."
)
EXAMPLES = [
    "What is zero trust?",
    "How should a council manage the risks of using AI?",
    "What should we check before publishing open data?",
]
PRIVATE: dict[str, Any] = {"api_visibility": "private"}
ADMIN_SESSION_JS = """async (token) => {
  const url = new URL("api/admin/session", document.baseURI);
  const headers = token ? {Authorization: "Bearer " + token} : {};
  try {
    await fetch(url, {method: token ? "POST" : "DELETE", headers: headers, credentials: "same-origin"});
  } catch (e) {}
  return token;
}"""
log = logging.getLogger("ui.chat")


def build_blocks(services: Services, embedded: bool = False) -> gr.Blocks:
    """The full app (chat and documents), or with ``embedded`` the chat alone for the widget."""
    with gr.Blocks(title=TITLE, analytics_enabled=False) as demo:
        browser = gr.BrowserState(
            None, storage_key=history.BROWSER_KEY, secret=history.BROWSER_SECRET
        )
        gr.Markdown(f"# {TITLE}" if embedded else INTRO, elem_id="app-header")
        if embedded:
            restore = _chat_panel(services, browser, with_filters=False)
            demo.load(*restore, **PRIVATE)
            return demo
        with gr.Tabs():
            with gr.Tab("Ask", id="ask"):
                restore = _chat_panel(services, browser, with_filters=True)
            with gr.Tab("Documents", id="documents"):
                documents_html = gr.HTML(elem_id="documents")
                refresh = gr.Button("Refresh the list", elem_id="refresh-documents")
                admin = _admin_panel(services, documents_html)
            gaps_tab(services)
        demo.load(*restore, **PRIVATE)
        refresh.click(_documents(services), None, [documents_html, *admin], **PRIVATE)
        demo.load(_documents(services), None, [documents_html, *admin], **PRIVATE)
    return demo


def _chat_panel(services: Services, browser: gr.BrowserState, with_filters: bool) -> tuple:
    """The chat; returns the (function, inputs, outputs) that restore it when the page loads."""
    turns = gr.State([])  # [{question, answer}] for follow-up questions
    answers = gr.State({})  # chat message index -> Answer.to_dict()
    feedback_id = gr.State(None)
    # Filters and saved conversations sit above the chat, collapsed: in reach at every size.
    with gr.Row(elem_id="chat-tools", equal_height=False):
        filters = _filters_panel(services) if with_filters else []
        with gr.Accordion("Your conversations", open=False, elem_id="conversations"):
            saved = gr.Radio(choices=[], label="Saved conversations", elem_id="saved-conversations")
            with gr.Row():
                reopen = gr.Button("Open", size="sm", elem_id="open-conversation")
                delete = gr.Button(
                    "Delete", size="sm", variant="stop", elem_id="delete-conversation"
                )
    with gr.Column(elem_id="chat-panel"):
        chatbot = gr.Chatbot(
            label="Conversation",
            height="auto",
            elem_id="chat",
            autoscroll=False,  # chat.js opens the latest answer at its first line instead
            feedback_options=("Like", "Dislike"),
            sanitize_html=True,
            allow_tags=False,
            latex_delimiters=[],
            buttons=[],  # each answer has its own Copy, Download and Print (clean text, no markup)
            placeholder="Ask a question about the council documents, or pick an example below.",
        )
        status = gr.Markdown("", elem_id="status")
        searched_box, searched, search_again = searched_for_box()
        with gr.Row(visible=False, elem_id="reason-box") as reason_box:
            reason = gr.Textbox(
                label="What was wrong or missing? (optional)",
                lines=1,
                max_lines=4,
                scale=4,
                elem_id="feedback-reason",
            )
            save_reason = gr.Button("Send reason", scale=0, min_width=120, elem_id="send-reason")
        question = gr.Textbox(
            label="Your question",
            placeholder="Type a question and press Enter",
            lines=1,
            max_lines=4,
            elem_id="question",
        )
        with gr.Row(elem_id="chat-buttons"):
            ask = gr.Button("Ask", variant="primary", size="md", elem_id="ask-button")
            clear = gr.Button(
                "New conversation", variant="secondary", size="md", elem_id="clear-button"
            )
    gr.Examples(examples=[[e] for e in EXAMPLES], inputs=[question], label="Example questions")

    chat_outputs = [
        question,
        chatbot,
        turns,
        answers,
        status,
        browser,
        saved,
        searched_box,
        searched,
    ]
    for trigger in (question.submit, ask.click):
        trigger(
            _respond(services),
            [question, chatbot, turns, answers, browser, *filters],
            chat_outputs,
            **PRIVATE,
        )
    search_again.click(
        _respond(services, as_typed=True),
        [searched, chatbot, turns, answers, browser, *filters],
        chat_outputs,
        **PRIVATE,
    )
    chatbot.like(
        _on_like(services), [answers], [feedback_id, reason_box, reason, status], **PRIVATE
    )
    save_reason.click(_on_reason(services), [feedback_id, reason], [status, reason_box], **PRIVATE)
    restored = [browser, chatbot, turns, answers, saved]
    for trigger in (clear.click, chatbot.clear):  # the button, and the chat's own bin icon
        trigger(history.on_new(services), [browser], [*restored, status], **PRIVATE).then(
            _reset_feedback, None, [question, feedback_id, reason_box], **PRIVATE
        )
    reopen.click(history.on_open(services), [browser, saved], [*restored, status], **PRIVATE)
    delete.click(history.on_delete(services), [browser, saved], [*restored, status], **PRIVATE)
    return history.on_load(services), [browser], restored


def _filters_panel(services: Services) -> list[Any]:
    """Document, publisher and year filters; the choices are what the index holds."""
    with gr.Accordion("Filter the documents", open=False, elem_id="filters") as panel:
        documents = gr.Dropdown(
            label="Only these documents", multiselect=True, choices=[], elem_id="filter-documents"
        )
        publisher = gr.Dropdown(label="Publisher", choices=[], elem_id="filter-publisher")
        with gr.Row():
            year_from = gr.Dropdown(label="From year", choices=[], elem_id="filter-year-from")
            year_to = gr.Dropdown(label="To year", choices=[], elem_id="filter-year-to")
        reset = gr.Button("Clear the filters", size="sm", elem_id="clear-filters")
    fields = [documents, publisher, year_from, year_to]

    def choices(request: gr.Request):
        try:
            listed = services.documents.list(services.access(request))
        except AssistantError:
            listed = []
        titles = [
            (f"{d.get('title') or d['document_id']} ({d['document_id']})", d["document_id"])
            for d in listed
        ]
        publishers = sorted({d["publisher"] for d in listed if d.get("publisher")})
        years = [("Any year", "")] + [
            (str(y), str(y)) for y in sorted({d["year"] for d in listed if d.get("year")})
        ]
        return (
            gr.update(choices=titles),
            gr.update(choices=[("Any publisher", "")] + [(p, p) for p in publishers]),
            gr.update(choices=years),
            gr.update(choices=years),
        )

    panel.expand(choices, None, fields, **PRIVATE)
    reset.click(lambda: ([], "", "", ""), None, fields, **PRIVATE)
    return fields


def chosen_filters(
    documents: list[str] | None, publisher: str | None, year_from: Any, year_to: Any
) -> Filters:
    def year(value: Any) -> int | None:
        return int(value) if value not in (None, "") else None

    filters = Filters(tuple(documents or ()), publisher or None, year(year_from), year(year_to))
    if filters.year_from and filters.year_to and filters.year_from > filters.year_to:
        raise QuestionError("the 'from' year is after the 'to' year: change the filters")
    return filters


def _respond(services: Services, as_typed: bool = False):
    """The chat's answer to the question box; with ``as_typed`` to the officer's corrected
    "Searched for" text, searched exactly as typed (no follow-up rewrite)."""

    def respond(
        text: str,
        chat: list,
        turns: list,
        answers: dict,
        stored: Any,
        request: gr.Request,
        documents: list[str] | None = None,
        publisher: str | None = None,
        year_from: Any = None,
        year_to: Any = None,
    ):
        chat = without_interrupted(chat)  # an answer the server never finished (it went away)
        state = history.browser_state(stored)
        keep = gr.update()
        box = keep if as_typed else ""  # the question box keeps what the officer is typing
        unsent = keep if as_typed else text
        try:
            cleaned = clean_question(text or "")
            filters = chosen_filters(documents, publisher, year_from, year_to)
        except QuestionError as exc:
            message = f"**Not sent:** {markdown_text(str(exc))}"
            yield unsent, chat, turns, answers, message, state, keep, keep, keep
            return
        wait = services.limiter.hit(client_key(request.client if request else None))
        if wait is not None:
            message = f"**Too many questions:** please wait {wait:.0f} seconds and ask again."
            yield unsent, chat, turns, answers, message, state, keep, keep, keep
            return
        chat += [
            {"role": "user", "content": markdown_text(cleaned)},
            {"role": "assistant", "content": pending_markdown()},
        ]
        hidden = gr.update(visible=False)
        yield box, chat, turns, answers, "", state, keep, hidden, keep
        history_turns = [] if as_typed else [Turn(t["question"], t["answer"]) for t in turns]
        partial = ""
        try:
            events = services.assistant.stream(
                cleaned, history_turns, None if filters.empty else filters, services.access(request)
            )
            for event in events:
                if isinstance(event, Answer):
                    index = len(chat) - 1
                    chat[-1] = {
                        "role": "assistant",
                        "content": answer_markdown(event, history.answer_key(index)),
                    }
                    answers = {**answers, str(index): event.to_dict()}
                    turns = [*turns, {"question": cleaned, "answer": event.answer}][-HISTORY_TURNS:]
                    state = history.save(services, state, cleaned, event, request)
                    services.note_answer(event, "web", filters)
                    saved = history.saved_list(services, state, services.caller(request))
                    rewritten = event.question_rewritten
                    box_update = (
                        gr.update(visible=rewritten),
                        event.standalone_question if rewritten else "",
                    )
                    yield (
                        box,
                        chat,
                        turns,
                        answers,
                        _answer_status(event, filters),
                        state,
                        saved,
                        *box_update,
                    )
                elif event:
                    partial += event
                    chat[-1] = {"role": "assistant", "content": partial_markdown(partial)}
                    yield box, chat, turns, answers, "", state, keep, keep, keep
        except Exception as exc:  # whatever failed, the officer gets a message, never a spinner
            log.exception("the chat could not answer %r", cleaned)
            chat[-1] = {
                "role": "assistant",
                "content": f"**Sorry, the assistant could not answer:** {_why(exc)}",
            }
            status = "The assistant could not answer; see the message above."
            yield box, chat, turns, answers, status, state, keep, keep, keep

    return respond


def _why(exc: Exception) -> str:
    """What went wrong, for an officer; details (paths, hosts) stay in the server log."""
    if isinstance(exc, QuestionError):
        return markdown_text(str(exc))
    if isinstance(exc, StoreError):
        return "the document store is unavailable. Please try again in a minute or tell the service desk."
    if isinstance(exc, BackendError):
        return "the answer model is unavailable. Please try again later or tell the service desk."
    return "an unexpected error. Please try again later or tell the service desk."


def _answer_status(answer: Answer, filters: Filters | None = None) -> str:
    only = (
        f" (searched only {markdown_text(filters.describe())})"
        if filters and not filters.empty
        else ""
    )
    if answer.refused:
        return f"The documents don't answer this question{only}; the closest documents are listed."
    return f"Answered with {len(answer.citations)} cited source(s){only}. Rate it with the thumbs below the answer."


def _on_like(services: Services):
    def on_like(answers: dict, data: gr.LikeData):
        index = data.index[0] if isinstance(data.index, list | tuple) else data.index
        answer = answers.get(str(index))
        if answer is None:
            return (
                None,
                gr.update(visible=False),
                "",
                "Feedback applies to the assistant's answers.",
            )
        if data.liked in (None, ""):
            return None, gr.update(visible=False), "", "Your rating was removed."
        rating = "up" if data.liked is True or data.liked == "Like" else "down"
        try:
            row = services.record_feedback(answer, rating, source="web")
        except AssistantError:
            log.exception("feedback could not be saved")
            return (
                None,
                gr.update(visible=False),
                "",
                "Sorry, your rating could not be saved; please try again later.",
            )
        thanks = "Thank you: your thumbs " + ("up" if rating == "up" else "down") + " is recorded."
        return row, gr.update(visible=True), "", thanks + " You can add a reason below."

    return on_like


def _on_reason(services: Services):
    def on_reason(feedback_row: int | None, text: str):
        if feedback_row is None:
            return "Rate an answer first, then add a reason.", gr.update(visible=False)
        if not (text or "").strip():
            return "Type a reason first, or leave it: the rating is already recorded.", gr.update()
        services.feedback.set_reason(int(feedback_row), text)
        return "Thank you: your reason is recorded.", gr.update(visible=False)

    return on_reason


def _reset_feedback():
    return "", None, gr.update(visible=False)


def _documents(services: Services):
    def refresh(request: Optional[gr.Request] = None, admin: bool = False):  # noqa: UP045 - the form Gradio recognises
        """The documents the caller may see (as on every other route: the admin token adds no
        documents); with ``admin`` (after a token-checked action) also the uploads left over."""
        try:
            # No request (a call from our own code): the anonymous view, never everyone's.
            listed = services.documents.list(services.access(request) if request else ANONYMOUS)
        except AssistantError as exc:
            return (
                f"<p>Cannot read the index: {markdown_text(str(exc))}</p>",
                *_admin_updates(services, [], admin),
            )
        return (documents_table(listed), *_admin_updates(services, listed, admin))

    return refresh


def _admin_updates(services: Services, listed: list[dict[str, Any]], admin: bool = False) -> tuple:
    if not services.guard.enabled:
        return ()
    choices = [(d["document_id"], d["document_id"]) for d in listed]
    try:  # files that failed and stayed in the uploads folder: the admin can remove them too
        leftovers = services.documents.leftover_uploads() if admin else []
    except AssistantError:
        leftovers = []
    choices += [(f"{name} (in the uploads folder, not indexed)", name) for name in leftovers]
    return (gr.update(choices=choices, value=None),)


def _admin_panel(services: Services, documents_html: gr.HTML) -> list[Any]:
    """Upload/delete/re-index, shown only when an admin token is configured."""
    if not services.guard.enabled:
        gr.Markdown(
            "Admin actions (upload, delete, re-index) are disabled: no admin token is configured.",
            elem_id="admin-disabled",
        )
        return []
    with gr.Group(elem_id="admin"):
        gr.Markdown("## Manage documents\nThese actions need the admin token.")
        token = gr.Textbox(label="Admin token", type="password", elem_id="admin-token")
        upload = gr.UploadButton(
            "Upload documents (" + ", ".join(sorted(SUPPORTED_SUFFIXES)) + ")",
            file_count="multiple",
            file_types=sorted(SUPPORTED_SUFFIXES),
            elem_id="upload-button",
            interactive=False,  # until the token is accepted: the upload route needs it
        )
        choice = gr.Dropdown(label="Document to delete", choices=[], elem_id="delete-choice")
        delete = gr.Button("Delete from the index", variant="stop", elem_id="delete-button")
        reindex = gr.Button("Re-index all documents", elem_id="reindex-button")
        show_withheld = gr.Button("Show withheld sentences", elem_id="withheld-button")
        admin_status = gr.Markdown("", elem_id="admin-status")
        withheld_html = gr.HTML(elem_id="withheld")
    refresh = _documents(services)

    def run(action, request: gr.Request) -> tuple:
        """An admin action's message, then the list as this caller may see it (a refused or
        failed action shows the caller's own view too, never everyone's)."""
        admin = False
        try:
            message = action().message
            admin = True
        except AdminError as exc:
            message = f"Refused: {exc}"
        except AssistantError as exc:
            message = f"Failed: {exc}"
            admin = True  # the token was accepted; the action itself failed
        return (markdown_text(message), *refresh(request, admin))

    def do_upload(secret: str, paths: list[str] | None):
        from pathlib import Path

        found = [(Path(p).name, Path(p).read_bytes()) for p in paths or []]
        return services.documents.upload(secret, found)

    def check_token(secret: str, request: gr.Request):
        if not (secret or "").strip():
            return "", gr.update(interactive=False), gr.update()
        try:
            services.guard.check(secret)
        except AdminError as exc:
            return f"Refused: {markdown_text(str(exc))}", gr.update(interactive=False), gr.update()
        accepted = "Admin token accepted: you can upload, delete and re-index."
        return accepted, gr.update(interactive=True), refresh(request, admin=True)[1]

    # Gradio stores an upload before any handler runs, so the upload route itself checks for
    # the token: the browser shows it once and gets a session cookie (ui/security.py).
    token.change(
        check_token,
        [token],
        [admin_status, upload, choice],
        js=ADMIN_SESSION_JS,
        trigger_mode="always_last",
        **PRIVATE,
    )
    outputs = [admin_status, documents_html, choice]

    # Each handler names gr.Request so that Gradio passes the caller in (``*args`` would not).
    def on_upload(secret: str, paths: list[str] | None, request: gr.Request):
        return run(lambda: do_upload(secret, paths), request)

    def on_delete(secret: str, doc: str | None, request: gr.Request):
        return run(lambda: services.documents.delete(secret, doc or ""), request)

    def on_reindex(secret: str, request: gr.Request):
        return run(lambda: services.documents.reindex(secret), request)

    upload.upload(on_upload, [token, upload], outputs, **PRIVATE)
    delete.click(on_delete, [token, choice], outputs, **PRIVATE)
    reindex.click(on_reindex, [token], outputs, **PRIVATE)

    def withheld(secret: str):
        try:
            return "", withheld_table(services.documents.flagged(secret))
        except AdminError as exc:
            return markdown_text(f"Refused: {exc}"), ""
        except AssistantError as exc:
            return markdown_text(f"Failed: {exc}"), ""

    show_withheld.click(withheld, [token], [admin_status, withheld_html], **PRIVATE)
    return [choice]
