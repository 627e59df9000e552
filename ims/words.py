"""Numbers of things as a reader says them: "1 error", "2 errors", never "2 error(s)"."""

from __future__ import annotations


def noun(n: int, singular: str, plural: str | None = None) -> str:
    """The noun for ``n`` things: singular for one, else the plural (``singular`` + "s")."""
    return singular if n == 1 else plural or singular + "s"


def counted(n: int | None, singular: str, plural: str | None = None) -> str:
    """``n`` with thousands commas and its noun: "1 hazardous area", "2,400 hazardous areas"."""
    n = n or 0
    return f"{n:,} {noun(n, singular, plural)}"
