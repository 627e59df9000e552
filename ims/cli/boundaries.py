"""``ims boundaries``: administrative boundaries (provinces, districts)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from ims.cli.common import actor, command, db_session, emit, out, progress_bar
from ims.words import counted

boundaries_app = typer.Typer(
    help="Administrative boundaries (provinces, districts).", no_args_is_help=True
)


@command(boundaries_app, "load")
def boundaries_load(
    file: Annotated[Path, typer.Argument(help="A vector file of admin polygons (any CRS).")],
    level: Annotated[int, typer.Option(help="1 = provinces, 2 = districts.")],
    code_field: Annotated[str | None, typer.Option(help="Field holding the code.")] = None,
    name_field: Annotated[str | None, typer.Option(help="Field holding the name.")] = None,
) -> None:
    """Add or update admin areas from FILE, matched by code; districts find their province."""
    from ims.db.recording import load_boundaries
    from ims.ingest.boundaries import read_boundaries

    features = read_boundaries(file, code_field=code_field, name_field=name_field)
    with (
        db_session() as session,
        session.begin(),
        progress_bar("recomputing area figures") as update,
    ):
        result = load_boundaries(
            session, features, level=level, source=file.name, progress=update, by=actor()
        )
    out.print(
        f"level {level}: {result.added} added, {result.updated} updated from {file.name}",
        highlight=False,
    )
    said = result.nesting.sentence() if result.nesting else None
    if said:
        out.print(f"warning: {said}", highlight=False)


@command(boundaries_app, "list")
def boundaries_list(
    csv_out: Annotated[
        bool,
        typer.Option(
            "--csv", help="As CSV (level, code, name, province): a gazetteer file to start from."
        ),
    ] = False,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the CSV to this file.")
    ] = None,
) -> None:
    """The provinces and districts held: their codes, names and other names."""
    from ims.cells import csv_text
    from ims.queries.places import areas_listed

    with db_session() as session:
        areas = areas_listed(session)
    if csv_out or output is not None:
        rows: list[tuple[object, ...]] = [("level", "code", "name", "province")]
        for a in areas:
            rows.append((a.level, a.code, a.name, a.province or ""))
            rows += [(a.level, a.code, other, a.province or "") for other in a.also]
        emit(csv_text(rows), output)  # no name able to start a formula in a spreadsheet
        return
    if not areas:
        out.print("no boundaries loaded: ims boundaries load FILE --level 1", highlight=False)
        return
    table = Table(title="Admin areas", title_justify="left")
    for col in ("Level", "Code", "Name", "Province", "Also named"):
        table.add_column(col)
    for a in areas:
        table.add_row(str(a.level), a.code, a.name, a.province or "", ", ".join(a.also))
    out.print(table)


@command(boundaries_app, "names")
def boundaries_names(
    file: Annotated[
        Path,
        typer.Argument(
            help="A CSV file (UTF-8) with the columns level, code and name: one other name "
            "of an area on each line."
        ),
    ],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Say what loading FILE would change; change nothing.")
    ] = False,
) -> None:
    """Load a gazetteer: the other names of the provinces and districts, which the map's
    find box searches too ("Sayaboury" finds Xaignabouli). The file is the whole list:
    loading it again replaces the names loaded before, so a name left out of FILE is
    removed (--dry-run says which first). `ims boundaries list --csv` gives the codes, and
    the names held, as a file to start from."""
    from ims.db.place_names import load_place_names
    from ims.domain.place_names import read_place_names

    rows = read_place_names(file)
    with db_session() as session:
        transaction = session.begin()
        result = load_place_names(session, rows, source=file.name, by=actor())
        if dry_run:
            transaction.rollback()
        else:
            transaction.commit()
    ignored = (
        f", {result.ignored:,} left out (an area's own name or a repeat)" if result.ignored else ""
    )
    out.print(
        f"{'would load' if dry_run else 'loaded'} "
        f"{counted(result.added + result.kept, 'other name')} of "
        f"{counted(result.areas, 'area')} from {file.name}: {result.added:,} added, "
        f"{result.removed:,} removed, {result.kept:,} as before{ignored}",
        highlight=False,
    )
    shown = result.removed_names[:10]
    for name in shown:
        out.print(f"  removed: {name}", highlight=False)
    if len(result.removed_names) > len(shown):
        out.print(f"  … and {len(result.removed_names) - len(shown):,} more", highlight=False)
    for clash in result.clashes:
        out.print(f"warning: {clash}", highlight=False)
