"""Call every event handler of a running Gradio app the way its own page does, and collect
what comes back: a leak check for the web app's panels that covers handlers the API hides.

The app's events are ``api_visibility="private"``, so Gradio's client libraries refuse them;
the page itself (and anyone who copies its requests) calls them by ``fn_index`` through
``/gradio_api/queue/join`` and reads the answer from the ``/gradio_api/queue/data`` event
stream. This module does exactly that, with the inputs the page would send on load (each
input component's initial value) and any overrides (the admin token box left empty or filled
with a wrong token, a question typed), under whatever headers the caller gives (identity
headers from a trusted proxy, for the positive control).

    probe = GradioProbe("http://127.0.0.1:7860", headers={...})
    texts = probe.call_all(overrides={"admin-token": "wrong"})   # {handler: repr of its outputs}
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx

STREAMING_TIMEOUT_S = 300.0  # an answer streams for a while on a busy machine


@dataclass
class Handler:
    fn_index: int
    trigger_id: int | None
    inputs: list[int]
    outputs: list[int]
    name: str


@dataclass
class GradioProbe:
    base_url: str
    headers: dict[str, str] = field(default_factory=dict)
    timeout_s: float = STREAMING_TIMEOUT_S
    event_hooks: dict[str, list[Any]] = field(
        default_factory=dict
    )  # httpx's, e.g. to count requests

    def __post_init__(self) -> None:
        self.base_url = self.base_url.rstrip("/")
        self.http = httpx.Client(
            base_url=self.base_url,
            headers=self.headers,
            timeout=self.timeout_s,
            event_hooks=self.event_hooks,
        )
        self.config = self.http.get("/config").raise_for_status().json()
        self.components = {c["id"]: c for c in self.config["components"]}

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> GradioProbe:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def handlers(self) -> list[Handler]:
        found = []
        for index, dep in enumerate(self.config["dependencies"]):
            if dep.get("backend_fn") is False:
                continue  # a front-end-only event: nothing reaches the server
            targets = dep.get("targets") or [[None, "load"]]
            trigger_id, event = targets[0][0], targets[0][1]
            owner = self.components.get(trigger_id, {}) if trigger_id is not None else {}
            label = (owner.get("props") or {}).get("elem_id") or owner.get("type") or "page"
            found.append(
                Handler(
                    index,
                    trigger_id,
                    list(dep["inputs"]),
                    list(dep["outputs"]),
                    f"{label}.{event}#{index}",
                )
            )
        return found

    def initial(self, component_id: int, overrides: dict[str, Any]) -> Any:
        component = self.components.get(component_id, {})
        props = component.get("props") or {}
        elem_id = props.get("elem_id")
        if elem_id in overrides:
            return overrides[elem_id]
        return props.get("value")

    def call(self, handler: Handler, overrides: dict[str, Any] | None = None) -> list[Any]:
        """The handler's final outputs (every streamed update kept, joined), as the page gets them."""
        session = uuid.uuid4().hex[:11]
        data = [self.initial(i, overrides or {}) for i in handler.inputs]
        body = {
            "data": data,
            "event_data": None,
            "fn_index": handler.fn_index,
            "trigger_id": handler.trigger_id,
            "session_hash": session,
        }
        joined = self.http.post("/gradio_api/queue/join", json=body)
        if joined.status_code != 200:
            return [f"<queue/join {joined.status_code}: {joined.text[:200]}>"]
        outputs: list[Any] = []
        with self.http.stream(
            "GET", "/gradio_api/queue/data", params={"session_hash": session}
        ) as stream:
            for line in stream.iter_lines():
                if not line.startswith("data:"):
                    continue
                message = json.loads(line[5:])
                kind = message.get("msg")
                if kind in ("process_generating", "process_completed"):
                    outputs.append((message.get("output") or {}).get("data"))
                    if kind == "process_completed":
                        if not message.get("success", True):
                            outputs.append(f"<error: {message.get('output')}>")
                        break
                elif kind in ("close_stream", "unexpected_error"):
                    outputs.append(message)
                    break
        return outputs

    def call_all(
        self, overrides: dict[str, Any] | None = None, skip: tuple[str, ...] = ()
    ) -> dict[str, str]:
        """{handler name: everything it sent back, as text} for every server-side handler."""
        seen = {}
        for handler in self.handlers():
            if any(s in handler.name for s in skip):
                continue
            seen[handler.name] = repr(self.call(handler, overrides))
        return seen
