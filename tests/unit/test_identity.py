"""The caller's identity comes only from a trusted proxy; everyone else is anonymous."""

from __future__ import annotations

import pytest

from core.settings import UISettings
from core.types import Access
from ui.identity import ANONYMOUS, IdentityPolicy

pytestmark = pytest.mark.unit

HEADERS = {"X-Forwarded-User": "jo.bloggs", "X-Forwarded-Groups": "HR, staff;finance"}


def policy(**changes: object) -> IdentityPolicy:
    ui = UISettings(
        identity_header="X-Forwarded-User",
        groups_header="X-Forwarded-Groups",
        trusted_proxies=["10.1.2.3", "192.168.0.0/24"],
    ).model_copy(update=changes)
    return IdentityPolicy.from_settings(ui)


def test_a_trusted_proxy_names_the_user_and_groups() -> None:
    assert policy().access_for("10.1.2.3", HEADERS) == Access(
        "jo.bloggs", frozenset({"hr", "staff", "finance"})
    )
    assert policy().access_for("192.168.0.77", HEADERS).user == "jo.bloggs"


@pytest.mark.parametrize("peer", ["10.1.2.4", "8.8.8.8", None, "", "not-an-ip", "192.168.1.1"])
def test_headers_from_anyone_else_are_ignored(peer) -> None:
    assert policy().access_for(peer, HEADERS) == ANONYMOUS


def test_no_user_or_no_configuration_means_anonymous() -> None:
    assert policy().access_for("10.1.2.3", {"X-Forwarded-Groups": "hr"}) == ANONYMOUS
    assert policy(trusted_proxies=[]).access_for("10.1.2.3", HEADERS) == ANONYMOUS
    assert IdentityPolicy.from_settings(UISettings()).access_for("127.0.0.1", HEADERS) == ANONYMOUS


def test_anonymous_sees_only_public_documents() -> None:
    from core.types import DocumentMeta

    assert DocumentMeta("public.md").visible_to(ANONYMOUS)
    assert not DocumentMeta("hr.md", groups=("hr",)).visible_to(ANONYMOUS)


def test_header_values_are_bounded_and_printable() -> None:
    access = policy().access_for(
        "10.1.2.3", {"X-Forwarded-User": "jo\x00\r\nbloggs" + "x" * 10_000}
    )
    assert access.user is not None and "\n" not in access.user and len(access.user) <= 4096
