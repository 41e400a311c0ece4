"""Contact points (e-mail addresses, URLs, IP addresses, phone numbers) and whether the
document's publisher owns them, judged on text with look-alike letters folded.

Wording plays no part here: a sentence that hands the reader an address is judged by the
address. An address is the publisher's when it is under the document's own source domain, a
public-sector suffix (``gov.uk`` ...) or a domain the council lists in
``ASSISTANT_INGEST__POISON__TRUSTED_DOMAINS``; phone numbers and IP addresses only when the
council lists them (``TRUSTED_PHONE_NUMBERS``, ``TRUSTED_IPS``). A domain merely *named*
after the publisher (``fees@ncsc.com``) is not proof of ownership: anyone can register it.

Before anything is matched, text is folded: NFKC (full-width and mathematical letters),
invisible format characters removed (zero-width space/joiner, soft hyphen, word joiner, tag
characters), and Cyrillic/Greek letters that look Latin mapped to the Latin letter.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlparse

# Letters of other scripts drawn like Latin ones (Unicode confusables, the common subset).
_CONFUSABLES = {
    # Cyrillic
    "а": "a",
    "в": "b",
    "с": "c",
    "е": "e",
    "һ": "h",
    "і": "i",
    "ј": "j",
    "к": "k",
    "м": "m",
    "н": "h",
    "о": "o",
    "р": "p",
    "г": "r",
    "ѕ": "s",
    "т": "t",
    "у": "y",
    "х": "x",
    "ԁ": "d",
    "ԛ": "q",
    "ԝ": "w",
    "ү": "y",
    "ӏ": "l",
    "ё": "e",
    "ї": "i",
    "А": "A",
    "В": "B",
    "С": "C",
    "Е": "E",
    "Н": "H",
    "І": "I",
    "Ј": "J",
    "К": "K",
    "М": "M",
    "О": "O",
    "Р": "P",
    "Ѕ": "S",
    "Т": "T",
    "Х": "X",
    "У": "Y",
    "Ү": "Y",
    "Ԁ": "D",
    "Ԛ": "Q",
    "Ԝ": "W",
    "Ӏ": "I",
    # Greek
    "α": "a",
    "β": "b",
    "ε": "e",
    "ι": "i",
    "κ": "k",
    "ν": "v",
    "ο": "o",
    "ρ": "p",
    "τ": "t",
    "υ": "u",
    "χ": "x",
    "γ": "y",
    "ω": "w",
    "Α": "A",
    "Β": "B",
    "Ε": "E",
    "Ζ": "Z",
    "Η": "H",
    "Ι": "I",
    "Κ": "K",
    "Μ": "M",
    "Ν": "N",
    "Ο": "O",
    "Ρ": "P",
    "Τ": "T",
    "Υ": "Y",
    "Χ": "X",
    # Latin look-alikes outside ASCII that NFKC keeps
    "ı": "i",
    "ȷ": "j",
    "ɑ": "a",
    "ɡ": "g",
    "ᴏ": "o",
    "ꓲ": "I",
    "ǀ": "l",
}
_FOLD = str.maketrans(_CONFUSABLES)
_LATIN_LOOKALIKE = frozenset(_CONFUSABLES)


def fold(text: str) -> str:
    """``text`` as a reader sees it: NFKC, invisible characters dropped, look-alikes Latin."""
    text = unicodedata.normalize("NFKC", text)
    text = "".join(c for c in text if unicodedata.category(c) != "Cf")
    return text.translate(_FOLD)


def disguised(text: str) -> bool:
    """Invisible characters, or a word mixing Latin with look-alike letters of another script."""
    if any(unicodedata.category(c) == "Cf" for c in text):
        return True
    for word in re.findall(r"\w+", text):
        if any(c in _LATIN_LOOKALIKE for c in word) and any("a" <= c.lower() <= "z" for c in word):
            return True
    return False


# Bounded repeats keep these linear on text built to make them backtrack.
EMAIL = re.compile(r"\b[\w.+-]{1,64}@((?:[a-z0-9-]{1,63}\.){1,10}[a-z][a-z0-9-]{1,62})\b", re.I)
URL = re.compile(
    r"\b(?:https?|ftp)://([^\s/:?#\])>\"'<]{1,253})|\bwww\.((?:[a-z0-9-]{1,63}\.){1,10}[a-z]{2,63})\b",
    re.I,
)
BARE_DOMAIN = re.compile(
    r"(?<![@\w.-])((?:[a-z0-9-]{1,63}\.){1,10}(?:com|net|org|info|biz|io|co|uk|eu|example|xyz|top|"
    r"site|online|click|link|live|app|dev|help|fr|de|es|pl|pt|nl|it|ru|cn|tk|me|cloud))\b(?![@\w-])",
    re.I,
)
IPV4 = re.compile(
    r"(?<![\d.])((?:25[0-5]|2[0-4]\d|1?\d?\d)(?:\.(?:25[0-5]|2[0-4]\d|1?\d?\d)){3})(?![\d.])"
)
# UK-style and international numbers: 10-13 digits with spaces/dashes/brackets, or a
# 5-6 digit SMS short code after "text"/"sms".
PHONE = re.compile(r"(?<![\w+])((?:\+\d|\(0|0)[\d \-()]{8,17}\d)(?![\w])")
SHORT_CODE = re.compile(r"\b(?:text|sms|txt)\b[^.\d]{0,40}?\b(\d{5,6})\b", re.I)
IBAN_OR_ACCOUNT = re.compile(
    r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b"
    r"|\bsort\s+code:?\s+\d{2}-\d{2}-\d{2}\b|\b\d{2}-\d{2}-\d{2}[\s,]+(?:account\s+)?\d{8}\b"
    r"|\baccount(?:\s+(?:number|no\.?))?:?\s+\d{8}\b",
    re.I,
)
TWO_LEVEL_SUFFIXES = {
    "co",
    "org",
    "gov",
    "ac",
    "nhs",
    "police",
    "ltd",
    "plc",
    "net",
    "sch",
    "me",
    "mod",
}


@dataclass(frozen=True)
class ContactPoint:
    kind: str  # email | url | domain | ip | phone | account
    text: str  # as it appears in the folded text
    start: int
    end: int
    domain: str = ""  # lower-case host for email/url/domain


def contact_points(folded: str) -> list[ContactPoint]:
    """Every contact point in already-folded text, leftmost first, without overlaps."""
    found: list[ContactPoint] = []
    for m in EMAIL.finditer(folded):
        found.append(ContactPoint("email", m.group(0), m.start(), m.end(), _host(m.group(1))))
    for m in URL.finditer(folded):
        host = m.group(1) or m.group(2)
        kind = "ip" if IPV4.fullmatch(host.split(":")[0]) else "url"
        found.append(
            ContactPoint(kind, m.group(0), m.start(), _url_end(folded, m.end()), _host(host))
        )
    for m in BARE_DOMAIN.finditer(folded):
        found.append(ContactPoint("domain", m.group(1), m.start(1), m.end(1), _host(m.group(1))))
    for m in IPV4.finditer(folded):
        found.append(ContactPoint("ip", m.group(1), m.start(1), m.end(1), m.group(1)))
    for m in IBAN_OR_ACCOUNT.finditer(folded):
        found.append(ContactPoint("account", m.group(0), m.start(), m.end()))
    for m in PHONE.finditer(folded):
        digits = re.sub(r"\D", "", m.group(1))
        if 10 <= len(digits) <= 13 and not _looks_like_date_or_range(m.group(1)):
            found.append(ContactPoint("phone", m.group(1), m.start(1), m.end(1)))
    for m in SHORT_CODE.finditer(folded):
        found.append(ContactPoint("phone", m.group(1), m.start(1), m.end(1)))
    found.sort(key=lambda c: (c.start, -(c.end - c.start)))
    kept: list[ContactPoint] = []
    for point in found:
        if kept and point.start < kept[-1].end:
            continue
        kept.append(point)
    return kept


def owned(
    point: ContactPoint,
    source: str,
    trusted_domains: Iterable[str],
    trusted_numbers: Iterable[str] = (),
    trusted_ips: Iterable[str] = (),
) -> bool:
    """Whether the publisher of a document from ``source`` owns this contact point."""
    if point.kind in ("email", "url", "domain"):
        return domain_owned(point.domain, source, trusted_domains)
    if point.kind == "ip":
        return point.domain in set(trusted_ips)
    if point.kind == "phone":
        digits = _national(point.text)
        return any(digits == _national(n) for n in trusted_numbers)
    return False  # bank accounts are never a document's to hand out


def domain_owned(domain: str, source: str, trusted_domains: Iterable[str]) -> bool:
    domain = domain.lower().rstrip(".").removeprefix("www.")
    if any(domain == s or domain.endswith("." + s.lower().lstrip(".")) for s in trusted_domains):
        return True
    host = source_host(source)
    return bool(host) and registrable(domain) == registrable(host)


def source_host(source: str) -> str:
    """The host a document came from, when its ``source`` is a web address."""
    if not source:
        return ""
    text = source.strip().split()[0]
    if not re.match(r"^[a-z][a-z0-9+.-]*://", text, re.I):
        return ""  # "github.com/owner/repo @ commit" says where a copy was taken, not who owns it
    return (urlparse(text).hostname or "").lower()


def registrable(domain: str) -> str:
    """The part of a domain its owner registered: ``ncsc.gov.uk``, ``evil.example``."""
    labels = domain.lower().removeprefix("www.").split(".")
    if len(labels) >= 3 and len(labels[-1]) == 2 and labels[-2] in TWO_LEVEL_SUFFIXES:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


def is_public_ip(text: str) -> bool:
    try:
        return not ipaddress.ip_address(text).is_private
    except ValueError:
        return False


def _host(host: str) -> str:
    return host.lower().rstrip(".").removeprefix("www.")


def _url_end(text: str, end: int) -> int:
    """A URL runs to the next space or closing bracket, without trailing punctuation."""
    while end < len(text) and not text[end].isspace() and text[end] not in ")]>\"'<":
        end += 1
    while end > 0 and text[end - 1] in ".,;:!?":
        end -= 1
    return end


def _national(number: str) -> str:
    digits = re.sub(r"\D", "", number)
    return "0" + digits[2:] if digits.startswith("44") and len(digits) >= 11 else digits


def _looks_like_date_or_range(text: str) -> bool:
    """ "2019-2020 1234", "1 2 3 4 5 6 7 8 9 10": runs of short numbers, not a phone."""
    groups = re.findall(r"\d+", text)
    return len(groups) > 4 or bool(re.fullmatch(r"(19|20)\d\d\s*-\s*(19|20)?\d\d.*", text.strip()))


def fold_with_offsets(text: str) -> tuple[str, list[int]]:
    """``fold(text)`` character by character, with each folded character's index in ``text``."""
    out: list[str] = []
    offsets: list[int] = []
    for i, char in enumerate(text):
        if unicodedata.category(char) == "Cf":
            continue
        for piece in unicodedata.normalize("NFKC", char).translate(_FOLD):
            out.append(piece)
            offsets.append(i)
    return "".join(out), offsets


MASK = "[contact withheld: not the publisher's]"


def unowned_points(
    text: str,
    source: str,
    trusted_domains: Iterable[str],
    trusted_numbers: Iterable[str] = (),
    trusted_ips: Iterable[str] = (),
) -> list[tuple[int, int, str]]:
    """(start, end, folded text) in ``text`` of each contact point the publisher does not own."""
    folded, offsets = fold_with_offsets(text)
    spans = []
    for point in contact_points(folded):
        if not owned(point, source, trusted_domains, trusted_numbers, trusted_ips):
            spans.append((offsets[point.start], offsets[point.end - 1] + 1, point.text))
    return spans


def mask_unowned(
    text: str,
    source: str,
    trusted_domains: Iterable[str],
    trusted_numbers: Iterable[str] = (),
    trusted_ips: Iterable[str] = (),
) -> tuple[str, list[str]]:
    """``text`` with every unowned contact point replaced by ``MASK``, and what was masked."""
    spans = unowned_points(text, source, trusted_domains, trusted_numbers, trusted_ips)
    if not spans:
        return text, []
    out, position = [], 0
    for start, end, _ in spans:
        out += [text[position:start], MASK]
        position = end
    out.append(text[position:])
    return "".join(out), [found for *_, found in spans]
