"""UK personal data kept out of logs and stored text: redaction with a count of what was removed.

Officers paste case details into questions and feedback ("my resident's NI number is ..."). What
the service keeps (logs, feedback, conversations) gets National Insurance numbers, email
addresses, UK phone numbers, postcodes, payment card numbers (Luhn-checked, so order and
reference numbers survive) and dates of birth replaced by a marker such as ``[redacted email]``.
Bottom layer: any package may use it.

    >>> redact("Call 07700 900123 or write to SW1A 1AA").text
    'Call [redacted phone] or write to [redacted postcode]'
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from urllib.parse import unquote_plus

KINDS = ("card", "email", "ni_number", "date_of_birth", "phone", "postcode")
LABELS = {
    "card": "card number",
    "email": "email",
    "ni_number": "NI number",
    "date_of_birth": "date of birth",
    "phone": "phone",
    "postcode": "postcode",
}

# Card numbers: 13-19 digits, whole or in groups separated by single spaces or hyphens.
DIGIT_RUN = re.compile(r"(?<![\w-])\d+(?:[ -]\d+)*(?![\w-])")
EMAIL = re.compile(r"(?<![\w.+-])[A-Za-z0-9][\w.%+-]*@(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,}\b")
# NI numbers: two letters, six digits (often in pairs), an optional suffix A-D. HMRC never
# issues some prefixes (D, F, I, Q, U, V...), but its own example "QQ 12 34 56 C" is what
# people type into forms, so the shape alone is enough: a reference number lost is cheap.
NI_NUMBER = re.compile(r"\b[A-Z]{2}[ -]?\d{2}[ -]?\d{2}[ -]?\d{2}(?:[ -]?[A-D])?\b", re.I)
_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_DATE = (
    r"(?:\d{1,2}[/.-]\d{1,2}[/.-](?:\d{4}|\d{2})"  # 01/02/1980, 1.2.80
    r"|\d{4}-\d{1,2}-\d{1,2}"  # 1980-02-01
    rf"|\d{{1,2}}(?:st|nd|rd|th)?(?:\s+of)?\s+{_MONTH}\.?,?\s+\d{{4}}"  # 1st February 1980
    rf"|{_MONTH}\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}})"  # February 1, 1980
)
# A date right after a cue ("DOB", "date of birth", "born on") is a date of birth, whatever its
# format; a bare all-numeric day/month/year with a 19xx/20xx year is treated as one too.
DOB_CUED = re.compile(
    r"(?P<cue>\b(?:d\.?\s?o\.?\s?b\b\.?|date\s+of\s+birth\b|birth\s*date\b|birthday\b|born(?:\s+on)?\b)"
    rf"[^\w\n]{{0,3}}\s*)(?P<date>{_DATE})",
    re.I,
)
DOB_NUMERIC = re.compile(r"(?<![\d/.-])\d{1,2}([/.-])\d{1,2}\1(?:19|20)\d{2}(?![\d/.-])")
# UK phone numbers: +44 or 0, then 9 or 10 more digits with spaces, hyphens or (0) between.
PHONE = re.compile(
    r"(?<![\w+])(?:(?:\+|00)44[\s-]?(?:\(0\)[\s-]?)?|\(?0)\d(?:[\s-]?\)?[\s-]?\d){8,9}(?![\d])"
)
# Postcodes (the Royal Mail shape: outward code, optional space, inward digit + two letters).
POSTCODE = re.compile(
    r"\b(?:GIR ?0AA|[A-PR-UWYZ](?:\d[A-HJKPSTUW\d]?|[A-HK-Y]\d[ABEHMNPRVWXY\d]?)"
    r" ?\d[ABD-HJLNP-UW-Z]{2})\b",
    re.I,
)


def luhn_valid(digits: str) -> bool:
    """The Luhn checksum every payment card number carries."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _marker(kind: str) -> str:
    return f"[redacted {LABELS[kind]}]"


def _cards(text: str) -> list[tuple[int, int]]:
    """Card numbers: a run of digit groups, or a stretch of it, of 13-19 digits passing Luhn."""
    spans = []
    for run in DIGIT_RUN.finditer(text):
        groups = [(m.start(), m.end()) for m in re.finditer(r"\d+", text[run.start() : run.end()])]
        i = 0
        while i < len(groups):
            found = None
            digits = 0
            for j in range(i, min(len(groups), i + 19)):  # stretches starting at group i
                digits += groups[j][1] - groups[j][0]
                if digits > 19:
                    break
                start, end = run.start() + groups[i][0], run.start() + groups[j][1]
                if digits >= 13 and _card_like(text[start:end]):
                    found = (start, end, j)
            if found:
                spans.append(found[:2])
                i = found[2]
            i += 1
    return spans


def _card_like(text: str) -> bool:
    digits = re.sub(r"\D", "", text)
    one_separator = len(set(re.sub(r"\d", "", text))) <= 1  # "4111 1111-1111" is no card
    return one_separator and len(set(digits)) > 1 and luhn_valid(digits)


def _phone(match: re.Match[str]) -> bool:
    text = match.group(0).replace("(0)", "")
    digits = re.sub(r"\D", "", text)
    if digits.startswith("0044"):
        national = digits[4:]
    elif text.lstrip("(").startswith("+44") or digits.startswith("44"):
        national = digits[2:]
    else:
        national = digits[1:]
    return 9 <= len(national) <= 10 and national[0] != "0"


def _one_case(match: re.Match[str]) -> bool:
    """'SW1A 1AA' or 'sw1a 1aa', not 'B2 2nd' (a floor) or 'Part M1 1st'."""
    text = match.group(0)
    return text.isupper() or text.islower()


def _matches(pattern: re.Pattern[str], accept=None, group: str | int = 0):
    def find(text: str) -> list[tuple[int, int]]:
        return [m.span(group) for m in pattern.finditer(text) if accept is None or accept(m)]

    return find


@dataclass(frozen=True)
class Redacted:
    """Redacted text and how many of each kind were removed."""

    text: str
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


Finder = Callable[[str], list[tuple[int, int]]]
# Order matters: card numbers before phone numbers (a card holds phone-like runs), emails
# before postcodes, dates of birth before phone numbers.
RULES: tuple[tuple[str, Finder], ...] = (
    ("card", _cards),
    ("email", _matches(EMAIL)),
    ("ni_number", _matches(NI_NUMBER)),
    ("date_of_birth", _matches(DOB_CUED, group="date")),
    ("date_of_birth", _matches(DOB_NUMERIC)),
    ("phone", _matches(PHONE, _phone)),
    ("postcode", _matches(POSTCODE, _one_case)),
)


def redact(text: str, kinds: Iterable[str] = KINDS) -> Redacted:
    """``text`` with each piece of UK personal data of ``kinds`` replaced by a marker."""
    wanted = set(kinds)
    counts: Counter[str] = Counter()
    text = text or ""
    for kind, find in RULES:
        if kind not in wanted:
            continue
        for start, end in reversed(find(text)):
            text = text[:start] + _marker(kind) + text[end:]
            counts[kind] += 1
    return Redacted(text, dict(counts))


def redact_text(text: str) -> str:
    return redact(text).text


def add_counts(*counts: dict[str, int]) -> dict[str, int]:
    total: Counter[str] = Counter()
    for c in counts:
        total.update(c)
    return dict(total)


_INSTALLED = False


def install_log_redaction() -> None:
    """Redact every log record (message, arguments and traceback) as it is created.

    A record factory, not a handler filter: it holds whatever handlers uvicorn or a test
    configures later, and whichever logger the record comes from.
    """
    global _INSTALLED
    if _INSTALLED:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args, **kwargs) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: leave it for logging to report
            return record
        redacted = _redacted_args(record.args)
        record.args = redacted
        try:  # keep the format and its arguments: uvicorn's access formatter unpacks them
            shown = record.getMessage()
            if (
                redacted is None or redact_text(shown) != shown
            ):  # in the format, or across the parts
                raise ValueError("personal data left in the message")
        except Exception:  # whatever the shape, the message itself is redacted
            record.msg, record.args = redact_text(message), ()
        if record.exc_info and not record.exc_text:
            record.exc_text = redact_text(logging.Formatter().formatException(record.exc_info))
        if record.stack_info:
            record.stack_info = redact_text(record.stack_info)
        return record

    logging.setLogRecordFactory(factory)
    _INSTALLED = True


def _redacted_args(args: object) -> tuple[object, ...] | dict[str, object] | None:
    """A record's arguments with each text redacted and numbers kept (``%d`` still formats);
    anything else becomes its redacted text. None when the arguments are of no known shape."""

    def one(value: object) -> object:
        if value is None or isinstance(value, bool | int | float):
            return value
        text = value if isinstance(value, str) else str(value)
        if "%" in text or "+" in text:  # a URL's path or query (the access log): percent-encoded
            decoded = unquote_plus(text)
            if redact_text(decoded) != decoded:
                return redact_text(decoded)
        return redact_text(text)

    if isinstance(args, tuple):
        return tuple(one(a) for a in args)
    if isinstance(args, dict):
        return {k: one(v) for k, v in args.items()}
    return None
