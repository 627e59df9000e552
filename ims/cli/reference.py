"""``ims reference``: the reference lists of munition types and organisations."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from ims.cli.common import actor, command, db_session, out
from ims.errors import InvalidRequest

reference_app = typer.Typer(
    help="Reference lists: munition types and organisations.", no_args_is_help=True
)


@command(reference_app, "munitions")
def reference_munitions() -> None:
    """Every munition type uploads may name, cluster munition remnants first."""
    from ims.db import reference

    with db_session() as session:
        table = Table(title="Munition types", title_justify="left")
        for col in ("Code", "Description", "Category", "CMR"):
            table.add_column(col)
        for m in reference.list_munitions(session):
            table.add_row(m.code, m.name, m.category, "yes" if m.is_cmr else "")
        out.print(table)


@command(reference_app, "add-munition")
def reference_add_munition(
    code: Annotated[str, typer.Argument(help="The code uploads use, e.g. BLU-26.")],
    name: Annotated[str, typer.Option("--name", help="A description.")],
    category: Annotated[str, typer.Option(help="CMR, APM, ATM or ERW.")] = "CMR",
    cmr: Annotated[
        bool, typer.Option("--cmr/--not-cmr", help="A cluster munition remnant or not.")
    ] = True,
) -> None:
    """Add a munition type, or correct the description of an existing one."""
    from ims.db import reference

    with db_session() as session, session.begin():
        m = reference.add_munition(session, code, name, category, cmr, by=actor())
        out.print(
            f"munition type {m.code}: {m.name} ({m.category}{', CMR' if m.is_cmr else ''})",
            highlight=False,
        )


@command(reference_app, "organisations")
def reference_organisations() -> None:
    """Every organisation: the national authority and the operators."""
    from ims.db import reference

    with db_session() as session:
        table = Table(title="Organisations", title_justify="left")
        for col in ("Name", "Kind", "Added"):
            table.add_column(col)
        for o in reference.list_organisations(session):
            table.add_row(o.name, o.kind, f"{o.created_at:%Y-%m-%d}")
        out.print(table)


@command(reference_app, "add-organisation")
def reference_add_organisation(
    name: Annotated[str, typer.Argument(help="The organisation's name.")],
    kind: Annotated[str, typer.Option(help="operator or authority.")] = "operator",
) -> None:
    """Add an organisation."""
    from ims.db import reference

    with db_session() as session, session.begin():
        org = reference.add_organisation(session, name, kind, by=actor())
        out.print(f"added {org.name} ({org.kind})", highlight=False)


forms_app = typer.Typer(
    help="XLSForms for KoboToolbox, ODK and Survey123, from the reference lists.",
    no_args_is_help=True,
)


@command(forms_app, "generate")
def forms_generate(
    out_dir: Annotated[
        str, typer.Option("--out", help="The folder to write the forms into.")
    ] = "sample_data/forms",
) -> None:
    """Write the hazard and release XLSForms with today's munition and organisation lists."""
    from pathlib import Path

    from ims.db import reference
    from ims.files import not_a_folder
    from ims.ingest.forms import write_forms

    wrong = not_a_folder(Path(out_dir))
    if wrong is not None:  # before the database: said at once
        raise InvalidRequest(wrong)
    with db_session() as session:
        munitions = [(m.code, m.name) for m in reference.list_munitions(session)]
        organisations = [o.name for o in reference.list_organisations(session)]
    for path in write_forms(Path(out_dir), munitions, organisations):
        out.print(f"wrote {path}", highlight=False)
