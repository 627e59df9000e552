"""``ims mappings``: the field mappings remembered per organisation, listed and forgotten."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer

from ims.cli.common import actor, command, db_session, out
from ims.errors import InvalidRequest

if TYPE_CHECKING:
    from ims.ingest.field_maps import Remembered

mappings_app = typer.Typer(
    help="Field mappings remembered per organisation and kind of file: list, clear.",
    no_args_is_help=True,
)


@command(mappings_app, "list")
def mappings_list(
    org: Annotated[str | None, typer.Option("--org", help="Of this organisation only.")] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="As JSON: each with its mapping document.")
    ] = False,
) -> None:
    """Every remembered mapping: organisation, kind of file, its number, since when, the
    document.

    The document is what ims import --mapping reads; an upload of that organisation and
    kind without a mapping of its own uses it when the file has the fields it reads. The
    number forgets it alone: ims mappings clear --org ORG --id N.
    """
    from ims.ingest import field_maps
    from ims.ingest.submissions import organisation_named

    with db_session() as session:
        organisation = organisation_named(session, org, uploading=False)
        found = field_maps.list_mappings(session, organisation)
    if as_json:
        document = [
            {
                "organisation": m.organisation,
                "kind": m.kind,
                "id": m.id,
                "updated_at": m.updated_at.isoformat(),
                "mapping": m.mapping.as_json(),
            }
            for m in found
        ]
        out.print_json(json.dumps(document, ensure_ascii=False))
        return
    if not found:
        out.print(
            "no mapping is remembered" + (f" for {organisation.name}" if organisation else ""),
            highlight=False,
            markup=False,
        )
        return
    for m in found:
        out.print(
            f"{m.organisation} {m.kind} #{m.id} (since {m.updated_at:%Y-%m-%d %H:%M}): {_said(m)}",
            highlight=False,
            markup=False,
        )


def _said(m: Remembered) -> str:
    """A remembered mapping in words; one holding only a coordinate system, the one chosen
    for files in the template's names, said so (it had printed as a bare {"crs": …}:
    helper-115)."""
    if m.mapping:
        return m.mapping.text()
    return (
        f"{m.mapping.crs} for its files in the template's names that declare no coordinate system"
    )


@command(mappings_app, "clear")
def mappings_clear(
    org: Annotated[str, typer.Option("--org", help="The organisation whose mapping to forget.")],
    kind: Annotated[
        str | None, typer.Option(help="hazards or releases only (default: both).")
    ] = None,
    only: Annotated[
        int | None,
        typer.Option("--id", min=1, help="The one of this number only (ims mappings list)."),
    ] = None,
) -> None:
    """Forget an organisation's remembered mappings, in the audit trail.

    Its next uploads then need a mapping again, unless the file has the template's names.
    With --id, the one of that number alone: one is kept for each layout of columns.
    """
    from ims.ingest import field_maps
    from ims.ingest.submissions import organisation_named

    if kind is not None and kind not in ("hazards", "releases"):
        raise InvalidRequest(f"--kind {kind!r}: use hazards or releases")
    with db_session() as session, session.begin():
        organisation = organisation_named(session, org, uploading=False)
        if organisation is None:
            raise InvalidRequest("--org names the organisation whose mapping to forget")
        gone = field_maps.clear_mappings(session, organisation, kind, only=only, by=actor())
        name = organisation.name
    if not gone:
        what = f"{kind} " if kind else ""
        number = f" numbered {only}" if only is not None else ""
        out.print(
            f"no {what}mapping{number} is remembered for {name}: nothing to clear",
            highlight=False,
            markup=False,
        )
    for m in gone:
        out.print(
            f"forgot the mapping remembered for {m.organisation}'s {m.kind} files: {_said(m)}",
            highlight=False,
            markup=False,
        )
