"""``ims import``: upload a file as a submission and print its findings.

A command of ``ims`` itself, not of a group: the package's ``__init__`` registers it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import typer

from ims.cli.common import actor, db_session, err, out
from ims.errors import InvalidUpload


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
    crs: Annotated[
        str | None, typer.Option(help="CRS of a file that declares none, e.g. EPSG:32648.")
    ] = None,
    layer: Annotated[str | None, typer.Option(help="Layer to read, if several.")] = None,
    approve: Annotated[
        bool, typer.Option("--approve", help="Apply at once if there is no error.")
    ] = False,
    show: Annotated[int, typer.Option(help="How many findings to list.")] = 40,
) -> None:
    """Upload a file as a submission and print its findings.

    Exit status: 0 no errors, 1 errors (nothing applied), 2 unusable input.
    """
    from ims.ingest import approval, field_maps, submissions

    if not file.exists():
        raise InvalidUpload(f"{file}: no such file")
    mapping = field_maps.parse_field_map(field_map)
    with db_session() as session, session.begin():
        outcome = submissions.stage(
            session,
            file,
            kind=kind,
            organisation=org,
            field_map=mapping,
            crs=crs,
            layer=layer,
            uploaded_by=actor(),
            new_organisation=new_org,
            progress=lambda msg: err.print(msg, highlight=False),
        )
        sub = outcome.submission
        _print_findings(outcome.findings, show)
        errors = outcome.errors
        warnings = len(outcome.findings) - errors
        out.print(
            f"submission {sub.id}: {sub.feature_count:,} features ({kind}) from {sub.filename} "
            f"(layer {sub.layer}, {sub.crs}); {errors} error(s), {warnings} warning(s)",
            highlight=False,
        )
        if errors:
            out.print("nothing applied: fix the errors and upload the file again", highlight=False)
        elif approve:
            approval.approve(
                session,
                sub.id,
                by=actor(),
                progress=lambda msg: err.print(msg, highlight=False),
            )
            out.print(f"submission {sub.id} approved and applied", highlight=False)
        else:
            out.print(
                "staged for review: approve with the API or `ims import … --approve`",
                highlight=False,
            )
    if errors:
        raise typer.Exit(1)


def _print_findings(findings: Sequence[Any], show: int) -> None:
    """The first SHOW findings in colour (errors red), and how many of each the rest hold."""
    for finding in findings[:show]:
        colour = "red" if finding.blocking else "yellow"
        out.print(f"[{colour}]{finding}[/]", highlight=False)
    if len(findings) > show:
        counts = Counter((f.severity.value, f.code) for f in findings)
        summary = ", ".join(f"{n} {sev} {code}" for (sev, code), n in counts.most_common())
        out.print(f"… {len(findings) - show} more; in all: {summary}", highlight=False)
