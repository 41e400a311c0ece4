"""The security middleware (ui/middleware.py) around a bare Starlette app: origins, headers,
body caps and the upload gate, without models or servers."""

from __future__ import annotations

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from ui.middleware import BodyLimits, SecurityMiddleware, is_upload
from ui.security import SESSION_COOKIE, AdminGuard, OriginPolicy, own_origins

pytestmark = pytest.mark.unit

OWN = "http://127.0.0.1:7860"
INTRANET = "https://intranet.test"
TOKEN = "s3cret-admin-token"


def make_client(
    calls: list[str], guard: AdminGuard | None = None, base_url: str = OWN
) -> TestClient:
    async def endpoint(request: Request):
        body = await request.body()
        calls.append(f"{request.method} {request.url.path} {len(body)}")
        return PlainTextResponse("ran")

    paths = [
        "/x",
        "/v1/chat/completions",
        "/gradio_api/upload",
        "/chat/gradio_api/upload",
        "/api/documents",
    ]
    inner = Starlette(routes=[Route(p, endpoint, methods=["GET", "POST"]) for p in paths])
    policy = OriginPolicy([INTRANET], own_origins("127.0.0.1", 7860))
    app = SecurityMiddleware(
        inner, policy, guard or AdminGuard(TOKEN), BodyLimits(max_body=1000, max_upload=5000)
    )
    return TestClient(app, base_url=base_url)


def test_other_origins_are_refused_before_anything_runs() -> None:
    calls: list[str] = []
    client = make_client(calls)
    refused = client.post("/x", headers={"Origin": "https://evil.test"})
    assert refused.status_code == 403 and "https://evil.test" in refused.json()["detail"]
    same = client.post("/x", headers={"Origin": OWN})
    assert same.status_code == 200 and "access-control-allow-origin" not in same.headers
    cross = client.post("/x", headers={"Origin": INTRANET})
    assert cross.status_code == 200 and cross.headers["access-control-allow-origin"] == INTRANET
    assert calls == ["POST /x 0", "POST /x 0"]


def test_host_header_does_not_make_an_origin_same() -> None:
    """DNS rebinding: the page's own name resolves to this server, so Host and Origin agree."""
    calls: list[str] = []
    client = make_client(calls, base_url="http://evil.example:7871")
    response = client.post("/x", headers={"Origin": "http://evil.example:7871"})
    assert response.status_code == 403 and calls == []


@pytest.mark.parametrize(
    "origin",
    [
        "http://127.0.0.1:7871.evil.example",
        "http://127.0.0.1:99999",
        "http://[::1",
        "http://x/y",
        "\x7f",
    ],
)
def test_malformed_origins_are_403_not_500(origin: str) -> None:
    calls: list[str] = []
    response = make_client(calls).post("/x", headers={"Origin": origin})
    assert (
        response.status_code == 403 and "not allowed" in response.json()["detail"] and calls == []
    )


def test_preflight_for_allowed_origins_only() -> None:
    calls: list[str] = []
    client = make_client(calls)
    headers = {"Origin": INTRANET, "Access-Control-Request-Method": "POST"}
    preflight = client.options("/x", headers=headers)
    assert (
        preflight.status_code == 204 and "POST" in preflight.headers["access-control-allow-methods"]
    )
    assert (
        client.options("/x", headers={**headers, "Origin": "https://evil.test"}).status_code == 403
    )
    assert calls == []


def test_security_headers_on_every_reply() -> None:
    client = make_client([])
    replies = [
        client.get("/x"),
        client.get("/nowhere"),  # 404
        client.post("/x", headers={"Origin": "https://evil.test"}),  # refused by the middleware
        client.post("/x", content=b"x" * 2000),  # 413
    ]
    assert [r.status_code for r in replies] == [200, 404, 403, 413]
    for reply in replies:
        assert reply.headers["x-content-type-options"] == "nosniff"
        assert reply.headers["referrer-policy"] == "same-origin"
        csp = reply.headers["content-security-policy"]
        assert f"frame-ancestors 'self' {INTRANET}" in csp and "default-src 'self'" in csp
        assert "camera=()" in reply.headers["permissions-policy"]


def test_bodies_over_the_cap_are_413_whether_announced_or_streamed() -> None:
    calls: list[str] = []
    client = make_client(calls)
    assert client.post("/x", content=b"x" * 1000).status_code == 200
    announced = client.post("/x", content=b"x" * 1001)
    assert (
        announced.status_code == 413
        and announced.json()["detail"] == "the request body is over the 1000 bytes limit"
    )

    def chunks():  # no Content-Length: the cap counts what arrives
        for _ in range(10):
            yield b"y" * 300

    streamed = client.post("/x", content=chunks())
    assert (
        streamed.status_code == 413 and "limit" in streamed.text
    )  # the app's own 413 (JSON in ours)
    assert client.post("/x", headers={"Content-Length": "nonsense"}, content=b"").status_code == 413
    assert calls == ["POST /x 1000"]


def test_openai_paths_get_openai_error_bodies() -> None:
    client = make_client([])
    refused = client.post("/v1/chat/completions", headers={"Origin": "https://evil.test"})
    assert refused.status_code == 403
    error = refused.json()["error"]
    assert (
        error["code"] == "origin_not_allowed"
        and error["type"] == "permission_error"
        and error["message"]
    )
    big = client.post("/v1/chat/completions", content=b"x" * 5000)
    assert big.status_code == 413 and big.json()["error"]["code"] == "request_too_large"


@pytest.mark.parametrize(
    "path", ["/gradio_api/upload", "/chat/gradio_api/upload", "/api/documents"]
)
def test_uploads_need_the_admin_token_before_the_body_is_read(path: str) -> None:
    calls: list[str] = []
    client = make_client(calls)
    files = {"files": ("a.txt", b"hello", "text/plain")}
    anonymous = client.post(path, files=files)
    assert anonymous.status_code == 401 and anonymous.headers["www-authenticate"] == "Bearer"
    assert "admin token" in anonymous.json()["detail"]
    assert (
        client.post(path, files=files, headers={"Authorization": "Bearer wrong"}).status_code == 401
    )
    assert calls == []
    assert (
        client.post(path, files=files, headers={"Authorization": f"Bearer {TOKEN}"}).status_code
        == 200
    )
    assert len(calls) == 1


def test_an_admin_session_cookie_opens_the_upload_route() -> None:
    calls: list[str] = []
    guard = AdminGuard(TOKEN)
    client = make_client(calls, guard)
    files = {"files": ("a.txt", b"hello", "text/plain")}
    client.cookies.set(SESSION_COOKIE, "123.forged")
    assert client.post("/gradio_api/upload", files=files).status_code == 401
    client.cookies.set(SESSION_COOKIE, guard.new_session())
    assert client.post("/gradio_api/upload", files=files).status_code == 200
    # uploads get the larger cap; other routes keep the small one
    assert (
        client.post(
            "/gradio_api/upload", files={"f": ("b.txt", b"z" * 3000, "text/plain")}
        ).status_code
        == 200
    )
    assert client.post("/x", content=b"z" * 3000).status_code == 413


def test_uploads_are_refused_when_admin_is_disabled() -> None:
    calls: list[str] = []
    response = make_client(calls, AdminGuard(None)).post(
        "/gradio_api/upload",
        files={"files": ("a.txt", b"x")},
        headers={"Authorization": "Bearer anything"},
    )
    assert response.status_code == 403 and "disabled" in response.json()["detail"] and calls == []


def test_is_upload() -> None:
    assert is_upload("POST", "/gradio_api/upload") and is_upload("POST", "/chat/gradio_api/upload/")
    assert is_upload("POST", "/api/documents") and is_upload("POST", "//gradio_api//upload")
    assert not is_upload("GET", "/gradio_api/upload")
    assert not is_upload("POST", "/api/documents/reindex")
    assert not is_upload("POST", "/gradio_api/upload_progress")
