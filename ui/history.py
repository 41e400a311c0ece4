"""The chat's saved conversations: restored on load, listed, reopened, deleted, started anew.

The browser keeps only a random id (and which conversation is open) in its local storage;
the conversations themselves live on the server (``ui/conversations.py``), which checks on
every call that they belong to this browser, or to the user the intranet names.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import gradio as gr

from core.settings import HISTORY_TURNS
from core.types import Answer
from ui.conversations import SavedTurn, new_browser_id, valid_browser_id
from ui.render import answer_markdown, markdown_text
from ui.services import Services

BROWSER_KEY = "council-assistant-browser"
# Gradio obfuscates local storage with this; it must not change between restarts, or every
# browser would lose its id (and so its conversations). The id itself is the secret.
BROWSER_SECRET = "council-assistant-conversations-v1"


def browser_state(value: Any) -> dict[str, Any]:
    """``{"browser": id, "conversation": id | None}``; a fresh browser id if there is none."""
    value = value if isinstance(value, dict) else {}
    browser = valid_browser_id(value.get("browser")) or new_browser_id()
    conversation = value.get("conversation")
    return {
        "browser": browser,
        "conversation": conversation if isinstance(conversation, str) else None,
    }


def answer_key(index: int) -> str:
    """What makes the ids of the message at ``index`` unique in the page."""
    return f"m{index}"


def rebuild(
    saved: list[SavedTurn], screen: Callable[[Answer], Answer] = lambda a: a
) -> tuple[list[dict[str, str]], list[dict[str, str]], dict[str, Any]]:
    """The chat messages, follow-up turns and answers (for feedback) of a saved conversation,
    each answer shown as ``screen`` lets this caller see it now."""
    chat: list[dict[str, str]] = []
    turns: list[dict[str, str]] = []
    answers: dict[str, Any] = {}
    for turn in saved:
        answer = screen(turn.answer)
        chat.append({"role": "user", "content": markdown_text(turn.question)})
        index = len(chat)
        chat.append({"role": "assistant", "content": answer_markdown(answer, answer_key(index))})
        answers[str(index)] = answer.to_dict()
        turns.append({"question": turn.question, "answer": answer.answer})
    return chat, turns[-HISTORY_TURNS:], answers


def saved_list(services: Services, state: dict[str, Any], user: str | None) -> Any:
    """The list of this browser's (or user's) conversations, the open one selected."""
    found = services.conversations.list(state["browser"], user)
    choices = [(s.label(), s.id) for s in found]
    current = state["conversation"] if state["conversation"] in {s.id for s in found} else None
    info = "" if found else "None yet: each conversation is saved here as you ask."
    return gr.update(choices=choices, value=current, info=info)


def save(
    services: Services, state: dict[str, Any], question: str, answer: Answer, request: Any
) -> dict[str, Any]:
    conversation = services.conversations.save_turn(
        state["browser"], state["conversation"], question, answer, user=services.caller(request)
    )
    return {**state, "conversation": conversation}


def on_load(services: Services):
    """Reopen the conversation this browser had open, and list the saved ones."""

    def load(stored: Any, request: gr.Request):
        state = browser_state(stored)
        user = services.caller(request)
        saved = services.conversations.load(state["browser"], state["conversation"] or "", user)
        if not saved:  # leave the chat alone: a question may already be on its way
            state["conversation"] = None
            keep = gr.update()
            return state, keep, keep, keep, saved_list(services, state, user)
        chat, turns, answers = rebuild(saved, _screen(services, request))
        return state, chat, turns, answers, saved_list(services, state, user)

    return load


def on_open(services: Services):
    def open_selected(stored: Any, selected: str | None, request: gr.Request):
        state = browser_state(stored)
        user = services.caller(request)
        saved = (
            services.conversations.load(state["browser"], selected or "", user)
            if selected
            else None
        )
        if saved is None:
            message = (
                "Choose a conversation in the list first."
                if not selected
                else "That conversation is no longer saved."
            )
            return (
                state,
                gr.update(),
                gr.update(),
                gr.update(),
                saved_list(services, state, user),
                message,
            )
        state["conversation"] = selected
        chat, turns, answers = rebuild(saved, _screen(services, request))
        message = f"Reopened a conversation of {len(saved)} question(s): ask a follow-up below."
        return state, chat, turns, answers, saved_list(services, state, user), message

    return open_selected


def _screen(services: Services, request: Any) -> Callable[[Answer], Answer]:
    access = services.access(request)
    return lambda answer: services.screen(answer, access)


def on_delete(services: Services):
    def delete_selected(stored: Any, selected: str | None, request: gr.Request):
        state = browser_state(stored)
        user = services.caller(request)
        if not selected:
            return (
                state,
                gr.update(),
                gr.update(),
                gr.update(),
                saved_list(services, state, user),
                "Choose a conversation in the list first.",
            )
        deleted = services.conversations.delete(state["browser"], selected, user)
        keep: Any = gr.update()  # each output below keeps its value or gets a new one
        chat = turns = answers = keep
        if selected == state["conversation"]:
            state["conversation"] = None
            chat, turns, answers = [], [], {}
        message = (
            "The conversation is deleted." if deleted else "That conversation is no longer saved."
        )
        return state, chat, turns, answers, saved_list(services, state, user), message

    return delete_selected


def on_new(services: Services):
    def new(stored: Any, request: gr.Request):
        state = {**browser_state(stored), "conversation": None}
        message = (
            "Started a new conversation; earlier ones are under Your conversations."
            if services.conversations.enabled
            else "Conversation cleared."
        )
        return state, [], [], {}, saved_list(services, state, services.caller(request)), message

    return new
