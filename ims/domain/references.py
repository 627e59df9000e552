"""What a reference may be: text that reads as itself on every page and addresses its own.

A hazard's or a release's reference is shown on every page, report and file, and is one
part of the addresses of its pages (quoted whole, "/" too). Attacks on our own instance
found references that looked like another one (a Cyrillic А, a no-break space, a Hangul
filler, a combining joiner) or addressed another record ("AT-13/." once the browser had
dropped the dot; "AT-13/revise", which is AT-13's revise form). ``reference_problem`` says
what is wrong with one, or None.
"""

from __future__ import annotations

import functools
import itertools
import unicodedata
from collections.abc import Iterable

# Addresses that end a reference's own: a reference ending so is read as the record before
# it with that page or action (map_ui/record_pages.py, ims/api/hazards.py, releases.py,
# records.py, outside.py). tests/test_references.py checks the list against the routes.
ROUTE_ENDINGS = (
    "/revise",
    "/releases/new",
    "/releases/preview",
    "/revisions",
    "/withdrawal",
    "/withdraw",
    "/hazard",
)
ROUTE_WHOLE = ("new",)  # /hazards/new is the form that records a hazard

# Scripts with letters that look like Latin ones
_LOOKALIKE_SCRIPTS = frozenset({"LATIN", "CYRILLIC", "GREEK"})

# Characters that show as nothing (Unicode's Default_Ignorable_Code_Point, the ranges that
# are not control or format characters): a Hangul filler after "AT-1" showed as "AT-1".
_IGNORABLE = (
    (0x034F, 0x034F),
    (0x115F, 0x1160),
    (0x17B4, 0x17B5),
    (0x180B, 0x180F),
    (0x3164, 0x3164),
    (0xFE00, 0xFE0F),
    (0xFFA0, 0xFFA0),
    (0xE0100, 0xE01EF),
)


def _named(chars: set[str], fallback: str) -> str:
    return ", ".join(f"U+{ord(c):04X} {unicodedata.name(c, fallback)}" for c in sorted(chars))


# Blank characters that are symbols, not spaces (a Braille blank after "AT-1" shows as
# "AT-1 "): an attack on our own instance
_BLANKS = frozenset({"\u2800"})


def invisible(text: str) -> set[str]:
    """The characters of ``text`` that show as nothing or change how it reads: control and
    formatting characters (a right-to-left override), line separators, ignorables (a
    Hangul filler), and a combining mark on a Latin character once composed (a
    strike-through on "not"). Newlines and tabs are left to the caller."""
    composed = unicodedata.normalize("NFC", text)
    found = {
        c
        for c in composed
        # unassigned (U+2065 and U+E0080 showed as nothing), private use and surrogates too
        if unicodedata.category(c) in ("Cc", "Cf", "Cn", "Co", "Cs", "Zl", "Zp")
        or c in _BLANKS
        or any(low <= ord(c) <= high for low, high in _IGNORABLE)
    }
    found |= {
        mark
        for before, mark in itertools.pairwise(composed)
        if unicodedata.category(mark) in ("Mn", "Me") and before.isascii()
    }
    return found


# What a spreadsheet reads as the start of a formula (as ims.cells neutralises in
# the files it writes): a reference beginning so came back from a CSV download as
# "'=HYPERLINK(…)", another reference (a new user's review).
FORMULA_STARTS = frozenset("=+-@")


def reference_problem(ref: str, field_name: str, *, new: bool = True) -> str | None:
    """What is wrong with ``ref`` as a reference (named ``field_name``), or None.

    ``new``: the reference would be recorded now. One recorded already (a hazard a release
    or a revision names) is not refused for beginning as a formula does, a rule made after
    it: it would have no way to be named (a review of our own change)."""
    if any(part in (".", "..") or part.lower() in ("%2e", "%2e%2e", ".%2e", "%2e.")
           for part in ref.split("/")):  # fmt: skip
        return (
            f'{field_name} "{ref}" has "." or ".." as a part between its "/", which a web '
            'address reads as "this folder" or "the folder above": give the reference '
            'without it (a reference may use "/" between names or numbers: LA/2020/001)'
        )
    if new and ref[:1] in FORMULA_STARTS:
        return (
            f'{field_name} "{ref}" begins with "{ref[0]}", which a spreadsheet reads as the '
            "start of a formula: the CSV and Excel files ims writes would have to mark it "
            "so (and a file sent back would then name another reference); give the "
            f'reference without the "{ref[0]}"'
        )
    if ref in ROUTE_WHOLE or ref.endswith(ROUTE_ENDINGS):
        ending = ref if ref in ROUTE_WHOLE else next(e for e in ROUTE_ENDINGS if ref.endswith(e))
        return (
            f'{field_name} "{ref}" ends in "{ending}", which ims\'s addresses use for a '
            "record's pages: its page would open another record's; give another reference"
        )
    if ref.isascii() and ref.isprintable():
        return None  # most references: printable ASCII holds none of what follows
    hidden = invisible(ref) | {c for c in ref if c in "\n\t"}
    if hidden:
        return (
            f"{field_name} holds characters that are invisible or change how it reads "
            f"({_named(hidden, 'control character')}); type the reference again without them"
        )
    # what looks like another reference: a space or a dash that is not the ordinary one, a
    # full-width letter or digit, or Latin letters mixed with Cyrillic or Greek ones that
    # look the same ("АT-1" beside "AT-1"). A reference wholly in one script is kept.
    spaces = {c for c in ref if c != " " and unicodedata.category(c) == "Zs"}
    dashes = {
        c for c in ref if not c.isascii() and (unicodedata.category(c) == "Pd" or c == "\u2212")
    }
    wide = {
        c
        for c in ref
        if not c.isascii() and unicodedata.normalize("NFKC", c).isascii() and c not in spaces
    }
    scripts = {
        unicodedata.name(c, "").split(" ")[0] for c in ref if c.isalpha() and not c.isascii()
    } | ({"LATIN"} if any(c.isascii() and c.isalpha() for c in ref) else set())
    alike = scripts & _LOOKALIKE_SCRIPTS
    if spaces:
        said = f"holds a space that is not an ordinary one ({_named(spaces, 'space')})"
    elif dashes or wide:
        said = f"holds a character that looks like an ordinary one ({_named(dashes | wide, '')})"
    elif len(alike) > 1:
        odd = sorted({c for c in ref if c.isalpha() and not c.isascii()})[:3]
        what = ", ".join(f"{c} U+{ord(c):04X} {unicodedata.name(c, '')}" for c in odd)
        said = f"mixes {' and '.join(sorted(a.title() for a in alike))} letters ({what})"
    else:
        return None
    return (
        f"{field_name} {said}: it would look like another reference; type the reference "
        "again in one script, with ordinary spaces and hyphens"
    )


def skeleton(ref: str) -> str:
    """What ``ref`` reads as, to find two references that look the same (Unicode TR39's
    idea): compatibility-normalised (NFKC: a decomposed É is the composed one), each
    letter of another script that looks like an ASCII one taken as that one (a Cyrillic
    А, a Cherokee Ꭺ, a Lisu ꓮ as A; Unicode's confusables, from confusable_homoglyphs),
    a digit of any script as its value (a Bengali ০ as 0), and case folded. A reference
    in one script that resembles no ASCII one (Lao) stays as it is."""
    text = unicodedata.normalize("NFKC", ref)
    if not text.isascii():
        text = "".join(_as_ascii(c) for c in text)
    return text.casefold()


@functools.lru_cache(maxsize=4096)
def _as_ascii(c: str) -> str:
    if c.isascii():
        return c
    digit = unicodedata.decimal(c, None)
    if digit is not None:
        return str(digit)
    from confusable_homoglyphs import confusables  # reads its table once, when needed

    found = confusables.is_confusable(c, greedy=True, preferred_aliases=[]) or []
    like = [h["c"] for f in found for h in f["homoglyphs"] if len(h["c"]) == 1 and h["c"].isascii()]
    return like[0] if like else c


def twins(references: Iterable[str], recorded: Iterable[str]) -> dict[str, str]:
    """Each of ``references`` (a file's) that reads as another reference, recorded or of
    the same file, but is not it: the other one, the recorded first. A reference that is
    itself recorded is left out (it is that record). An attack on our own instance
    recorded "АТ-000013" (Cyrillic) and "at-000013" beside AT-000013: three hazards whose
    pages and register rows read the same, one double-counted as a self-overlap."""
    given = set(recorded)
    by_skeleton: dict[str, str] = {}
    for ref in sorted(given):
        by_skeleton.setdefault(skeleton(ref), ref)
    found: dict[str, str] = {}
    seen: dict[str, str] = {}
    for ref in references:
        if ref in given or ref in found:
            continue
        key = skeleton(ref)
        other = by_skeleton.get(key)
        if other is None and seen.get(key, ref) != ref:
            other = seen[key]
        if other is not None and other != ref:
            found[ref] = other
        seen.setdefault(key, ref)
    return found
