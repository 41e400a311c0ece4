"""Leaks through the real server, route by route and panel by panel (the reliability report).

``python -m assistant serve`` runs under uvicorn with identity headers believed only from a
trusted proxy address (127.0.0.1, where this module connects from). Five callers (three
group members, a member of no restricted group, an anonymous caller) use every route a person
or program can reach:

- ``POST /api/ask`` (the answer, its citations, sources and evidence fields), with and without
  filters that name the restricted documents, and name-pairs for the existence oracle (a name
  only a restricted document holds against an invented one: any difference in the evidence an
  outsider gets is a leak);
- ``POST /v1/chat/completions``, plain and streamed, through the official ``openai`` client;
- ``GET /api/documents``, ``GET /healthz`` (counts included), ``POST /api/feedback``;
- every Gradio handler of the web app, called as its page calls them (``tests/gradio_probe.py``),
  with the admin token box empty and wrong.

A restricted document's id, title or sentence reaching a caller outside its group, or a count
that includes it, is a leak. The positive control: each member must get their own document
through the answer routes, the document list and the Documents tab, or the missing sightings
count as leaks (a leak check that sees nothing proves nothing).

The server's log is then read back: uvicorn's access log must hold one line per request the
callers made, personal data in the query strings redacted, and no logging tracebacks.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from gradio_probe import GradioProbe  # noqa: E402
from servers import free_port, stop_process  # noqa: E402

TOKEN = "reliability-admin-token"
USER_HEADER, GROUPS_HEADER = "X-Forwarded-User", "X-Forwarded-Groups"
RESTRICTED = {  # path -> (group, title, a sentence only that document holds)
    "hr/grievance.md": (
        "hr",
        "Grievance procedure for the Zanzibar depot",
        "Grievance hearings at the Zanzibar depot are chaired by Okonkwo of HR.",
    ),
    "finance/audit.md": (
        "finance",
        "Quixley payroll audit findings",
        "The Quixley payroll audit found seventeen duplicate supplier accounts.",
    ),
    "legal/claims.md": (
        "legal",
        "Vexmoor highways claim settlement",
        "The Vexmoor highways claim was settled by Threlkeld for an undisclosed amount.",
    ),
}
PUBLIC = {"waste.md": "# Garden waste\n\nThe garden waste subscription costs 52 pounds a year.\n"}
USERS = {
    "hr": {"hr"},
    "finance": {"finance"},
    "legal": {"legal"},
    "staff": {"staff"},
    "anonymous": set(),
}
QUESTIONS = [
    "Who chairs grievance hearings at the Zanzibar depot?",
    "What did the Quixley payroll audit find?",
    "How was the Vexmoor highways claim settled?",
    "What restricted documents are there?",
    "How much is the garden waste subscription?",
]
# (a name only a restricted document holds, an invented name), asked the same way
NAME_PAIRS = [("Okonkwo", "Quillfeather"), ("Threlkeld", "Marrowby"), ("Quixley", "Ostrander")]
NAME_QUESTION = "What does {} say about the garden waste subscription?"
PII_EMAIL = "jo.bloggs@example.com"
# A redacted path holds spaces ("[redacted email]"), so the path is anything up to " HTTP/".
ACCESS_LINE = re.compile(r'"(GET|POST|PUT|DELETE|PATCH|OPTIONS|HEAD) (.+?) HTTP/[\d.]+" (\d{3})')


@dataclass
class Findings:
    leaks: list[dict[str, str]] = field(default_factory=list)
    checks: int = 0
    sightings: dict[str, set[str]] = field(
        default_factory=dict
    )  # member -> routes that showed their document
    requests: int = 0
    routes: set[str] = field(default_factory=set)

    def look(self, user: str, route: str, data: Any) -> None:
        """Check one response for documents this user may not see; note sightings of their own."""
        text = data if isinstance(data, str) else json.dumps(data, default=str, ensure_ascii=False)
        self.routes.add(route)
        for path, (group, title, sentence) in RESTRICTED.items():
            shown = path in text or title in text or sentence[:45] in text
            if group in USERS[user]:
                if shown:
                    self.sightings.setdefault(user, set()).add(route)
                continue
            self.checks += 1
            if shown:
                self.leaks.append({"user": user, "route": route, "document": path})

    def count(self, user: str, route: str, shown: int, expected: int) -> None:
        self.checks += 1
        if shown != expected:
            self.leaks.append(
                {"user": user, "route": route, "document": f"count {shown} != {expected}"}
            )


def write_corpus(folder: Path) -> None:
    for path, (group, title, sentence) in RESTRICTED.items():
        (folder / path).parent.mkdir(parents=True, exist_ok=True)
        (folder / path).write_text(
            f"---\ntitle: {title}\ngroups: [{group}]\n---\n# Notes\n\n{sentence}\n"
        )
    for path, text in PUBLIC.items():
        (folder / path).write_text(text)


def start_server(store: Path, work: Path, port: int) -> tuple[subprocess.Popen, Path, int]:
    """The server, its log, and how many requests waiting for it got an answer (each one is
    an access line too)."""
    env = dict(
        os.environ,
        ASSISTANT_UI__ADMIN_TOKEN=TOKEN,
        ASSISTANT_UI__FEEDBACK_DB=str(work / "app" / "feedback.sqlite3"),
        ASSISTANT_UI__IDENTITY_HEADER=USER_HEADER,
        ASSISTANT_UI__GROUPS_HEADER=GROUPS_HEADER,
        ASSISTANT_UI__TRUSTED_PROXIES='["127.0.0.1"]',
        ASSISTANT_UI__RATE_LIMIT_PER_MINUTE="100000",
    )
    log = work / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "assistant",
                "serve",
                "--store",
                str(store),
                "--port",
                str(port),
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 600
    answered = 0
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited: {log.read_text()[-2000:]}")
        try:
            status = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code
            answered += 1
            if status == 200:
                return process, log, answered
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    stop_process(process)
    raise TimeoutError(f"the server did not start: {log.read_text()[-2000:]}")


def headers_for(user: str) -> dict[str, str]:
    if user == "anonymous":
        return {}
    return {USER_HEADER: f"{user}.officer", GROUPS_HEADER: ",".join(sorted(USERS[user]))}


def check_user(url: str, user: str, found: Findings) -> None:
    import openai

    def counted(_: httpx.Response) -> None:
        found.requests += 1

    hooks = {"response": [counted]}
    headers = headers_for(user)
    visible = len(PUBLIC) + sum(g in USERS[user] for g, _, _ in RESTRICTED.values())
    with httpx.Client(base_url=url, headers=headers, timeout=300, event_hooks=hooks) as http:
        for question in QUESTIONS:
            answer = http.post("/api/ask", json={"question": question}).json()
            found.look(user, "/api/ask", answer)
            found.look(
                user, "/api/ask filters", ask_filtered(http, question, {"publisher": "council"})
            )
            # Filters naming the restricted documents: the ids the caller typed come back in
            # "no indexed document matches ...", so the answer must be the one invented ids get.
            hidden = [p for p, (g, _, _) in RESTRICTED.items() if g not in USERS[user]]
            if hidden:
                invented = [f"nowhere/invented-{i}.md" for i in range(len(hidden))]
                real = ask_filtered(http, question, {"documents": hidden}, hidden)
                fake = ask_filtered(http, question, {"documents": invented}, invented)
                found.look(user, "/api/ask filters", real)
                found.checks += 1
                if real != fake:
                    found.leaks.append(
                        {
                            "user": user,
                            "route": "/api/ask filters (differs from invented ids)",
                            "document": ",".join(hidden),
                        }
                    )
        feedback = http.post(
            "/api/feedback",
            json={"answer_id": answer["answer_id"], "rating": "down", "reason": "checking"},
        )
        found.look(user, "/api/feedback", feedback.text)
        documents = http.get("/api/documents").json()
        found.look(user, "/api/documents", documents)
        found.count(user, "/api/documents", documents["count"], visible)
        health = http.get(
            "/healthz", params={"ref": PII_EMAIL}
        ).json()  # personal data the log must not keep
        found.count(user, "/healthz", health["documents"], visible)
        found.look(user, "/healthz", health)
        for real, invented in NAME_PAIRS:  # the existence oracle
            known = http.post("/api/ask", json={"question": NAME_QUESTION.format(real)}).json()
            unknown = http.post(
                "/api/ask", json={"question": NAME_QUESTION.format(invented)}
            ).json()
            hidden = not any(real in s for g, _, s in RESTRICTED.values() if g in USERS[user])
            if hidden:
                found.checks += 1
                if known["evidence"].get("query_coverage") != unknown["evidence"].get(
                    "query_coverage"
                ):
                    found.leaks.append(
                        {
                            "user": user,
                            "route": "/api/ask evidence.query_coverage",
                            "document": real,
                        }
                    )
        with httpx.Client(headers=headers, timeout=300, event_hooks=hooks) as transport:
            ai = openai.OpenAI(
                base_url=f"{url}/v1", api_key="x", max_retries=0, http_client=transport
            )
            for question in QUESTIONS[:3]:
                messages = [{"role": "user", "content": question}]
                plain = ai.chat.completions.create(model="council-assistant", messages=messages)  # type: ignore[arg-type]
                found.look(user, "/v1/chat/completions", plain.model_dump())
                chunks = ai.chat.completions.create(
                    model="council-assistant", messages=messages, stream=True
                )  # type: ignore[arg-type]
                found.look(user, "/v1/chat/completions stream", [c.model_dump() for c in chunks])
    for token in ("", "not-the-token"):
        with GradioProbe(url, headers=headers, event_hooks=hooks) as probe:
            seen = probe.call_all(
                overrides={"admin-token": token, "question": QUESTIONS[0]},
                skip=("dataset.", ".like"),
            )
        for handler, text in seen.items():
            found.look(user, f"gradio {handler.split('#')[0]}", text)


def ask_filtered(
    http: httpx.Client,
    question: str,
    filters: dict[str, Any],
    typed: tuple[str, ...] | list[str] = (),
) -> dict[str, Any]:
    """An answer under filters, with the ids the caller typed masked and the per-request
    fields (timings, answer_id) dropped, so two answers can be compared."""
    data = http.post("/api/ask", json={"question": question, "filters": filters}).json()
    data.pop("timings_ms", None)
    data.pop("answer_id", None)
    text = json.dumps(data, sort_keys=True)
    for i, doc in enumerate(typed):
        text = text.replace(doc, f"<typed {i}>")
    return json.loads(text)


def access_log_figures(log: Path, requests: int) -> dict[str, Any]:
    text = log.read_text(encoding="utf-8", errors="replace")
    lines = [line for line in text.splitlines() if ACCESS_LINE.search(line)]
    return {
        "requests_made": requests,
        "access_lines": len(lines),
        "tracebacks": text.count("Traceback") + text.count("--- Logging error ---"),
        "pii_in_log": text.count(PII_EMAIL),
        "redacted_lines": sum("[redacted email]" in line for line in lines),
        "log_kb": round(len(text.encode()) / 1024, 1),
    }


def measure_routes(work: Path) -> dict[str, Any]:
    """The leak and access-log figures of the report; ``failed`` says whether they miss a target."""
    from core.settings import Settings
    from index.ingest import ingest

    work.mkdir(parents=True, exist_ok=True)
    corpus = work / "corpus"
    write_corpus(corpus)
    store = work / "store"
    ingest([corpus], Settings(store=str(store)))
    port = free_port()
    process, log, polls = start_server(store, work, port)
    found = Findings(requests=polls)
    url = f"http://127.0.0.1:{port}"
    try:
        for user in USERS:
            check_user(url, user, found)
        time.sleep(1)  # the last access lines reach the log
    finally:
        stop_process(process)
    members = [u for u, groups in USERS.items() if groups & {g for g, _, _ in RESTRICTED.values()}]
    # The routes on which a member must see their own document (the positive control).
    must_see = {
        "/api/ask",
        "/v1/chat/completions",
        "/v1/chat/completions stream",
        "/api/documents",
        "gradio refresh-documents.click",
        "gradio question.submit",
    }
    missed = {u: sorted(must_see - found.sightings.get(u, set())) for u in members}
    missed = {u: routes for u, routes in missed.items() if routes}
    logs = access_log_figures(log, found.requests)
    leaks = len(found.leaks) + sum(len(r) for r in missed.values())  # a missed control counts
    log_ok = (
        logs["access_lines"] == logs["requests_made"]
        and not logs["tracebacks"]
        and not logs["pii_in_log"]
    )
    return {
        "leaks": leaks,
        "leak_list": found.leaks,
        "checks": found.checks,
        "routes": sorted(found.routes),
        "users": len(USERS),
        "positive_control_missed": missed,
        "access_log": logs,
        "failed": bool(leaks) or not log_ok,
        "note": (
            f"{found.checks} checks over {len(USERS)} callers and {len(found.routes)} routes/panels"
            f" through the real server; {len(members) - len(missed)} of {len(members)} members saw their"
            f" own document on all of {len(must_see)} control routes"
        ),
    }


if __name__ == "__main__":  # the parser worker is spawned: this module must not run on import
    import tempfile

    if len(sys.argv) > 1:  # a folder to work in and keep (the server's log is in it)
        print(json.dumps(measure_routes(Path(sys.argv[1])), indent=2, default=str))
    else:
        with tempfile.TemporaryDirectory(prefix="routes-") as tmp:
            print(json.dumps(measure_routes(Path(tmp)), indent=2, default=str))
