"""CQL2 filters (OGC API – Features Part 3) as SQL with bound values.

QGIS and GDAL send a layer's filter to ``/ogc`` as CQL2 text when the API says it takes
one (``filter=status = 'CHA' AND remaining_m2 > 10000``); without it they fetched every
feature of a national collection and filtered it themselves. pygeofilter parses the text;
the SQL is made here, from the parsed tree, because pygeofilter's own SQL backend writes
the values into the statement as text, quotes and all (docs/decisions/0024).

Each collection names what may be filtered on, its ``Queryable``s: a property's SQL
expression over the collection's rows and its JSON Schema type. A value is compared as
the property's type (a date with a date, a number with a number) or refused, naming the
property and what was given; every value reaches the database as a bound parameter.
What is understood is CQL2's basic class (comparisons, ``AND``/``OR``/``NOT``, ``IS
NULL``), ``LIKE``, ``BETWEEN`` and ``IN``, ``CASEI`` and ``S_INTERSECTS`` on the geometry:
the conformance classes ``/ogc/conformance`` declares.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import numpy as np
import shapely
import shapely.geometry
from pygeofilter import ast, values
from shapely.geometry.base import BaseGeometry

from ims.domain.geometry import nested_deeper

MAX_FILTER_CHARS: Final = 8_000  # a filter is a URL's query; GDAL and QGIS send a few dozen
MAX_DEPTH: Final = 200  # "a OR b OR …": each OR is a level of the parsed tree
# CQL2 JSON's AND and OR take any number of arguments, so a long list is not deep: 50
# operations within each other (two levels of JSON each) is more than any real filter
MAX_JSON_DEPTH: Final = 100
# S_INTERSECTS in one filter: on a past date each computes every hazard's remaining ground
# again (175 of them took 7 s on 100 hazards: an attack on our own instance)
MAX_SPATIAL: Final = 4
_BIGINT: Final = 2**63 - 1
_PLACEHOLDER: Final = "\ue000"  # a literal with an escaped quote stands in as this

# JSON Schema types of the queryables (``format`` "date" is a string that is a date)
STRING, NUMBER, INTEGER, DATE, BOOLEAN, GEOMETRY = (
    "string",
    "number",
    "integer",
    "date",
    "boolean",
    "geometry",
)
_CAST: Final = {
    STRING: "text",
    NUMBER: "double precision",
    INTEGER: "bigint",
    DATE: "date",
    BOOLEAN: "boolean",
}
_WORDS: Final = {
    STRING: "text: compare it with a quoted value such as 'CHA'",
    NUMBER: "a number",
    INTEGER: "a whole number",
    DATE: "a date: compare it with DATE('2021-12-31')",
    BOOLEAN: "true or false",
    GEOMETRY: "the geometry: use S_INTERSECTS(geometry, BBOX(…)) or a geometry in WKT",
}


class FilterError(ValueError):
    """A filter that cannot be applied: the message says what and where, for the caller."""


@dataclass(frozen=True)
class Queryable:
    """A property a filter may name: its SQL over the collection's rows and its type.

    The geometry's ``sql`` is the condition that it meets ``{g}``, the filter's geometry.
    """

    sql: str
    kind: str
    params: Mapping[str, Any] = field(default_factory=dict)  # what ``sql`` binds


@dataclass
class Where:
    """A filter as SQL: a condition and the values it binds."""

    sql: str
    params: dict[str, Any] = field(default_factory=dict)


def _unescape(text: str) -> str:
    """``text`` with each string literal that holds an escaped quote (``''`` or ``\\'``) or
    a doubled backslash replaced by a stand-in that carries its value (``_value`` reads it
    back wherever a value is read: under a NOT too, which a walk of the tree had missed).

    pygeofilter's grammar ends a literal at its first quote, so "admin1_name = 'Cote d''Ivoire'"
    (as QGIS writes an apostrophe) did not parse.
    """
    if _PLACEHOLDER in text:
        raise FilterError("the filter holds a character it may not (U+E000)")
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if char == '"':  # a quoted property name: copied as it is
            end = text.find('"', i + 1)
            end = n - 1 if end < 0 else end
            out.append(text[i : end + 1])
            i = end + 1
            continue
        if char != "'":
            out.append(char)
            i += 1
            continue
        j, value, escaped = i + 1, [], False
        while j < n:
            if text[j] == "'" and j + 1 < n and text[j + 1] == "'":
                value.append("'")
                j, escaped = j + 2, True
            elif text[j] == "\\" and j + 1 < n and text[j + 1] in "'\\":
                value.append(text[j + 1])
                j, escaped = j + 2, True
            elif text[j] == "'":
                break
            else:
                value.append(text[j])
                j += 1
        if j >= n:
            raise FilterError(f"the filter's quoted value at character {i + 1} is not closed")
        if escaped:  # the value itself, as hex: restored wherever a value is read
            out.append(f"'{_PLACEHOLDER}{''.join(value).encode().hex()}{_PLACEHOLDER}'")
        else:
            out.append(text[i : j + 1])
        i = j + 1
    return "".join(out)


_STAND_IN = re.compile(f"{_PLACEHOLDER}([0-9a-f]*){_PLACEHOLDER}")


def _value(text: str) -> str:
    """A literal's value, its stand-ins (``_unescape``) read back."""
    if _PLACEHOLDER not in text:
        return text
    return _STAND_IN.sub(lambda m: bytes.fromhex(m.group(1)).decode(), text)


SAID_AT_MOST: Final = 20  # queryables named in a refusal

# CQL2's identifierStart and identifierPart (its BNF), beyond ASCII: a property of an
# upload named in Lao (U+0E80-U+0EFF lies in #x37F-#x1FFF), which GDAL sends unquoted, had
# been refused as no CQL2 text (a GIS user's review, helper-101)
_ID_START = (
    "A-Za-z_\\u00C0-\\u00D6\\u00D8-\\u00F6\\u00F8-\\u02FF\\u0370-\\u037D"
    "\\u037F-\\u1FFF\\u200C-\\u200D\\u2070-\\u218F\\u2C00-\\u2FEF"
    "\\u3001-\\uD7FF\\uF900-\\uFDCF\\uFDF0-\\uFFFD"
)
_ID_PART = _ID_START + ":.0-9\\u00B7\\u0300-\\u036F\\u203F-\\u2040"

# pygeofilter's CQL2 grammar, with three changes (docs/decisions/0024):
_GRAMMAR_CHANGES: Final = (
    # NOT of a condition in parentheses, as QGIS writes every NOT: "(NOT ((status = 'SHA')))"
    # did not parse
    (
        '| "NOT"i "(" predicate ")"',
        '| "NOT"i "(" condition ")"',
    ),
    # ILIKE, as GDAL writes a case-blind LIKE
    (
        '| expression "NOT"i "LIKE"i expression                          -> not_like',
        '| expression "NOT"i "LIKE"i expression                          -> not_like\n'
        '          | expression "ILIKE"i expression -> ilike\n'
        '          | expression "NOT"i "ILIKE"i expression -> not_ilike',
    ),
    # a property named by one letter, or in letters beyond ASCII (as CQL2 allows)
    ("attribute: /[a-zA-Z][a-zA-Z_:0-9.]+/", f"attribute: /[{_ID_START}][{_ID_PART}]*/"),
)


@functools.cache
def _parser() -> Any:
    """pygeofilter's CQL2 text parser, of its grammar with ``_GRAMMAR_CHANGES`` and its
    values read by ``_transformer`` (built on the first filter: it takes 0.2 s)."""
    import lark
    from pygeofilter.parsers.cql2_text import parser

    here = Path(parser.__file__).parent
    grammar = (here / "grammar.lark").read_text(encoding="utf-8")
    for old, new in _GRAMMAR_CHANGES:
        if old not in grammar:  # a pygeofilter whose grammar differs: its own, unchanged
            return parser.parser
        grammar = grammar.replace(old, new)
    return lark.Lark(
        grammar,
        parser="lalr",
        maybe_placeholders=False,
        transformer=_transformer(parser.CQLTransformer),
        import_paths=[str(here.parent)],
    )


def _transformer(base: type) -> Any:
    """pygeofilter's transformer, reading two values strictly where it reads them loosely.

    A TIMESTAMP goes to ``dateparser``, which reads what it can: '2020-13-01T00:00:00Z'
    was 13 January. It is read as ISO 8601 here, and a date that is none is refused. And
    an EWKT geometry's SRID was printed to the server's output (as were a MULTIPOINT's
    points); the SRID is kept in the geometry as pygeofilter keeps it, without printing.
    """
    from lark import v_args

    @v_args(meta=False, inline=True)
    class Strict(base):  # type: ignore[misc]
        def DATETIME(self, text: Any) -> dt.datetime:  # noqa: N802 (the grammar's name)
            try:
                return dt.datetime.fromisoformat(str(text))
            except ValueError:
                raise ValueError(
                    f"TIMESTAMP('{text}') is no date and time: write it as "
                    "TIMESTAMP('2021-12-31T00:00:00Z')"
                ) from None

        def wkt__geometry_with_srid(self, srid: Any, geometry: dict[str, Any]) -> Any:
            crs = {"type": "name", "properties": {"name": f"urn:ogc:def:crs:EPSG::{srid}"}}
            return {**geometry, "crs": crs}

        def wkt__multipoint_2(self, *coordinates: Any) -> Any:
            return {"type": "MultiPoint", "coordinates": coordinates}

    return Strict()


def parse_text(text: str) -> Any:
    """The parsed tree of a CQL2 text filter, or ``FilterError`` saying where it is wrong."""
    if len(text) > MAX_FILTER_CHARS:
        raise FilterError(f"the filter is longer than {MAX_FILTER_CHARS:,} characters")
    if not text.strip():
        raise FilterError("the filter is empty")
    source = _unescape(text)
    import lark

    parse = _parser().parse
    try:
        tree = parse(source)
    except lark.exceptions.UnexpectedInput as exc:
        temporal = re.search(r"\b(T_[A-Za-z]+)\s*\(", source)
        if temporal:  # valid CQL2 of a class not offered: it had been told no CQL2 at all
            raise FilterError(
                f"{temporal.group(1).upper()}: the temporal functions of CQL2 are not offered; "
                "compare the date itself: recorded > DATE('2020-01-01')"
            ) from None
        column = getattr(exc, "column", None)
        where = f" at character {column}" if isinstance(column, int) and column > 0 else ""
        raise FilterError(
            f"the filter is not CQL2 text{where}: {_context(text, column)}; write it as "
            "status = 'CHA' AND remaining_m2 > 10000 (properties as the queryables name them, "
            "text in single quotes, dates as DATE('2021-12-31'))"
        ) from None
    except (lark.exceptions.LarkError, ValueError, TypeError, RecursionError) as exc:
        raise FilterError(f"the filter is not CQL2 text: {str(exc)[:200]}") from None
    return tree


def parse_json(text: str) -> Any:
    """The parsed tree of a CQL2 JSON filter (``filter-lang=cql2-json``), or
    ``FilterError`` saying what is wrong. The same tree as CQL2 text's, so the same
    checks and SQL follow."""
    import json

    from pygeofilter.parsers.cql2_json import parse

    if len(text) > MAX_FILTER_CHARS:
        raise FilterError(f"the filter is longer than {MAX_FILTER_CHARS:,} characters")

    def no_constant(name: str) -> Any:
        raise FilterError(f"the filter holds {name}, which is no number JSON has")

    try:
        document = json.loads(text, parse_constant=no_constant)
    except FilterError:
        raise
    except RecursionError:
        raise FilterError(f"the filter's JSON is nested more than {MAX_JSON_DEPTH} deep") from None
    except ValueError as exc:
        raise FilterError(f"the filter is not JSON: {exc}") from None
    if _json_depth(document) > MAX_JSON_DEPTH:
        raise FilterError(f"the filter's JSON is nested more than {MAX_JSON_DEPTH} deep")
    decoded = json.dumps(document, ensure_ascii=False)
    if _PLACEHOLDER in decoded:
        raise FilterError("the filter holds a private-use character (U+E000)")
    try:
        decoded.encode("utf-8")
    except UnicodeEncodeError:
        raise FilterError("the filter holds a lone surrogate (\\ud800…): no character") from None
    if not isinstance(document, dict):
        raise FilterError('the filter is not CQL2 JSON: write it as {"op": "=", "args": …}')
    try:
        return parse(_as_pygeofilter_reads(document))
    except FilterError:
        raise
    except Exception as exc:  # pygeofilter raises bare Exception, KeyError, IndexError…
        detail = str(exc)[:80] or type(exc).__name__
        raise FilterError(
            f"the filter is not CQL2 JSON ({detail}): write it as "
            '{"op": "=", "args": [{"property": "status"}, "CHA"]}'
        ) from None


def _json_bad(what: str) -> FilterError:
    return FilterError(f"the filter is not CQL2 JSON: {what}")


def _as_pygeofilter_reads(node: Any) -> Any:
    """CQL2 JSON as the standard writes it, checked, in the forms pygeofilter's parser
    reads: BETWEEN's bounds as two arguments (``[x, low, high]``; it reads the draft's
    ``[x, [low, high]]``), LIKE's pattern under CASEI (it takes the pattern as text), a
    bbox's numbers in its Envelope's order (x1, x2, y1, y2: it passed the bbox's own, so
    latitudes were read as longitudes), and dates and times read strictly here (its
    reader took "next tuesday" and 2020-13-01, and took seconds over a long one)."""
    if isinstance(node, list):
        return [_as_pygeofilter_reads(n) for n in node]
    if not isinstance(node, dict):
        return node
    if "property" in node and not isinstance(node["property"], str):
        raise _json_bad('a "property" is named by text')
    if "bbox" in node:
        box = node["bbox"]
        if (
            not isinstance(box, list)
            or len(box) not in (4, 6)
            or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in box)
        ):
            raise _json_bad('a "bbox" is 4 numbers: minlon, minlat, maxlon, maxlat')
        if len(box) == 6:  # with heights: minx, miny, minz, maxx, maxy, maxz
            box = [box[0], box[1], box[3], box[4]]
        if box[0] > box[2] or box[1] > box[3]:
            raise FilterError(
                "bbox: its west is east of its east, or its south north of its north; the "
                "order is minlon, minlat, maxlon, maxlat"
            )
        return {"bbox": [box[0], box[2], box[1], box[3]]}
    if "date" in node:
        return _strict_time(node["date"], date_only=True)
    if "timestamp" in node:
        return _strict_time(node["timestamp"], date_only=False)
    if "interval" in node:
        raise FilterError(
            "intervals are not taken: compare a date property with dates, "
            '{"op": ">=", "args": [{"property": "recorded"}, {"date": "2021-01-01"}]}'
        )
    node = {k: _as_pygeofilter_reads(v) for k, v in node.items()}
    op, args = node.get("op"), node.get("args")
    if "op" in node and not isinstance(op, str):
        raise _json_bad('an "op" is named by text')
    if op in ("and", "or") and (not isinstance(args, list) or len(args) < 2):
        raise _json_bad(f'"{op}" takes a list of two conditions or more')
    if op in ("not", "isNull", "casei"):
        if isinstance(args, list):
            if len(args) != 1:
                raise _json_bad(f'"{op}" takes one argument')
        elif not isinstance(args, dict):
            raise _json_bad(f'"{op}" takes one argument')
    if op == "between":
        if isinstance(args, list) and len(args) == 3:
            args = node["args"] = [args[0], [args[1], args[2]]]
        if not (
            isinstance(args, list)
            and len(args) == 2
            and isinstance(args[1], list)
            and len(args[1]) == 2
        ):
            raise _json_bad('"between" takes a property, its lower and its upper bound')
    if op == "in" and not (isinstance(args, list) and len(args) == 2 and isinstance(args[1], list)):
        raise _json_bad('"in" takes a property and a list of values')
    if op == "like" and isinstance(args, list) and len(args) == 2:
        pattern = args[1]
        if (
            isinstance(pattern, dict)
            and pattern.get("op") == "casei"
            and isinstance(pattern.get("args"), list)
            and len(pattern["args"]) == 1
            and isinstance(pattern["args"][0], str)
        ):
            lhs = args[0]
            if not (isinstance(lhs, dict) and lhs.get("op") == "casei"):
                lhs = {"op": "casei", "args": [lhs]}
            node["args"] = [lhs, pattern["args"][0].lower()]
    if "function" in node:
        called = node["function"]
        if (
            not isinstance(called, dict)
            or not isinstance(called.get("name"), str)
            or not isinstance(called.get("arguments", []), list)
        ):
            raise _json_bad('a "function" has a name and a list of arguments')
    return node


def _strict_time(value: Any, *, date_only: bool) -> dt.date | dt.datetime:
    """A CQL2 JSON date ("2021-12-31") or timestamp ("2021-12-31T00:00:00Z"), or
    FilterError."""
    example = "2021-12-31" if date_only else "2021-12-31T00:00:00Z"
    if isinstance(value, str) and len(value) <= 40:
        try:
            if date_only and len(value) == 10:
                return dt.date.fromisoformat(value)
            if not date_only and "T" in value:
                return dt.datetime.fromisoformat(value)
        except ValueError:
            pass
    shown = repr(value)[:40]
    kind = "date" if date_only else "timestamp"
    raise FilterError(f"the {kind} {shown} is not one: write it as {example!r}")


def _json_depth(document: Any) -> int:
    """How deeply a parsed JSON document nests (without recursion: it may be an attack)."""
    deepest, stack = 0, [(document, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        if depth > MAX_JSON_DEPTH:
            break
        if isinstance(node, dict):
            stack.extend((v, depth + 1) for v in node.values())
        elif isinstance(node, list):
            stack.extend((v, depth + 1) for v in node)
    return deepest


def _context(text: str, column: Any) -> str:
    if not isinstance(column, int) or column < 1:
        return repr(text[:60])
    start = max(0, column - 21)
    return f"…{text[start : column - 1]}⟨here⟩{text[column - 1 : column + 20]}…"


def to_sql(tree: Any, queryables: Mapping[str, Queryable], *, prefix: str = "cql") -> Where:
    """The condition ``tree`` states, over ``queryables``, its values bound as
    ``:{prefix}_0``, ``:{prefix}_1``, …"""
    try:
        return _Translator(queryables, prefix).where(tree)
    except FilterError:
        raise
    except RecursionError:  # CASEI(CASEI(…)) a thousand deep
        raise FilterError(f"the filter is nested more than {MAX_DEPTH} deep") from None
    except (AttributeError, TypeError, KeyError, IndexError, ValueError) as exc:
        # a tree of a shape no filter makes (CQL2 JSON can name any: an IN of a number,
        # a function of an object): a 500 had answered it (an attack on our own instance)
        raise FilterError(
            f"the filter cannot be read ({type(exc).__name__}): compare properties with "
            "values, as /queryables lists them"
        ) from None


def equals(name: str, value: str, queryables: Mapping[str, Queryable]) -> Any:
    """``name = value`` as a parsed tree, ``value`` read as the property's type: a query
    parameter named after a queryable (Part 3's queryables as query parameters)."""
    kind = queryables[name].kind
    literal: Any = value
    try:
        if "\0" in value:
            raise ValueError(value)
        if kind == NUMBER:
            literal = float(value)
            if not math.isfinite(literal):
                raise ValueError(value)
        elif kind == INTEGER:
            literal = int(value)
            if abs(literal) > _BIGINT:
                raise ValueError(value)
        elif kind == DATE:
            literal = dt.date.fromisoformat(value)
        elif kind == BOOLEAN:
            if value.lower() not in ("true", "false"):
                raise ValueError(value)
            literal = value.lower() == "true"
    except ValueError:
        raise FilterError(f"{name}={value!r}: {name} is {_WORDS[kind]}") from None
    return ast.Equal(ast.Attribute(name), literal)


def combine(*trees: Any) -> Any:
    """The trees joined by AND (None where there is none)."""
    found = [t for t in trees if t is not None]
    if not found:
        return None
    combined = found[0]
    for tree in found[1:]:
        combined = ast.And(combined, tree)
    return combined


class _Translator:
    """Makes SQL of a parsed tree; each value a bound parameter, each comparison typed."""

    def __init__(self, queryables: Mapping[str, Queryable], prefix: str) -> None:
        self.ast, self.values = ast, values
        self.queryables = queryables
        self.prefix = prefix
        self.params: dict[str, Any] = {}
        self.count = 0
        self.spatial = 0

    def where(self, tree: Any) -> Where:
        return Where(self.condition(tree, 0), self.params)

    # -- values -------------------------------------------------------------------------

    def name(self) -> str:
        self.count += 1
        return f"{self.prefix}_{self.count}"

    def bind(self, value: Any, kind: str) -> str:
        name = self.name()
        self.params[name] = value
        return f"CAST(:{name} AS {_CAST[kind]})"

    def attribute(self, node: Any) -> Queryable:
        queryable = self.queryables.get(node.name)
        if queryable is None:
            names = sorted(self.queryables)
            known = ", ".join(names[:SAID_AT_MOST]) or "none"
            if len(names) > SAID_AT_MOST:  # an upload's columns are queryables too
                known += f" and {len(names) - SAID_AT_MOST} more (the queryables list them all)"
            raise FilterError(
                f"the filter names {node.name!r}, which is not a queryable of this collection; "
                f"its queryables are {known}"
            )
        self.params.update(queryable.params)
        return queryable

    def literal(self, value: Any, kind: str, name: str) -> str:
        """``value`` bound as a ``kind`` compared with property ``name``, or refused."""
        ok: Any = None
        if isinstance(value, str):
            value = _value(value)
            if "\0" in value:
                raise FilterError(f"{name}: the filter's text holds a NUL character")
        if kind == STRING and isinstance(value, str):
            ok = value
        elif kind in (NUMBER, INTEGER) and isinstance(value, int | float):
            ok = value if not isinstance(value, bool) else None
            kind = NUMBER if isinstance(value, float) else kind
            bound = _BIGINT if kind == INTEGER else 1e300  # compared exactly, as Python does
            if ok is not None and not (abs(ok) <= bound and math.isfinite(float(abs(ok)))):
                raise FilterError(f"{name}: the number {str(value)[:40]} is out of range")
        elif kind == BOOLEAN and isinstance(value, bool):
            ok = value
        elif kind == DATE:
            if isinstance(value, dt.datetime):
                try:
                    utc = value.astimezone(dt.UTC) if value.tzinfo else value
                except (OverflowError, ValueError):
                    raise FilterError(f"{name}: the time {value} is out of range") from None
                ok = utc.date()
            elif isinstance(value, dt.date):
                ok = value
            elif isinstance(value, str):
                try:  # GDAL writes a date as "2021-06-01T"
                    ok = dt.date.fromisoformat(value.removesuffix("T"))
                except ValueError:
                    ok = None
        if ok is None:
            raise FilterError(f"{name} is {_WORDS[kind]}; the filter compares it with {value!r}")
        return self.bind(ok, kind)

    def operand(self, node: Any, kind: str | None, name: str) -> tuple[str, str]:
        """An operand's SQL and type: a property, ``CASEI(…)`` of text, or a value read as
        ``kind`` (the other side's type)."""
        ast = self.ast
        if isinstance(node, ast.Attribute):
            queryable = self.attribute(node)
            if queryable.kind == GEOMETRY:
                raise FilterError(f"{node.name} is {_WORDS[GEOMETRY]}")
            return queryable.sql, queryable.kind
        if isinstance(node, ast.Function):
            if node.name != "lower" or len(node.arguments) != 1:
                raise FilterError(
                    f"the function {node.name}() is not supported: only CASEI(…) of text is"
                )
            sql, found = self.operand(node.arguments[0], STRING, name)
            if found != STRING:
                raise FilterError(f"CASEI() takes text; {name} is {_WORDS[found]}")
            return f"lower({sql})", STRING
        if isinstance(node, ast.Node):
            raise FilterError(
                f"{type(node).__name__} is not supported in a comparison: compare a property "
                "with a value"
            )
        if kind is None:
            raise FilterError("the filter compares two values: name a property on one side")
        return self.literal(node, kind, name), kind

    def pair(self, lhs: Any, rhs: Any) -> tuple[str, str, str]:
        """Both sides of a comparison, each read as the other's type."""
        left_kind, left_name = self.kind_of(lhs), self.label(lhs)
        right_kind, right_name = self.kind_of(rhs), self.label(rhs)
        if left_kind is None and right_kind is None:
            raise FilterError("the filter compares two values: name a property on one side")
        left, found_left = self.operand(lhs, right_kind, right_name)
        right, found_right = self.operand(rhs, found_left, left_name)
        numbers = {NUMBER, INTEGER}
        if found_left != found_right and not {found_left, found_right} <= numbers:
            raise FilterError(
                f"{left_name} is {_WORDS[found_left]}, {right_name} is {_WORDS[found_right]}: "
                "they cannot be compared"
            )
        return left, right, found_left

    def kind_of(self, node: Any) -> str | None:
        """The type of a property, or of ``CASEI`` of one; None for a value."""
        if isinstance(node, self.ast.Attribute):
            return self.attribute(node).kind
        if isinstance(node, self.ast.Function) and len(node.arguments) == 1:
            return self.kind_of(node.arguments[0])
        return None

    def label(self, node: Any) -> str:
        if isinstance(node, self.ast.Attribute):
            return str(node.name)
        if isinstance(node, self.ast.Function) and len(node.arguments) == 1:
            return self.label(node.arguments[0])
        return repr(_value(node) if isinstance(node, str) else node)

    # -- conditions ---------------------------------------------------------------------

    def condition(self, node: Any, depth: int) -> str:
        ast = self.ast
        if depth > MAX_DEPTH:
            raise FilterError(f"the filter is nested more than {MAX_DEPTH} deep")
        if isinstance(node, ast.And | ast.Or):
            word = "AND" if isinstance(node, ast.And) else "OR"
            left = self.condition(node.lhs, depth + 1)
            right = self.condition(node.rhs, depth + 1)
            return f"({left} {word} {right})"
        if isinstance(node, ast.Not):
            return f"(NOT {self.condition(node.sub_node, depth + 1)})"
        if isinstance(node, ast.Comparison):
            left, right, _ = self.pair(node.lhs, node.rhs)
            op = {"=": "=", "<>": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">="}[node.op.value]
            return f"({left} {op} {right})"
        if isinstance(node, ast.IsNull):
            if not isinstance(node.lhs, ast.Attribute):
                raise FilterError("IS NULL takes a property")
            if self.attribute(node.lhs).kind == GEOMETRY:  # (its SQL is a template)
                raise FilterError("IS NULL takes a property other than the geometry")
            return f"({self.attribute(node.lhs).sql} IS {'NOT ' if node.not_ else ''}NULL)"
        if isinstance(node, ast.Between):
            left, low, kind = self.pair(node.lhs, node.low)
            if kind not in (NUMBER, INTEGER, DATE):
                raise FilterError("BETWEEN takes a number or a date")
            _, high, _ = self.pair(node.lhs, node.high)
            return f"({left} {'NOT ' if node.not_ else ''}BETWEEN {low} AND {high})"
        if isinstance(node, ast.Like):
            # CQL2's LIKE is SQL's: % any text, _ one character, \ escapes either
            given = node.pattern
            if isinstance(given, ast.Function) and len(given.arguments) == 1:
                given = given.arguments[0]
            if isinstance(given, str):
                raw = _value(given)
                if (len(raw) - len(raw.rstrip("\\"))) % 2:
                    raise FilterError(
                        f"LIKE {raw[:40]!r} ends with a lone \\, which escapes nothing: write "
                        "\\\\ for a backslash"
                    )
            left, pattern, kind = self.pair(node.lhs, node.pattern)
            if kind != STRING:
                raise FilterError("LIKE compares text")
            word = "NOT LIKE" if node.not_ else "LIKE"
            if node.nocase:  # ILIKE
                left, pattern = f"lower({left})", f"lower({pattern})"
            return f"({left} {word} {pattern} ESCAPE '\\')"
        if isinstance(node, ast.In):
            if not node.sub_nodes:
                raise FilterError("IN takes at least one value")
            sides = [self.pair(node.lhs, option) for option in node.sub_nodes]
            left, options = sides[0][0], [right for _, right, _ in sides]
            return f"({left} {'NOT ' if node.not_ else ''}IN ({', '.join(options)}))"
        if isinstance(node, ast.GeometryIntersects):
            return self.intersects(node)
        if isinstance(node, ast.SpatialComparisonPredicate):
            raise FilterError(
                f"{node.op.name} is not supported: S_INTERSECTS(geometry, …) is the spatial "
                "function this API takes"
            )
        if isinstance(node, bool):
            return "TRUE" if node else "FALSE"
        raise FilterError(
            f"{type(node).__name__} is not supported: this API takes comparisons, LIKE, "
            "BETWEEN, IN, IS NULL, CASEI and S_INTERSECTS, joined by AND, OR and NOT"
        )

    def intersects(self, node: Any) -> str:
        ast, values = self.ast, self.values
        lhs, rhs = node.lhs, node.rhs
        if not isinstance(lhs, ast.Attribute):
            lhs, rhs = rhs, lhs
        if not isinstance(lhs, ast.Attribute) or self.attribute(lhs).kind != GEOMETRY:
            raise FilterError("S_INTERSECTS takes the geometry property and a geometry")
        self.spatial += 1
        if self.spatial > MAX_SPATIAL:
            raise FilterError(
                f"the filter has more than {MAX_SPATIAL} S_INTERSECTS: join the areas into "
                "one geometry, or send a request for each"
            )
        shape: BaseGeometry
        try:
            if isinstance(rhs, ast.Function) and rhs.name.lower() == "bbox":
                numbers = [float(a) for a in rhs.arguments]
                if len(numbers) == 6:  # with heights: minx, miny, minz, maxx, maxy, maxz
                    numbers = [numbers[0], numbers[1], numbers[3], numbers[4]]
                if len(numbers) != 4:
                    raise FilterError("BBOX takes 4 numbers: minlon, minlat, maxlon, maxlat")
                if numbers[0] > numbers[2] or numbers[1] > numbers[3]:
                    raise FilterError(
                        "BBOX: its west is east of its east, or its south north of its north; "
                        "the order is minlon, minlat, maxlon, maxlat"
                    )
                shape = shapely.box(numbers[0], numbers[1], numbers[2], numbers[3])
            elif isinstance(rhs, values.Envelope):  # (x1, x2, y1, y2)
                if not all(math.isfinite(v) for v in (rhs.x1, rhs.x2, rhs.y1, rhs.y2)):
                    raise FilterError("S_INTERSECTS: the bbox's numbers are not finite")
                shape = shapely.box(rhs.x1, rhs.y1, rhs.x2, rhs.y2)
            elif isinstance(rhs, values.Geometry):
                if nested_deeper(rhs.geometry):
                    raise FilterError("S_INTERSECTS: the geometry's collections nest too deeply")
                shape = _in_crs84(rhs.geometry)
            else:
                raise FilterError("S_INTERSECTS takes a geometry in WKT or BBOX(…)")
        except (
            TypeError,
            ValueError,
            AttributeError,
            KeyError,
            IndexError,
            shapely.errors.ShapelyError,
        ) as exc:
            if isinstance(exc, FilterError):
                raise
            said = str(exc)[:80] or type(exc).__name__
            raise FilterError(f"S_INTERSECTS: the geometry is not one: {said}") from None
        if (
            shape.is_empty
            or not all(-180 <= v <= 180 for v in (shape.bounds[0], shape.bounds[2]))
            or not all(-90 <= v <= 90 for v in (shape.bounds[1], shape.bounds[3]))
        ):
            raise FilterError(
                "S_INTERSECTS: the geometry is empty or outside longitude -180…180 and "
                "latitude -90…90 (CRS84: longitude first)"
            )
        name = self.name()
        self.params[name] = shape.wkb
        geometry = f"ST_SetSRID(ST_GeomFromWKB(CAST(:{name} AS bytea)), 4326)"
        return self.attribute(lhs).sql.format(g=geometry)


def _in_crs84(geometry: dict[str, Any]) -> BaseGeometry:
    """A filter's geometry in longitude and latitude: an EWKT geometry's SRID
    (``SRID=32648;POINT(…)``) is honoured, where it had been read as CRS84 whatever it
    said. Only an EPSG code: PROJ reads no file for one."""
    shape = shapely.geometry.shape(geometry)
    name = str(geometry.get("crs", {}).get("properties", {}).get("name", ""))
    code = name.rpartition(":")[2]
    if not code or code in ("4326", "CRS84"):
        return shape
    import pyproj

    try:
        if not code.isdigit() or len(code) > 6:
            raise pyproj.exceptions.CRSError(code)
        to_crs84 = pyproj.Transformer.from_crs(f"EPSG:{code}", "OGC:CRS84", always_xy=True)
    except pyproj.exceptions.CRSError:
        raise FilterError(f"S_INTERSECTS: SRID={code} is no EPSG code PROJ knows") from None
    moved = shapely.transform(shape, lambda xy: np.column_stack(to_crs84.transform(*xy.T)))
    if not np.isfinite(shapely.get_coordinates(moved)).all():
        raise FilterError(f"S_INTERSECTS: the geometry lies outside where SRID={code} is defined")
    return moved
