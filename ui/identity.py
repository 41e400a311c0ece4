"""Who is asking: an identity and groups from a trusted reverse proxy, never from the client.

An intranet puts the assistant behind a proxy that signs users in (oauth2-proxy, Apache
mod_auth_mellon, IIS ARR...) and forwards headers such as ``X-Forwarded-User`` and
``X-Forwarded-Groups``. Those headers are believed only on connections from the configured
proxy addresses; anyone else could type them. A request without a trusted identity is anonymous
and sees only documents that name no groups. Everything a user can see is then filtered by
``core.types.Access`` inside the store's queries.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass

from core.settings import UISettings
from core.types import Access

GROUP_SPLIT = re.compile(r"[,;\s]+")
MAX_HEADER_CHARS = 4096
ANONYMOUS = Access(user=None, groups=frozenset())


@dataclass(frozen=True)
class IdentityPolicy:
    user_header: str | None
    groups_header: str | None
    trusted_proxies: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]

    @classmethod
    def from_settings(cls, ui: UISettings) -> IdentityPolicy:
        proxies = tuple(ipaddress.ip_network(p, strict=False) for p in ui.trusted_proxies)
        return cls(ui.identity_header, ui.groups_header, proxies)

    @property
    def enabled(self) -> bool:
        return bool(self.user_header and self.trusted_proxies)

    def trusts(self, peer: str | None) -> bool:
        try:
            address = ipaddress.ip_address(peer or "")
        except ValueError:
            return False
        return any(address in network for network in self.trusted_proxies)

    def access_for(self, peer: str | None, headers: Mapping[str, str]) -> Access:
        """The caller's access from the proxy's headers, or anonymous when not from a proxy."""
        if not self.enabled or not self.trusts(peer):
            return ANONYMOUS
        user = _clean(headers.get(self.user_header or "", ""))
        if not user:
            return ANONYMOUS
        groups: frozenset[str] = frozenset()
        if self.groups_header:
            raw = _clean(headers.get(self.groups_header, ""))
            groups = frozenset(g.lower() for g in GROUP_SPLIT.split(raw) if g)
        return Access(user=user, groups=groups)


def _clean(value: str) -> str:
    value = (value or "")[:MAX_HEADER_CHARS]
    return "".join(c for c in value if c.isprintable()).strip()
