"""UK personal data redaction: realistic messages, and the near misses that must survive."""

from __future__ import annotations

import logging

import pytest

from core.pii import add_counts, install_log_redaction, luhn_valid, redact, redact_text

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    "text, kind",
    [
        # National Insurance numbers, as people write them
        ("My NI number is AB 12 34 56 C, please update it", "ni_number"),
        ("NINO: JG103759A", "ni_number"),
        ("ni no. jg 10 37 59 a", "ni_number"),
        ("QQ 12 34 56 C", "ni_number"),  # HMRC's own example, typed into forms all the time
        ("national insurance AB-12-34-56-D", "ni_number"),
        ("AB123456 (no suffix letter)", "ni_number"),
        # emails
        ("email jo.bloggs+housing@example.gov.uk about it", "email"),
        ("<J.SMITH@Council.Example.CO.UK>", "email"),
        # phone numbers
        ("call 07700 900123 after 5", "phone"),
        ("Tel: 020 7946 0958", "phone"),
        ("ring +44 (0)20 7946 0958", "phone"),
        ("+447700900123", "phone"),
        ("0044 161 496 0000", "phone"),
        ("(0161) 496 0000", "phone"),
        ("0800 123 4567 free", "phone"),
        ("01632-960-001", "phone"),
        # postcodes, inside text, either case
        ("lives at 10 Downing Street, London SW1A 2AA.", "postcode"),
        ("postcode m1 1ae please", "postcode"),
        ("B33 8TH", "postcode"),
        ("CR2 6XH", "postcode"),
        ("DN55 1PT", "postcode"),
        ("EC1A1BB", "postcode"),
        # card numbers that pass the Luhn check
        ("card 4111 1111 1111 1111 exp 09/27", "card"),
        ("5500-0000-0000-0004", "card"),
        ("Amex 378282246310005", "card"),
        ("paid with 4012888888881881.", "card"),
        ("ref 12 4111111111111111", "card"),  # a number in front does not hide the card
        # dates of birth
        ("DOB: 01/02/1980", "date_of_birth"),
        ("D.O.B. 3rd May 1975", "date_of_birth"),
        ("date of birth 1980-02-01", "date_of_birth"),
        ("born on 12 March 1985", "date_of_birth"),
        ("born February 1, 1980", "date_of_birth"),
        ("she is 14/07/2009", "date_of_birth"),  # a bare numeric date with a full year
    ],
)
def test_personal_data_is_redacted(text: str, kind: str) -> None:
    result = redact(text)
    assert result.counts.get(kind) == 1, (text, result)
    assert "[redacted " in result.text
    # nothing of the value is left: every digit of a number, or the @ of an email, is gone
    if kind in ("card", "phone"):
        assert sum(ch.isdigit() for ch in result.text) <= sum(ch.isdigit() for ch in text) - 9


@pytest.mark.parametrize(
    "text",
    [
        "4111 1111 1111 1112",  # fails the Luhn check: an order number, not a card
        "0000 0000 0000 0000",  # passes Luhn but is nobody's card
        "4111 1111-1111 1111",  # mixed separators: not how a card is written
        "Invoice 1234567890123",  # 13 digits failing Luhn
        "AB123456E",  # suffix E is no NI suffix
        "AB1234567",  # seven digits
        "XAB123456C",  # inside a longer token
        "ISO 27001 and ISO/IEC 27002:2022",
        "Part B2 2nd floor",  # a building part and a floor, not a postcode
        "the meeting on 31 March 2024",  # a date without a birth cue stays
        "in 2019, 2020 and 2021",
        "call 999 in an emergency",
        "Section 4.2.1 of the Service Standard",
        "version 10.0.19045.3803",
        "What is zero trust?",
    ],
)
def test_near_misses_are_kept(text: str) -> None:
    assert redact(text).text == text


def test_luhn() -> None:
    assert luhn_valid("4111111111111111")
    assert luhn_valid("79927398713")
    assert not luhn_valid("79927398710")
    assert not luhn_valid("4111111111111112")


def test_counts_several_kinds_in_one_message() -> None:
    text = (
        "Resident Jo Bloggs (NI AB 12 34 56 C, DOB 01/02/1980) at SW1A 1AA, jo@example.com or "
        "07700 900123 / 07700 900456, paid by 4111 1111 1111 1111."
    )
    result = redact(text)
    assert result.counts == {
        "ni_number": 1,
        "date_of_birth": 1,
        "postcode": 1,
        "email": 1,
        "phone": 2,
        "card": 1,
    }
    assert result.total == 7
    assert "Resident Jo Bloggs" in result.text and "paid by [redacted card number]." in result.text
    for value in ("AB 12 34 56 C", "01/02/1980", "SW1A 1AA", "jo@example.com", "900123", "4111"):
        assert value not in result.text


def test_kinds_can_be_chosen_and_counts_added() -> None:
    assert redact("jo@example.com SW1A 1AA", kinds=["email"]).text == "[redacted email] SW1A 1AA"
    assert add_counts({"email": 1}, {"email": 2, "phone": 1}) == {"email": 3, "phone": 1}
    assert redact("").text == "" and redact("").total == 0


def test_redaction_is_idempotent() -> None:
    once = redact_text("jo@example.com, 07700 900123, SW1A 1AA, QQ 12 34 56 C")
    assert redact(once).total == 0


def test_log_records_are_redacted(caplog) -> None:
    install_log_redaction()
    install_log_redaction()  # twice is harmless
    logger = logging.getLogger("tests.pii")
    with caplog.at_level(logging.INFO, logger="tests.pii"):
        logger.info("question %r from %s", "my NI is AB123456C", "jo@example.com")
        try:
            raise ValueError("bad card 4111 1111 1111 1111")
        except ValueError:
            logger.exception("failed for SW1A 1AA")
    text = caplog.text
    assert "AB123456C" not in text and "jo@example.com" not in text and "4111 1111" not in text
    assert "SW1A 1AA" not in text
    assert "[redacted NI number]" in text and "[redacted card number]" in text
    assert "ValueError" in text  # the traceback is kept, only the personal data goes


def test_log_arguments_keep_their_shape_and_urls_are_redacted_decoded() -> None:
    """uvicorn's access formatter unpacks the record's arguments: they stay a tuple, numbers
    stay numbers, and personal data in a percent-encoded query string is redacted."""
    install_log_redaction()
    record = logging.getLogger("uvicorn.access").makeRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", "/healthz?who=jo%40example.com&pc=SW1A+1AA", "1.1", 200),
        None,
    )
    client, method, path, version, status = record.args  # type: ignore[misc]
    assert (client, method, version, status) == ("127.0.0.1:5000", "GET", "1.1", 200)
    assert "jo" not in path and "SW1A" not in path and "[redacted email]" in path
    assert record.getMessage().endswith('HTTP/1.1" 200')
