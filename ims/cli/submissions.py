"""``ims import``: upload a file as a submission and print its findings.

A command of ``ims`` itself, not of a group: the package's ``__init__`` registers it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape

from ims.cli.common import actor, db_session, err, out
from ims.errors import InvalidRequest, InvalidUpload

if TYPE_CHECKING:
    from ims.ingest.submissions import StageOutcome

Show = Annotated[int, typer.Option(help="How many findings to list.")]


def _progress(message: str) -> None:
    err.print(message, highlight=False)


def import_file(
    file: Annotated[Path, typer.Argument(help="Zipped shapefile, GeoPackage, GeoJSON or KML.")],
    kind: Annotated[str, typer.Option(help="hazards or releases.")],
    org: Annotated[
        str | None,
        typer.Option(help="The submitting organisation (one of the reference list)."),
    ] = None,
    new_org: Annotated[
        bool, typer.Option("--new-org", help="Add the --org organisation to the reference list.")
    ] = False,
    field_map: Annotated[
        str | None,
        typer.Option("--map", help="Your field names: template_field=your_field,…"),
    ] = None,
    mapping_file: Annotated[
        Path | None,
        typer.Option(
            "--mapping",
            help='A mapping document (JSON): {"fields": {"hazard_id": "{fileId}-{row}", '
            '"status": "typeArea"}, "constants": {"recorded": "2020-01-01"}, "values": '
            '{"status": {"Suspected Minefield": "SHA"}}}; --map adds to its fields.',
        ),
    ] = None,
    crs: Annotated[
        str | None, typer.Option(help="CRS of a file that declares none, e.g. EPSG:32648.")
    ] = None,
    layer: Annotated[str | None, typer.Option(help="Layer to read, if several.")] = None,
    approve: Annotated[
        bool, typer.Option("--approve", help="Apply at once if there is no error.")
    ] = False,
    show: Show = 40,
    findings_to: Annotated[
        Path | None,
        typer.Option(
            "--findings",
            help="Write every finding to this .gpkg (with each feature's geometry) or .csv.",
        ),
    ] = None,
) -> None:
    """Upload a file as a submission and print the mapping used and its findings.

    A mapping given (--map, --mapping) is remembered for the organisation's next files of
    the kind; ims mappings list and clear show and forget them.

    Exit status: 0 no errors, 1 errors (nothing applied), 2 unusable input.
    """
    from ims.ingest import approval, field_maps, submissions
    from ims.queries.findings import FORMATS, write_findings

    if not file.exists():
        raise InvalidUpload(f"{file}: no such file")
    if findings_to is not None and findings_to.suffix.lower().lstrip(".") not in FORMATS:
        raise InvalidRequest(f"--findings {findings_to}: the file ends in .gpkg or .csv")
    renames = field_maps.parse_field_map(field_map)
    document = field_maps.read_mapping_file(mapping_file) if mapping_file else None
    with db_session() as session, session.begin():
        outcome = submissions.stage(
            session,
            file,
            kind=kind,
            organisation=org,
            field_map=renames,
            mapping=document,
            crs=crs,
            layer=layer,
            uploaded_by=actor(),
            new_organisation=new_org,
            progress=_progress,
        )
        sub = outcome.submission
        _print_mapping(outcome)
        _print_findings(outcome.findings, show)
        if findings_to is not None:
            written = write_findings(session, sub.id, findings_to)
            out.print(f"{written:,} finding(s) written to {findings_to}", highlight=False)
        errors = outcome.errors
        warnings = len(outcome.findings) - errors
        out.print(
            f"submission {sub.id}: {sub.feature_count:,} features ({kind}) from {sub.filename} "
            f"(layer {sub.layer}, {sub.crs}); {errors} error(s), {warnings} warning(s)",
            highlight=False,
            markup=False,
        )
        if errors:
            out.print(
                "nothing applied: fix the errors and upload the file again",
                highlight=False,
            )
        elif approve:
            approval.approve(session, sub.id, by=actor(), progress=_progress)
            out.print(f"submission {sub.id} approved and applied", highlight=False)
        else:
            out.print(
                "staged for review: approve with the API or `ims import … --approve`",
                highlight=False,
            )
    if errors:
        raise typer.Exit(1)


def _print_mapping(outcome: StageOutcome) -> None:
    """The field mapping used, where it comes from, and whether it is kept for next time."""
    remembered = outcome.remembered
    if outcome.mapping_origin == "remembered" and remembered is not None:
        out.print(
            f"field mapping remembered for {remembered.organisation}'s {remembered.kind} "
            f"files since {remembered.updated_at:%Y-%m-%d} (forget it with: "
            f"{remembered.clear_command}): {outcome.mapping.text()}",
            highlight=False,
            markup=False,
        )
        return
    if outcome.mapping_origin != "given":
        out.print("field mapping: none (the file's fields have the template's names)")
        return
    out.print(f"field mapping: {outcome.mapping.text()}", highlight=False, markup=False)
    if remembered is not None:
        out.print(
            f"the mapping is remembered for {remembered.organisation}'s {remembered.kind} "
            "files: their next uploads use it unless given another (forget it with: "
            f"{remembered.clear_command})",
            highlight=False,
            markup=False,
        )


def _print_findings(findings: Sequence[Any], show: int) -> None:
    """Errors first, then warnings and notes (the first SHOW in colour), then one line
    counting every kind, so the errors that block approval are never hidden by warnings."""
    order = {"error": 0, "warning": 1}
    ranked = sorted(findings, key=lambda f: (order.get(f.severity.value, 2), f.row or 0))
    for finding in ranked[:show]:
        colour = "red" if finding.blocking else "yellow"
        out.print(f"[{colour}]{escape(str(finding))}[/]", highlight=False)
    if len(ranked) > show:
        out.print(f"… {len(ranked) - show:,} more", highlight=False)
    if findings:
        out.print(f"findings by kind: {summary(findings)}", highlight=False)


def summary(findings: Sequence[Any]) -> str:
    """One line: how many of each kind, errors first ("2 error unknown_munition; …")."""
    counts = Counter((f.severity.value, f.code) for f in findings)
    order = {"error": 0, "warning": 1}
    kinds = sorted(counts.items(), key=lambda item: (order.get(item[0][0], 2), -item[1]))
    return "; ".join(f"{n:,} {severity} {code}" for (severity, code), n in kinds)
