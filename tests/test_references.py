"""A reference reads as itself and addresses its own pages (ims.domain.references); the
cases are those attacks on our own instance used."""

from __future__ import annotations

import re

import pytest

from ims.api import hazards, outside, records, releases
from ims.domain.references import ROUTE_ENDINGS, ROUTE_WHOLE, invisible, reference_problem
from map_ui import pages, record_pages


def test_every_address_that_follows_a_reference_is_an_ending_a_reference_may_not_have() -> None:
    """A reference ending in "/revise" was AT-000001's revise form: each route whose
    reference is followed by more of the address names an ending validation refuses."""
    followed = set()
    for router in (hazards.router, releases.router, records.router, outside.router,
                   pages.router, record_pages.router):  # fmt: skip
        for route in router.routes:
            match = re.search(r"\{(?:reference|hazard_id)(?::path)?\}(/.+)$", route.path)  # type: ignore[attr-defined]
            if match:
                followed.add(match.group(1))
    assert followed and followed <= set(ROUTE_ENDINGS), followed - set(ROUTE_ENDINGS)
    for route in record_pages.router.routes:
        whole = re.fullmatch(r"/hazards/([a-z]+)", route.path)  # type: ignore[attr-defined]
        assert whole is None or whole.group(1) in ROUTE_WHOLE


@pytest.mark.parametrize(
    "ref",
    [
        "AT-000001/revise",
        "AT-000001/releases/new",
        "AT-000001/withdrawal",
        "OUT-1/hazard",
        "OUT-1/withdraw",
        "new",
        "AT-000013/.",
        "../hazards/AT-1",
        "Z/%2e%2e/AT-000001",
        "AT-000001/%2E",
        "AT-000001\u3164",  # a Hangul filler: shows as nothing
        "AT-000001\u034f",  # a combining grapheme joiner
        "AT\u2011000001",  # a non-breaking hyphen
        "AT\u2212000001",  # a minus sign
        "\uff21T-000001",  # a full-width A
        "AT-000001\u0336",  # a combining stroke over the 1
        "AT-\u200b000001",  # a zero-width space
        "\u0410T-000001",  # a Cyrillic А beside a Latin T
        "AT\u00a0000001",  # a no-break space
        "AT-1\nAT-2",
    ],
)
def test_a_reference_that_reads_as_or_addresses_another_is_refused(ref: str) -> None:
    assert reference_problem(ref, "hazard_id") is not None


@pytest.mark.parametrize(
    "ref",
    ["AT-000001", "LA/2020/001", "AT//1", "/AT-1", "newer", "revise", "AT-1/revised",
     "ບ້ານ-AT-1", "ΑΤ-1-Ι", "Café-1", "AT-1.2", "AT..1"],
)  # fmt: skip
def test_ordinary_references_in_any_one_script_are_kept(ref: str) -> None:
    assert reference_problem(ref, "hazard_id") is None


@pytest.mark.parametrize("ref", ['=HYPERLINK("http://x","y")', "+1", "-AT-1", "@AT-1"])
def test_a_reference_a_spreadsheet_reads_as_a_formula_is_refused(ref: str) -> None:
    """`=HYPERLINK(…)` was approved as a hazard's reference, and came back from the
    register's CSV as `'=HYPERLINK(…)`: another reference (a new user's review)."""
    said = reference_problem(ref, "hazard_id")
    assert said is not None and f'begins with "{ref[0]}"' in said
    assert reference_problem(f"AT{ref}", "hazard_id") is None  # inside it, it is text


def test_a_strike_through_or_a_filler_in_a_reason_is_found_and_lao_marks_are_not() -> None:
    assert invisible("n\u0336o\u0336t\u0336 a duplicate") == {"\u0336"}
    assert invisible("a duplicate \u3164\u3164 of AT-1") == {"\u3164"}
    assert invisible("ບ້ານນາ, the same as AT-1 (déjà)") == set()  # composed: no mark left
    assert invisible("de\u0301ja\u0300") == set()  # é and à once composed
