"""Things as a reader says them: "1 error", "2 errors", never "2 error(s)"; "a, b and c"."""

from __future__ import annotations

from collections.abc import Sequence


def noun(n: int, singular: str, plural: str | None = None) -> str:
    """The noun for ``n`` things: singular for one, else the plural (``singular`` + "s")."""
    return singular if n == 1 else plural or singular + "s"


def counted(n: int | None, singular: str, plural: str | None = None) -> str:
    """``n`` with thousands commas and its noun: "1 hazardous area", "2,400 hazardous areas"."""
    n = n or 0
    return f"{n:,} {noun(n, singular, plural)}"


def listed(items: Sequence[str]) -> str:
    """Items in a sentence: "a", "a and b", "a, b and c"."""
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} and {items[-1]}"


def first_of(items: Sequence[str], most: int = 10) -> str:
    """The first ``most`` items and how many more: "a, b, c and 1,204 more"."""
    shown = ", ".join(items[:most])
    return shown + (f" and {len(items) - most:,} more" if len(items) > most else "")
