"""Origins, the rate limit and the admin token (ui/security.py), without models or servers."""

from __future__ import annotations

import pytest
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from ui.security import (
    AdminError,
    AdminGuard,
    OriginPolicy,
    RateLimiter,
    SecurityMiddleware,
    client_key,
    normalise_origin,
)

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    "given, expected",
    [
        ("https://Intranet.Example.gov.uk/", "https://intranet.example.gov.uk"),
        ("http://host:80", "http://host"),
        ("https://host:443", "https://host"),
        ("http://host:8080", "http://host:8080"),
        ("null", "null"),
    ],
)
def test_normalise_origin(given: str, expected: str) -> None:
    assert normalise_origin(given) == expected


def test_origin_policy_same_origin_only_by_default() -> None:
    policy = OriginPolicy()
    assert policy.decide(None, "http", "127.0.0.1:7860") == "same"
    assert policy.decide("http://127.0.0.1:7860", "http", "127.0.0.1:7860") == "same"
    assert policy.decide("http://localhost:7860", "http", "127.0.0.1:7860") == "refused"
    assert policy.decide("https://127.0.0.1:7860", "http", "127.0.0.1:7860") == "refused"
    assert policy.decide("null", "http", "127.0.0.1:7860") == "refused"
    assert policy.frame_ancestors() == "'self'"


def test_origin_policy_allows_listed_origins_only() -> None:
    policy = OriginPolicy(["https://intranet.example.gov.uk/", " "])
    assert policy.decide("https://INTRANET.example.gov.uk", "http", "a:1") == "cross"
    assert policy.decide("https://intranet.example.gov.uk.evil.test", "http", "a:1") == "refused"
    assert policy.decide("http://intranet.example.gov.uk", "http", "a:1") == "refused"
    assert policy.frame_ancestors() == "'self' https://intranet.example.gov.uk"


def test_rate_limiter_window_and_keys() -> None:
    now = [1000.0]
    limiter = RateLimiter(3, clock=lambda: now[0])
    assert [limiter.hit("a") for _ in range(3)] == [None, None, None]
    wait = limiter.hit("a")
    assert wait is not None and 59 <= wait <= 60
    assert limiter.hit("b") is None  # another client has its own allowance
    now[0] += 30
    assert limiter.hit("a") == pytest.approx(30, abs=0.2)
    now[0] += 30.1
    assert limiter.hit("a") is None  # the first hits have left the window


def test_rate_limiter_zero_means_unlimited() -> None:
    limiter = RateLimiter(0)
    assert all(limiter.hit("a") is None for _ in range(500))


def test_admin_guard() -> None:
    with pytest.raises(AdminError) as disabled:
        AdminGuard(None).check("anything")
    assert disabled.value.status == 403 and "disabled" in str(disabled.value)
    guard = AdminGuard("s3cret-token")
    assert guard.enabled
    guard.check("s3cret-token")
    guard.check_bearer("Bearer s3cret-token")
    for wrong in (None, "", "s3cret", "s3cret-token-x"):
        with pytest.raises(AdminError) as refused:
            guard.check(wrong)
        assert refused.value.status == 401
    with pytest.raises(AdminError):
        guard.check_bearer("Basic s3cret-token")


def test_client_key() -> None:
    assert client_key(("10.0.0.5", 5555)) == "10.0.0.5"
    assert client_key(None) == "unknown"


def _app(calls: list[str], allowed: list[str]) -> TestClient:
    async def endpoint(request):
        calls.append(request.method)
        return PlainTextResponse("ran")

    inner = Starlette(routes=[Route("/x", endpoint, methods=["GET", "POST"])])
    return TestClient(SecurityMiddleware(inner, OriginPolicy(allowed)), base_url="http://app.test")


def test_middleware_refuses_other_origins_before_running_anything() -> None:
    calls: list[str] = []
    client = _app(calls, ["https://intranet.test"])
    refused = client.post("/x", headers={"Origin": "https://evil.test"})
    assert refused.status_code == 403
    assert "https://evil.test" in refused.json()["detail"]
    assert calls == []  # the endpoint never ran

    same = client.post("/x", headers={"Origin": "http://app.test"})
    assert same.status_code == 200 and same.text == "ran"
    assert "access-control-allow-origin" not in same.headers
    assert same.headers["content-security-policy"] == "frame-ancestors 'self' https://intranet.test"
    assert same.headers["x-content-type-options"] == "nosniff"

    cross = client.post("/x", headers={"Origin": "https://intranet.test"})
    assert cross.status_code == 200
    assert cross.headers["access-control-allow-origin"] == "https://intranet.test"
    assert calls == ["POST", "POST"]


def test_middleware_answers_preflight_for_allowed_origins() -> None:
    calls: list[str] = []
    client = _app(calls, ["https://intranet.test"])
    headers = {"Origin": "https://intranet.test", "Access-Control-Request-Method": "POST"}
    preflight = client.options("/x", headers=headers)
    assert preflight.status_code == 204
    assert "POST" in preflight.headers["access-control-allow-methods"]
    assert client.options("/x", headers={**headers, "Origin": "https://evil.test"}).status_code == 403
    assert calls == []
