"""Field mappings: an operator's column names matched to the template's, and remembered.

``--map hazard_id=HAZ_REF,…`` (or the upload form) names the file's columns; the mapping
an organisation used last is remembered and offered again, and set aside with a note when
the next file does not fit it (docs/design.md §6).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import geopandas as gpd
from sqlalchemy import func
from sqlalchemy.orm import Session

from ims.db.models import FieldMapping, Organisation
from ims.domain.enums import UploadKind
from ims.errors import InvalidRequest, InvalidUpload
from ims.ingest.fields import HAZARD_FIELDS, RELEASE_FIELDS, blank

# (keyed by str: a kind arrives as text from the CLI and the forms, and UploadKind is one)
FIELDS: dict[str, tuple[str, ...]] = {
    UploadKind.HAZARDS: HAZARD_FIELDS,
    UploadKind.RELEASES: RELEASE_FIELDS,
}
REQUIRED: dict[str, tuple[str, ...]] = {
    UploadKind.HAZARDS: ("hazard_id",),
    UploadKind.RELEASES: ("release_id", "hazard_id"),
}
ATTRIBUTES = "_attributes"  # a staged record's columns that are not template fields


def jsonable(value: Any) -> Any:
    """A file's cell as JSON keeps it: dates as ISO text, whole floats as ints, blanks None."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if blank(value):
        return None
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, int | float | str | bool):
        return value
    return str(value)


def parse_field_map(text_value: str | None) -> dict[str, str]:
    """Read ``hazard_id=HAZ_REF,status=TYPE`` into {template field: file field}."""
    mapping: dict[str, str] = {}
    if not text_value:
        return mapping
    for part in text_value.split(","):
        if not part.strip():
            continue
        target, sep, source = part.partition("=")
        if not sep or not target.strip() or not source.strip():
            raise InvalidRequest(f"field mapping {part!r} is not field=source")
        mapping[target.strip()] = source.strip()
    return mapping


def apply_field_map(frame: Any, kind: str, mapping: Mapping[str, str]) -> Any:
    """Rename the file's columns to the template's; unusable input raises InvalidUpload."""
    fields = FIELDS[kind]
    unknown = sorted(set(mapping) - set(fields))
    if unknown:
        raise InvalidRequest(
            f"the field mapping names {', '.join(unknown)}, which the {kind} template does "
            f"not have; its fields are {', '.join(fields)}"
        )
    columns = [c for c in frame.columns if c != frame.geometry.name]
    by_lower = {c.lower(): c for c in columns}
    rename: dict[str, str] = {}
    for target in fields:
        source = mapping.get(target)
        if source is not None:
            actual = by_lower.get(source.lower())
            if actual is None:
                raise InvalidUpload(
                    f"the field mapping says {target}={source}, but the file has no field "
                    f"{source!r}; its fields are {', '.join(columns)}"
                )
            rename[actual] = target
        elif target.lower() in by_lower and by_lower[target.lower()] not in rename:
            rename[by_lower[target.lower()]] = target
    missing = [f for f in REQUIRED[kind] if f not in rename.values()]
    if missing:
        raise InvalidUpload(
            f"the file has no {', '.join(missing)} field; its fields are "
            f"{', '.join(columns)}. Map your field names with --map, e.g. "
            f"--map {missing[0]}=YOUR_FIELD"
        )
    mapped = frame.rename(columns=rename)
    keep = [f for f in fields if f in mapped.columns]
    result = gpd.GeoDataFrame(mapped[keep], geometry=mapped.geometry, crs=mapped.crs)
    # The file's other columns (a village, a note…) are kept with each record.
    extras = [c for c in columns if c not in rename]
    rows = frame[extras].to_dict("records") if extras else [{}] * len(frame)
    result[ATTRIBUTES] = [{k: jsonable(v) for k, v in row.items() if not blank(v)} for row in rows]
    result.attrs["extra_fields"] = extras
    return result


def fits(frame: Any, mapping: Mapping[str, str]) -> bool:
    """Whether the file has every field a mapping reads from."""
    columns = {str(c).lower() for c in frame.columns}
    return all(source.lower() in columns for source in mapping.values())


def stored_mapping(
    session: Session, organisation: Organisation | None, kind: str
) -> dict[str, str]:
    """The field mapping an organisation used last time for this kind of file."""
    if organisation is None:
        return {}
    row = session.get(FieldMapping, (organisation.id, kind))
    return dict(row.mapping) if row else {}


def remember_mapping(
    session: Session, org: Organisation, kind: str, mapping: dict[str, str]
) -> None:
    row = session.get(FieldMapping, (org.id, kind))
    if row is None:
        session.add(FieldMapping(organisation_id=org.id, kind=kind, mapping=mapping))
    else:
        row.mapping = mapping
        row.updated_at = func.now()
