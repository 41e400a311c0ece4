"""Origins, the rate limit and the admin token (ui/security.py), without models or servers."""

from __future__ import annotations

import pytest

from ui.security import (
    AdminError,
    AdminGuard,
    OriginPolicy,
    RateLimiter,
    client_key,
    normalise_origin,
    own_origins,
)

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    "given, expected",
    [
        ("https://Intranet.Example.gov.uk/", "https://intranet.example.gov.uk"),
        ("http://host:80", "http://host"),
        ("https://host:443", "https://host"),
        ("http://host:8080", "http://host:8080"),
        ("http://[::1]:7860", "http://[::1]:7860"),
        ("null", "null"),
    ],
)
def test_normalise_origin(given: str, expected: str) -> None:
    assert normalise_origin(given) == expected


@pytest.mark.parametrize(
    "malformed",
    [
        "http://127.0.0.1:7871.evil.example",  # a "port" that is not a number
        "http://127.0.0.1:99999",
        "http://127.0.0.1:-1",
        "http://127.0.0.1:7860/path",
        "http://user@127.0.0.1:7860",
        "http://127.0.0.1:7860?x=1",
        "ftp://127.0.0.1",
        "javascript:alert(1)",
        "127.0.0.1:7860",
        "http://",
        "http://[::1",
        "",
        "http://a b",
    ],
)
def test_malformed_origins_are_none(malformed: str) -> None:
    assert normalise_origin(malformed) is None
    assert (
        OriginPolicy(["http://127.0.0.1:7860"], own_origins("127.0.0.1", 7860)).decide(malformed)
        == "refused"
    )


def test_own_origins_from_the_configured_address() -> None:
    loopback = {"http://127.0.0.1:7860", "http://localhost:7860", "http://[::1]:7860"}
    assert own_origins("127.0.0.1", 7860) == loopback
    assert own_origins("localhost", 7860) == loopback
    assert own_origins("10.1.2.3", 8080) == {"http://10.1.2.3:8080"}
    assert own_origins("assistant.council.gov.uk", 80) == {"http://assistant.council.gov.uk"}
    assert loopback <= own_origins("0.0.0.0", 7860)


def test_origin_policy_same_origin_is_the_configured_one_not_the_host_header() -> None:
    policy = OriginPolicy((), own_origins("127.0.0.1", 7860))
    assert policy.decide(None) == "same"
    assert policy.decide("http://127.0.0.1:7860") == "same"
    assert policy.decide("http://localhost:7860") == "same"
    assert policy.decide("http://127.0.0.1:7861") == "refused"
    assert policy.decide("https://127.0.0.1:7860") == "refused"
    assert (
        policy.decide("http://evil.example:7860") == "refused"
    )  # DNS rebinding: Host agrees, still refused
    assert policy.decide("null") == "refused"
    assert policy.frame_ancestors() == "'self'"


def test_origin_policy_allows_listed_origins_only() -> None:
    policy = OriginPolicy(
        ["https://intranet.example.gov.uk/", " ", "http://bad:port"], own_origins("127.0.0.1", 7860)
    )
    assert policy.decide("https://INTRANET.example.gov.uk") == "cross"
    assert policy.decide("https://intranet.example.gov.uk.evil.test") == "refused"
    assert policy.decide("http://intranet.example.gov.uk") == "refused"
    assert policy.frame_ancestors() == "'self' https://intranet.example.gov.uk"
    csp = policy.content_security_policy()
    assert "frame-ancestors 'self' https://intranet.example.gov.uk" in csp
    assert "default-src 'self'" in csp and "object-src 'none'" in csp


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


def test_admin_sessions_are_signed_and_expire() -> None:
    now = [1_000_000.0]
    guard = AdminGuard("s3cret-token", clock=lambda: now[0])
    session = guard.new_session()
    assert guard.session_valid(session)
    expires, _, signature = session.partition(".")
    assert not guard.session_valid(
        f"{int(expires) + 9999}.{signature}"
    )  # a longer life is not signed
    assert not guard.session_valid(session + "0")
    assert (
        not guard.session_valid("")
        and not guard.session_valid(None)
        and not guard.session_valid("x.y")
    )
    assert not AdminGuard("s3cret-token").session_valid(session)  # another process, another key
    now[0] += 9 * 3600
    assert not guard.session_valid(session)
    assert not AdminGuard(None).session_valid(AdminGuard(None).new_session())


def test_client_key() -> None:
    assert client_key(("10.0.0.5", 5555)) == "10.0.0.5"
    assert client_key(None) == "unknown"
