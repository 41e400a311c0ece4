"""The contact-point policy: look-alikes folded, invisible characters dropped, addresses judged
against the document's source domain and the council's allowlist; the detector's weights
load offline and refuse a checksum mismatch."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from assistant.contacts import mask_passages
from core.errors import ConfigError
from core.settings import PoisonSettings
from core.types import DocumentMeta, Passage
from index.contact import (
    MASK,
    contact_points,
    disguised,
    domain_owned,
    fold,
    mask_unowned,
    source_host,
)
from index.detector import (
    STRUCTURAL,
    SentenceDetector,
    load_detector,
    save_detector,
    structural_features,
)

pytestmark = pytest.mark.unit

TRUSTED = PoisonSettings().trusted_domains


def test_fold_maps_homoglyphs_and_drops_invisible_characters() -> None:
    assert fold("Ιgnore аll рrevious") == "Ignore all previous"  # Greek Iota, Cyrillic a and r
    assert (
        fold("pass\u200bword\u00ad to admin@ser\u200dvice-check.net")
        == "password to admin@service-check.net"
    )
    assert fold("ｆｕｌｌ ｗｉｄｔｈ") == "full width"
    assert (
        disguised("Sеnd")
        and disguised("pass\u200bword")
        and not disguised("Anfonwch eich cyfrinair")
    )


def test_every_kind_of_contact_point_is_found_after_folding() -> None:
    text = fold(
        "Mail x@еvil.example, see https://www.ncsc.gov.uk/x, www.oasc.eu, 203.0.113.47,"
        " call 0871 946 0321 or +44 7700 900655, text PIN to 66099, sort code 40-11-62."
    )
    kinds = [(p.kind, p.text) for p in contact_points(text)]
    assert kinds == [
        ("email", "x@evil.example"),
        ("url", "https://www.ncsc.gov.uk"),
        ("url", "www.oasc.eu"),
        ("ip", "203.0.113.47"),
        ("phone", "0871 946 0321"),
        ("phone", "+44 7700 900655"),
        ("phone", "66099"),
        ("account", "sort code 40-11-62"),
    ]


def test_numbers_that_are_not_phones_are_left_alone() -> None:
    assert contact_points("In 2019 about 1 000 000 000 people used ISO 27001 and BS 7799-2.") == []


def test_ownership_is_the_source_domain_or_the_allowlist_never_a_name_alike() -> None:
    assert domain_owned("ncsc.gov.uk", "", TRUSTED)
    assert not domain_owned(
        "ncsc.com", "https://www.ncsc.gov.uk/collection", TRUSTED
    )  # named after it, not its
    assert not domain_owned("gov.uk.cloud-report.net", "", TRUSTED)
    assert domain_owned(
        "planning.exampleshire.org", "https://www.exampleshire.org/planning", TRUSTED
    )
    assert domain_owned(
        "exampleshire.org", "", [*TRUSTED, "exampleshire.org"]
    )  # the council's allowlist
    assert (
        source_host("github.com/ukncsc/zero-trust-architecture @ bc13") == ""
    )  # where a copy came from


def test_masking_keeps_the_publishers_own_and_masks_the_rest() -> None:
    text = "Email planning@council.gov.uk or fees@ncs\u200bc.com, or call 0871 946 0321."
    masked, found = mask_unowned(text, "", TRUSTED)
    assert masked == f"Email planning@council.gov.uk or {MASK}, or call {MASK}."
    assert found == ["fees@ncsc.com", "0871 946 0321"]
    kept, none = mask_unowned(
        text.replace("fees@ncs\u200bc.com", "x"), "", TRUSTED, trusted_numbers=["08719460321"]
    )
    assert none == [] and kept.endswith("call 0871 946 0321.")


def test_answers_get_passages_with_unowned_contact_points_masked() -> None:
    doc = DocumentMeta(
        "a.md", publisher="Exampleshire Council", source="https://www.exampleshire.gov.uk/"
    )
    passages = [
        Passage("1", doc, "Send the form to licensing@exampleshire.gov.uk."),
        Passage("2", doc, "Send your PIN to рin-check@service-desk.help today."),
    ]
    out = mask_passages(passages, PoisonSettings())
    assert out[0] is passages[0]
    assert "service-desk" not in out[1].text and MASK in out[1].text


def test_structural_features_do_not_read_words() -> None:
    plain = structural_features("Email your completed form to planning@council.gov.uk.")
    foreign = structural_features("Email your completed form to planning@council-forms.net.")
    unowned = STRUCTURAL.index("unowned_contact")
    assert plain[unowned] == 0.0 and foreign[unowned] == 1.0
    assert structural_features("Sеnd it")[STRUCTURAL.index("disguised")] == 1.0


def test_the_committed_detector_loads_offline_with_its_checksum() -> None:
    detector = load_detector()
    assert 0.0 < detector.with_contact <= detector.strict < 1.0
    assert detector.weights.shape == (384 + len(STRUCTURAL), 3)


def test_a_detector_whose_weights_do_not_match_their_checksum_is_refused(tmp_path: Path) -> None:
    features = 4
    detector = SentenceDetector(
        np.zeros((features, 3)), np.zeros(3), np.zeros(features), np.ones(features), 0.9, 0.5
    )
    path = tmp_path / "detector.npz"
    save_detector(detector, path, {"seed": 1})
    assert load_detector(path).strict == pytest.approx(0.9)
    path.with_suffix(".npz.sha256").write_text("0" * 64 + "  detector.npz\n")
    load_detector.cache_clear()
    with pytest.raises(ConfigError, match="do not match"):
        load_detector(path)
    with pytest.raises(ConfigError, match="missing"):
        load_detector(tmp_path / "absent.npz")
