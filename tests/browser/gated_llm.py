"""A stand-in for an OpenAI-compatible LLM server whose stream the test holds open.

It answers from the passages the assistant sends (their own sentences, each citing its
passage, so the citation checker keeps them), streams word by word, and once ``hold_after`` sentences can be
shown (the next one written, and a dozen words after it: the checker and the prompt guard wait
for those) it waits until the test calls ``release()``. A browser test can then look at the page while the answer
is still being written, or stop the assistant's server in the middle of it. No timing: the
test waits for what it expects to see, and the gate opens only when it says so.
"""

from __future__ import annotations

import http.server
import json
import re
import threading
from typing import Any

from servers import free_port

from core.text import split_sentences

PASSAGE = re.compile(r'<passage n="(\d+)"[^\n]*>\n(.*?)\n</passage>', re.S)


def cited_sentences(prompt: str, count: int = 6) -> list[str]:
    """Whole sentences (at least six words) of the passages in order, each citing its own."""
    chosen = []
    for n, text in PASSAGE.findall(prompt):
        for sentence in split_sentences(text):
            sentence = " ".join(sentence.split())
            if (
                len(sentence.split()) >= 6
                and sentence[-1:] in ".!?"
                and not sentence.startswith(("-", "#", "|"))
            ):
                chosen.append(f"{sentence[:-1].rstrip()} [{n}]{sentence[-1]}")
    return chosen[:count]


class GatedLLM:
    def __init__(self, hold_after: int = 1, hold_limit_s: float = 120.0) -> None:
        self.hold_after = hold_after
        self.hold_limit_s = hold_limit_s
        self.gate = threading.Event()
        self.holding = threading.Event()  # set while a stream waits at the gate
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/v1"
        llm = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802 - the http.server name
                body = json.loads(
                    self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}"
                )
                prompt = "\n".join(str(m.get("content") or "") for m in body.get("messages", []))
                sentences = cited_sentences(prompt)
                if not body.get("stream"):
                    self._json(
                        {
                            "choices": [
                                {
                                    "index": 0,
                                    "message": {
                                        "role": "assistant",
                                        "content": " ".join(sentences),
                                    },
                                }
                            ]
                        }
                    )
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Connection", "close")
                self.end_headers()
                try:
                    llm._stream(self, sentences)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the assistant went away mid-answer: what the test is about
                self.close_connection = True

            def _json(self, data: dict[str, Any]) -> None:
                raw = json.dumps(data).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def _stream(self, handler: http.server.BaseHTTPRequestHandler, sentences: list[str]) -> None:
        words = " ".join(sentences).split(" ")
        # The checker shows a sentence once the next one is complete, and the prompt guard
        # passes a sentence on once a dozen words follow it: hold after those.
        held_at = min(
            len(" ".join(sentences[: self.hold_after + 1]).split(" ")) + 12, len(words) - 1
        )
        for i, word in enumerate(words):
            if i == held_at:
                self.holding.set()
                self.gate.wait(self.hold_limit_s)
            piece = word if i == 0 else " " + word
            event = {"choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]}
            handler.wfile.write(f"data: {json.dumps(event)}\n\n".encode())
            handler.wfile.flush()
        handler.wfile.write(b"data: [DONE]\n\n")
        handler.wfile.flush()

    def release(self) -> None:
        self.gate.set()

    def close_gate(self) -> None:
        self.gate.clear()
        self.holding.clear()

    def __enter__(self) -> GatedLLM:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.gate.set()
        self.httpd.shutdown()
        self.httpd.server_close()
