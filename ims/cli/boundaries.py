"""``ims boundaries``: administrative boundaries (provinces, districts)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ims.cli.common import actor, command, db_session, out, progress_bar

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
