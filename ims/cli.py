"""The ``ims`` command."""

from __future__ import annotations

import contextlib
import functools
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from rich.console import Console

from ims.config import configure_logging, get_settings
from ims.db.audit import cli_actor
from ims.errors import ImsError

if TYPE_CHECKING:
    from ims.db.session import Logins

F = TypeVar("F", bound=Callable[..., Any])

app = typer.Typer(
    help="ims: national information management for survey and clearance of explosive "
    "ordnance (hazardous areas, land release, Convention on Cluster Munitions reports).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(
    help="The database: the embedded cluster and its migrations.", no_args_is_help=True
)
app.add_typer(db_app, name="db")
boundaries_app = typer.Typer(
    help="Administrative boundaries (provinces, districts).", no_args_is_help=True
)
app.add_typer(boundaries_app, name="boundaries")
report_app = typer.Typer(
    help="Reports: Article 7 tables, Article 4 progress, explanations.", no_args_is_help=True
)
app.add_typer(report_app, name="report")

# Lines are not cut to the terminal's width: findings and URLs get copied and grepped.
# Piped or logged output gets room for the report tables (a terminal keeps its own width).
out = Console(soft_wrap=True, width=None if sys.stdout.isatty() else 120)
err = Console(stderr=True, soft_wrap=True)


def reports_errors(func: F) -> F:
    """Turn an ImsError into a one-line message and exit code 2, never a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ImsError as exc:
            err.print(f"[bold red]error:[/] {exc.detail}", highlight=False)
            raise typer.Exit(2) from None

    return wrapper  # type: ignore[return-value]


@app.callback()
def main(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log in detail.")] = False,
) -> None:
    """Configure logging once for every command."""
    configure_logging("DEBUG" if verbose else None)


def _database_up(*, quiet: bool = False) -> Logins:
    """Start the embedded cluster if needed, migrate to head; how to log in to it."""
    from ims.db.migrate import current_revision, upgrade
    from ims.db.session import embedded_cluster, logins, make_owner_engine

    settings = get_settings()

    def say(message: str) -> None:
        if not quiet:
            err.print(message, highlight=False)

    if settings.database_url:
        found = logins(settings)
        say("using the server in IMS_DATABASE_URL")
    else:
        cluster = embedded_cluster(settings)
        created = cluster.init()
        started = cluster.start()
        cluster.ensure_database()
        found = logins(settings, start=False)
        if created:
            say(f"created the embedded cluster in {cluster.pgdata}")
        say(
            "started the embedded database"
            if started
            else "the embedded database is already running"
        )
    engine = make_owner_engine(found.owner)
    try:
        before = current_revision(engine)
        upgrade(engine)
        after = current_revision(engine)
    finally:
        engine.dispose()
    say(
        f"schema migrated {before or 'empty'} -> {after}"
        if before != after
        else f"schema already at head ({after})"
    )
    return found


def _print_status() -> None:
    from ims.db.session import (
        SHARED_LOGIN_WARNING,
        check_database,
        embedded_cluster,
        logins,
        make_engine,
    )

    settings = get_settings()
    if settings.database_url:
        out.print("database: external server (IMS_DATABASE_URL)")
        found = logins(settings, start=False)
    else:
        st = embedded_cluster(settings).status()
        state = f"running (pid {st.pid})" if st.running else "stopped"
        if not st.initialised:
            state = "not initialised (run `ims db up`)"
        out.print(f"database: embedded cluster, {state}", highlight=False)
        out.print(f"  data directory: {st.pgdata}", highlight=False)
        out.print(f"  socket:         {st.socket_dir}", highlight=False)
        found = logins(settings, start=False)
        if not st.running:
            out.print(f"  url:            {found.app}", highlight=False)
            return
    engine = make_engine(found.app)
    try:
        info = check_database(engine)
    finally:
        engine.dispose()
    out.print(f"  url:            {found.app}", highlight=False)
    if not found.shared:
        out.print(f"  owner url:      {found.owner}", highlight=False)
    out.print(
        f"  PostgreSQL {info['postgresql']}, PostGIS {info['postgis']}, "
        f"schema revision {info['schema_revision']}",
        highlight=False,
    )
    out.print(f"  works as:       {info['login']}", highlight=False)
    if found.shared:
        err.print(f"[bold yellow]warning:[/] {SHARED_LOGIN_WARNING}", highlight=False)


@db_app.command("up")
@reports_errors
def db_up() -> None:
    """Start the embedded cluster (unless IMS_DATABASE_URL is set), migrate, print the URL."""
    out.print(_database_up().app, highlight=False, soft_wrap=True)


@db_app.command("migrate")
@reports_errors
def db_migrate() -> None:
    """Migrate the database to the latest schema (starts nothing)."""
    from ims.db.migrate import upgrade
    from ims.db.session import embedded_cluster, make_owner_engine, owner_database_url

    settings = get_settings()
    if not settings.database_url and not embedded_cluster(settings).running:
        raise ImsError("the embedded database is not running: start it with `ims db up`")
    engine = make_owner_engine(owner_database_url(start=False))
    try:
        upgrade(engine)
    finally:
        engine.dispose()
    out.print("database migrated to head")


@db_app.command("down")
@reports_errors
def db_down() -> None:
    """Stop the embedded cluster."""
    from ims.db.session import embedded_cluster

    settings = get_settings()
    if settings.database_url:
        out.print("IMS_DATABASE_URL is set: ims does not manage that server")
        return
    stopped = embedded_cluster(settings).stop()
    out.print("embedded database stopped" if stopped else "embedded database was not running")


@db_app.command("status")
@reports_errors
def db_status() -> None:
    """Show where the database is, whether it runs, and its schema revision."""
    _print_status()


@db_app.command("backup")
@reports_errors
def db_backup(
    file: Annotated[Path, typer.Argument(help="The backup file to write.")],
) -> None:
    """Write the whole database to FILE (pg_dump custom format)."""
    from ims.db.backup import backup

    size = backup(_database_up(quiet=True).owner, file)
    out.print(f"backed up to {file} ({size / 1e6:,.1f} MB)", highlight=False)


@db_app.command("restore")
@reports_errors
def db_restore(
    file: Annotated[Path, typer.Argument(help="A backup made by `ims db backup`.")],
    yes: Annotated[
        bool, typer.Option("--yes", help="Replace the database's contents without asking.")
    ] = False,
) -> None:
    """Replace the database's contents with FILE, in one transaction (all or nothing)."""
    from ims.db import audit
    from ims.db.backup import restore
    from ims.db.migrate import upgrade
    from ims.db.session import make_owner_engine

    found = _database_up(quiet=True)
    if not yes and not typer.confirm(
        "This replaces everything in the database with the backup. Go on?"
    ):
        raise typer.Exit(1)
    restore(found.owner, file)
    engine = make_owner_engine(found.owner)
    try:
        upgrade(engine)  # a backup made by an earlier ims gets this one's schema
    finally:
        engine.dispose()
    with _session() as session, session.begin():
        audit.record(session, cli_actor(), "database.restored", "database", file.name)
    out.print(f"restored {file}", highlight=False)


@db_app.command("verify")
@reports_errors
def db_verify(
    workers: Annotated[
        int | None, typer.Option(help="Processes computing the ledger (default: every core).")
    ] = None,
) -> None:
    """Recompute every derived figure from the records and report what differs.

    Rebuilds the area ledger of every hazard with the code that keeps it,
    compares it with the stored ledger, remaining areas and overlaps (to
    0.001 m²), and checks each report's noted first production against the
    audit event that recorded it. Writes nothing.

    Exit status: 0 all agree, 1 something was changed behind ims's back.
    """
    from ims.db.verify import verify_database

    with _session() as session, progress_bar("recomputing the ledger") as update:
        # One snapshot for the whole check: work recorded meanwhile is not a difference.
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        try:
            report = verify_database(session, progress=update, workers=workers)
        finally:
            session.rollback()  # nothing to keep: the comparison tables are the session's
    for diff in report.differences:
        out.print(f"{diff.hazard or '-'}: {diff.what}: stored {diff.stored}, recomputed "
                  f"{diff.recomputed}", highlight=False)  # fmt: skip
    if report.count > len(report.differences):
        out.print(f"… and {report.count - len(report.differences):,} more", highlight=False)
    out.print(f"{report.hazards:,} hazards and {report.report_runs:,} report productions "
              "checked", highlight=False)  # fmt: skip
    if not report.clean:
        err.print(f"[bold red]tampering found:[/] {report.count:,} derived figure"
                  f"{'s' if report.count != 1 else ''} differ from the records",
                  highlight=False)  # fmt: skip
        raise typer.Exit(1)
    out.print("every derived figure agrees with the records", highlight=False)


@contextlib.contextmanager
def _session() -> Iterator[Any]:
    """A session on the database, started and migrated if need be."""
    from ims.db.session import make_engine, session_factory

    engine = make_engine(_database_up(quiet=True).app)
    try:
        with session_factory(engine)() as session:
            yield session
    finally:
        engine.dispose()


@boundaries_app.command("load")
@reports_errors
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
        _session() as session,
        session.begin(),
        progress_bar("recomputing area figures") as update,
    ):
        result = load_boundaries(session, features, level=level, source=file.name,
                                 progress=update, by=cli_actor())  # fmt: skip
    out.print(
        f"level {level}: {result.added} added, {result.updated} updated from {file.name}",
        highlight=False,
    )


@contextlib.contextmanager
def progress_bar(label: str) -> Iterator[Callable[[int, int], None]]:
    """A progress bar on stderr for long commands, fed by (done, total) callbacks."""
    from rich.progress import Progress

    with Progress(console=err, transient=True) as bar:
        task = bar.add_task(label, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


FORMATS = ("json", "csv", "html")
BINARY_FORMATS = ("xlsx", "pdf")


@report_app.command("article7")
@reports_errors
def report_article7(
    year: Annotated[int, typer.Option(help="Calendar year (as of 31 December).")],
    level: Annotated[int, typer.Option(help="Admin level: 1 provinces, 2 districts.")] = 1,
    contam: Annotated[str, typer.Option(help="CMR, APM, ATM or ERW.")] = "CMR",
    fmt: Annotated[str, typer.Option("--format", help="json, csv, html, xlsx or pdf.")] = "json",
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Write to FILE.")] = None,
    finalise: Annotated[
        bool,
        typer.Option(
            "--finalise",
            help="Note this report as the one submitted for the year: later productions "
            "list the corrections recorded since. Once per report; the year must have ended.",
        ),
    ] = False,
) -> None:
    """Form 1(h) remaining contamination and Form 1(i) land release for a year."""
    from ims.db.audit import cli_actor
    from ims.errors import InvalidRequest
    from ims.reports import export
    from ims.reports.article7 import ReportScope
    from ims.reports.history import article7_with_history, summary

    if fmt not in (*FORMATS, *BINARY_FORMATS):
        raise InvalidRequest(
            f"unknown format {fmt!r}: use one of {', '.join((*FORMATS, *BINARY_FORMATS))}"
        )
    if fmt in BINARY_FORMATS and output is None:
        raise InvalidRequest(f"--format {fmt} writes a file: give it with -o FILE")
    scope = ReportScope(level=level, contam=_contam(contam))
    with _session() as session:
        report = article7_with_history(session, year, scope, by=cli_actor().name,
                                       finalise=finalise)  # fmt: skip
        err.print(summary(report["history"]), highlight=False)
        if fmt in BINARY_FORMATS:
            assert output is not None
            output.write_bytes(export.to_binary(session, report, fmt))
            err.print(f"wrote {output}", highlight=False)
            return
    text_out = {"json": export.to_json, "csv": export.to_csv, "html": export.to_html}[fmt](report)
    _emit(text_out, output)


def _contam(value: str) -> Any:
    from ims.domain.enums import Contamination
    from ims.errors import InvalidRequest

    try:
        return Contamination.parse(value)
    except ValueError as exc:
        raise InvalidRequest(str(exc)) from None


def _emit(text_out: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(text_out if text_out.endswith("\n") else text_out + "\n")
    else:
        output.write_text(text_out, encoding="utf-8")
        err.print(f"wrote {output}", highlight=False)


@report_app.command("article4")
@reports_errors
def report_article4(
    baseline: Annotated[str, typer.Option(help="Baseline date (entry into force), ISO.")],
    as_of: Annotated[str, typer.Option(help="As-of date, ISO.")],
    contam: Annotated[str, typer.Option(help="CMR, APM, ATM or ERW.")] = "CMR",
) -> None:
    """Article 4.6(d)–(f): area at the baseline, added since, released since, remaining."""
    import json

    from ims.reports.article7 import article4

    with _session() as session:
        result = article4(
            session, _date(baseline, "--baseline"), _date(as_of, "--as-of"), _contam(contam)
        )
    _emit(json.dumps(result, indent=2), None)


@report_app.command("progress")
@reports_errors
def report_progress(
    last_year: Annotated[
        int | None, typer.Option(help="Last year of the series (default: last year).")
    ] = None,
    baseline: Annotated[
        str | None, typer.Option(help="Baseline date (default IMS_ARTICLE4_BASELINE).")
    ] = None,
    contam: Annotated[str, typer.Option(help="CMR, APM, ATM or ERW.")] = "CMR",
    fmt: Annotated[str, typer.Option("--format", help="json, csv or png (chart).")] = "json",
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Write to FILE.")] = None,
) -> None:
    """Article 4 progress year by year: added, released by method, remaining at year end."""
    import datetime as dt
    import json

    from ims.errors import InvalidRequest
    from ims.reports.progress import article4_series, series_csv, series_png

    if fmt not in ("json", "csv", "png"):
        raise InvalidRequest(f"unknown format {fmt!r}: use json, csv or png")
    if fmt == "png" and output is None:
        raise InvalidRequest("--format png writes a file: give it with -o FILE")
    start = _date(baseline, "--baseline") if baseline else get_settings().article4_baseline
    with _session() as session:
        series = article4_series(session, start, last_year or dt.date.today().year - 1,
                                 _contam(contam))  # fmt: skip
    if fmt == "png":
        assert output is not None
        output.write_bytes(series_png(series))
        err.print(f"wrote {output}", highlight=False)
        return
    _emit(series_csv(series) if fmt == "csv" else json.dumps(series, indent=2), output)


@report_app.command("marking")
@reports_errors
def report_marking(
    as_of: Annotated[str | None, typer.Option(help="As-of date (default: today).")] = None,
    baseline: Annotated[
        str | None, typer.Option(help="Baseline date (default IMS_ARTICLE4_BASELINE).")
    ] = None,
    contam: Annotated[str, typer.Option(help="CMR, APM, ATM or ERW.")] = "CMR",
) -> None:
    """Action 18: open hazards and area marked or fenced, and those not surveyed since the
    baseline, per province."""
    import datetime as dt
    import json

    from ims.reports.progress import marking

    day = _date(as_of, "--as-of") if as_of else dt.date.today()
    start = _date(baseline, "--baseline") if baseline else get_settings().article4_baseline
    with _session() as session:
        rows = marking(session, day, start, _contam(contam))
    _emit(json.dumps(rows, indent=2), None)


@report_app.command("priorities")
@reports_errors
def report_priorities(
    top: Annotated[int | None, typer.Option(help="Only the first N.")] = None,
    weights: Annotated[
        Path | None, typer.Option(help='JSON weights, e.g. {"cha": 3, "area": 2}.')
    ] = None,
    as_of: Annotated[str | None, typer.Option(help="As-of date (default: today).")] = None,
    contam: Annotated[str, typer.Option(help="CMR, APM, ATM or ERW.")] = "CMR",
    fmt: Annotated[str, typer.Option("--format", help="json, csv or xlsx.")] = "json",
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Write to FILE.")] = None,
) -> None:
    """Action 23: open hazards ranked by a configurable score, for tasking."""
    import datetime as dt
    import json

    from ims.errors import InvalidRequest
    from ims.reports.progress import Weights, priorities
    from ims.reports.tables import rows_csv, rows_xlsx

    if fmt not in ("json", "csv", "xlsx"):
        raise InvalidRequest(f"unknown format {fmt!r}: use json, csv or xlsx")
    if fmt == "xlsx" and output is None:
        raise InvalidRequest("--format xlsx writes a file: give it with -o FILE")
    day = _date(as_of, "--as-of") if as_of else dt.date.today()
    with _session() as session:
        ranked = priorities(session, day, Weights.load(weights), _contam(contam), top)
    if fmt == "xlsx":
        assert output is not None
        output.write_bytes(rows_xlsx(ranked, "Priorities"))
        err.print(f"wrote {output}", highlight=False)
        return
    _emit(rows_csv(ranked) if fmt == "csv" else json.dumps(ranked, indent=2), output)


@report_app.command("workplan")
@reports_errors
def report_workplan(
    year: Annotated[int, typer.Option(help="The plan's year.")],
    contam: Annotated[str, typer.Option(help="CMR, APM, ATM or ERW.")] = "CMR",
) -> None:
    """Action 19: target against actual per province and method, and the projection."""
    import json

    from ims.reports.workplan import workplan_report

    with _session() as session:
        result = workplan_report(session, year, _contam(contam))
    _emit(json.dumps(result, indent=2), None)


workplan_app = typer.Typer(help="Work plans: annual targets per province and method.",
                           no_args_is_help=True)  # fmt: skip
app.add_typer(workplan_app, name="workplan")


@workplan_app.command("import")
@reports_errors
def workplan_import(
    file: Annotated[Path, typer.Argument(help="CSV or XLSX: year, province, method, target_m2.")],
) -> None:
    """Record targets from a file; all rows or none (errors name the row and field)."""
    from ims.reports.workplan import read_targets_file, set_targets

    rows = read_targets_file(file)
    with _session() as session, session.begin():
        n = set_targets(session, rows, where=file.name, by=cli_actor())
    out.print(f"recorded {n} targets from {file.name}", highlight=False)


def _date(value: str, option: str) -> Any:
    import datetime as dt

    from ims.errors import InvalidRequest

    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InvalidRequest(f"{option}: {value!r} is not a date (use YYYY-MM-DD)") from None


@report_app.command("explain")
@reports_errors
def report_explain(
    year: Annotated[int, typer.Option(help="Calendar year of the report.")],
    admin: Annotated[str, typer.Option(help="Admin code, Unassigned or TOTAL.")],
    column: Annotated[str, typer.Option(help="Column of Form 1(h) or 1(i), e.g. cha_area_m2.")],
    level: Annotated[int, typer.Option(help="Admin level: 1 or 2.")] = 1,
    contam: Annotated[str, typer.Option(help="CMR, APM, ATM or ERW.")] = "CMR",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List the hazards and releases that make one figure, with their contributions."""
    import json

    from ims.reports.article7 import ReportScope
    from ims.reports.explain import explain

    with _session() as session:
        result = explain(
            session, year, admin, column, ReportScope(level=level, contam=_contam(contam))
        )
    if as_json:
        _emit(json.dumps(result, indent=2), None)
        return
    for row in result["contributions"]:
        what = " ".join(f"{k}={v}" for k, v in row.items() if k != "value")
        out.print(f"{row['value']:>16,.1f}  {what}", highlight=False)
    out.print(
        f"{result['total']:>16,.1f}  = {column} of {admin} in {year} "
        f"({len(result['contributions'])} contributions)",
        highlight=False,
    )


@app.command("import")
@reports_errors
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
    from ims.ingest import submissions

    if not file.exists():
        from ims.errors import InvalidUpload

        raise InvalidUpload(f"{file}: no such file")
    mapping = submissions.parse_field_map(field_map)
    with _session() as session, session.begin():
        outcome = submissions.stage(
            session, file, kind=kind, organisation=org, field_map=mapping, crs=crs,
            layer=layer, uploaded_by=cli_actor(), new_organisation=new_org,
            progress=lambda msg: err.print(msg, highlight=False),
        )  # fmt: skip
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
            out.print("nothing applied: fix the errors and upload the file again",
                      highlight=False)  # fmt: skip
        elif approve:
            submissions.approve(session, sub.id, by=cli_actor())
            out.print(f"submission {sub.id} approved and applied", highlight=False)
        else:
            out.print("staged for review: approve with the API or `ims import … --approve`",
                      highlight=False)  # fmt: skip
    if errors:
        raise typer.Exit(1)


def _print_findings(findings: Sequence[Any], show: int) -> None:
    from collections import Counter

    for finding in findings[:show]:
        colour = "red" if finding.blocking else "yellow"
        out.print(f"[{colour}]{finding}[/]", highlight=False)
    if len(findings) > show:
        counts = Counter((f.severity.value, f.code) for f in findings)
        summary = ", ".join(f"{n} {sev} {code}" for (sev, code), n in counts.most_common())
        out.print(f"… {len(findings) - show} more; in all: {summary}", highlight=False)


@app.command()
@reports_errors
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
) -> None:
    """Serve the API and the web pages."""
    import uvicorn

    settings = get_settings()
    _database_up(quiet=True)
    uvicorn.run(
        "ims.app:create_app",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
    )


@app.command()
@reports_errors
def demo(
    hazards: Annotated[int, typer.Option(help="Size of the generated programme.")] = 3000,
    serve_pages: Annotated[
        bool, typer.Option("--serve/--no-serve", help="Serve the web pages at the end.")
    ] = True,
    host: Annotated[str | None, typer.Option(help="Address to serve on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to serve on.")] = None,
) -> None:
    """The main job: database up, demo country loaded (once), Article 7 tables, web pages."""
    import datetime as dt

    from ims.db.audit import cli_actor
    from ims.reports.article7 import ReportScope
    from ims.reports.history import article7_with_history, summary
    from ims.sample.demo import demo_accounts, load_demo

    url = _database_up().app
    err.print(f"database ready: {url}", highlight=False, soft_wrap=True)
    with _session() as session, session.begin():
        result = load_demo(session, hazards=hazards,
                           say=lambda msg: err.print(msg, highlight=False))  # fmt: skip
        logins = demo_accounts(session, get_settings().data_dir / "demo-accounts.txt")
    if result.already_loaded:
        err.print("the demo country is already loaded: nothing to do", highlight=False)
    year = dt.date.today().year - 1
    with _session() as session:
        report = article7_with_history(session, year, ReportScope(), by=cli_actor().name)
    _print_article7(report)
    err.print(summary(report["history"]), highlight=False)
    out.print("demo accounts (one per role; kept in "
              f"{get_settings().data_dir / 'demo-accounts.txt'}): "
              + ", ".join(f"{name} / {password} ({role})" for name, role, password in logins),
              highlight=False)  # fmt: skip
    if serve_pages:
        settings = get_settings()
        address = f"http://{host or settings.host}:{port or settings.port}"
        out.print(f"serving the web pages at {address}/ (sign in with an account above; the map "
                  f"at {address}/map, the API at {address}/api/v1/docs); Ctrl-C to stop",
                  highlight=False)  # fmt: skip
        serve(host=host, port=port)


def _print_article7(report: dict[str, Any]) -> None:
    from rich.table import Table

    rem = Table(title=f"Form 1(h): remaining contamination ({report['contam']}) as of "
                f"{report['as_of']}", title_justify="left")  # fmt: skip
    for col in ("Province", "SHAs", "SHA km²", "CHAs", "CHA km²", "Total", "Total km²"):
        rem.add_column(col, justify="left" if col == "Province" else "right")
    for row in report["remaining"]:
        if not row["total_count"] and row["admin_code"] not in ("TOTAL",):
            continue
        rem.add_row(row["admin_name"], f"{row['sha_count']:,}", f"{row['sha_area_m2'] / 1e6:,.3f}",
                    f"{row['cha_count']:,}", f"{row['cha_area_m2'] / 1e6:,.3f}",
                    f"{row['total_count']:,}", f"{row['total_area_m2'] / 1e6:,.3f}",
                    style="bold" if row["admin_code"] == "TOTAL" else None)  # fmt: skip
    out.print(rem)
    rel = Table(title=f"Form 1(i): land release in {report['year']}", title_justify="left")
    for col in ("Province", "Cancelled km²", "Reduced km²", "Cleared km²", "Total km²",
                "Closed", "CMR destroyed"):  # fmt: skip
        rel.add_column(col, justify="left" if col == "Province" else "right")
    for row in report["released"]:
        if not row["total_m2"] and row["admin_code"] != "TOTAL":
            continue
        cmr = sum(i["quantity"] for i in row["destroyed"] if i.get("cmr", True))
        rel.add_row(row["admin_name"], f"{row['cancelled_m2'] / 1e6:,.3f}",
                    f"{row['reduced_m2'] / 1e6:,.3f}", f"{row['cleared_m2'] / 1e6:,.3f}",
                    f"{row['total_m2'] / 1e6:,.3f}", f"{row['hazards_closed']:,}", f"{cmr:,}",
                    style="bold" if row["admin_code"] == "TOTAL" else None)  # fmt: skip
    out.print(rel)
    overlap = report["overlap"]
    out.print(f"dissolved remaining area (overlaps counted once): "
              f"{overlap['dissolved_area_m2'] / 1e6:,.3f} km²; double counted in the total: "
              f"{overlap['double_counted_m2'] / 1e6:,.3f} km²", highlight=False)  # fmt: skip


users_app = typer.Typer(help="Users: who may sign in, with which role.", no_args_is_help=True)
app.add_typer(users_app, name="users")
token_app = typer.Typer(help="API tokens for scripts.", no_args_is_help=True)
app.add_typer(token_app, name="token")


def _read_password(password_stdin: bool, *, confirm: bool = True) -> str:
    """A password from standard input (scripts) or asked twice without echo."""
    if password_stdin:
        return sys.stdin.readline().rstrip("\n")
    value: str = typer.prompt("password (10 characters or more)", hide_input=True,
                              confirmation_prompt=confirm)  # fmt: skip
    return value


@users_app.command("add")
@reports_errors
def users_add(
    username: Annotated[str, typer.Argument(help="The sign-in name (lower case).")],
    role: Annotated[str, typer.Option(help="admin, reviewer, operator or viewer.")],
    organisation: Annotated[
        str | None, typer.Option("--organisation", "--org", help="Required for operators.")
    ] = None,
    full_name: Annotated[str | None, typer.Option("--name", help="The person's name.")] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
    no_password: Annotated[
        bool, typer.Option("--no-password", help="No web sign-in (API tokens only).")
    ] = False,
) -> None:
    """Add a user; asks for the password (twice) unless given on standard input."""
    from ims.db import accounts
    from ims.domain.enums import Role

    try:
        parsed = Role.parse(role)
    except ValueError as exc:
        from ims.errors import InvalidRequest

        raise InvalidRequest(str(exc)) from None
    password = None if no_password else _read_password(password_stdin)
    with _session() as session, session.begin():
        user = accounts.create_user(session, username, parsed, organisation=organisation,
                                    full_name=full_name, password=password,
                                    by=cli_actor())  # fmt: skip
        org = user.organisation.name if user.organisation else "no organisation"
        out.print(f"added {user.username}: {user.role.value}, {org}", highlight=False)


@users_app.command("list")
@reports_errors
def users_list() -> None:
    """Every user with role, organisation and state."""
    from rich.table import Table

    from ims.db import accounts

    with _session() as session:
        table = Table(title="Users", title_justify="left")
        for col in ("User", "Role", "Organisation", "Name", "Added", "State", "Password"):
            table.add_column(col)
        for u in accounts.list_users(session):
            table.add_row(u.username, u.role.value, u.organisation.name if u.organisation else "",
                          u.full_name or "", f"{u.created_at:%Y-%m-%d}",
                          f"disabled {u.disabled_at:%Y-%m-%d}" if u.disabled_at else "active",
                          "set" if u.password_hash else "none (tokens only)")  # fmt: skip
        out.print(table)


@users_app.command("disable")
@reports_errors
def users_disable(username: Annotated[str, typer.Argument(help="The user to disable.")]) -> None:
    """Stop a user signing in (sessions end, tokens stop working); nothing is deleted."""
    from ims.db import accounts

    with _session() as session, session.begin():
        user = accounts.disable_user(session, username, by=cli_actor())
        out.print(f"{user.username} disabled", highlight=False)


@users_app.command("enable")
@reports_errors
def users_enable(username: Annotated[str, typer.Argument(help="The user to enable.")]) -> None:
    """Let a disabled user sign in again."""
    from ims.db import accounts

    with _session() as session, session.begin():
        user = accounts.enable_user(session, username, by=cli_actor())
        out.print(f"{user.username} enabled", highlight=False)


@users_app.command("password")
@reports_errors
def users_password(
    username: Annotated[str, typer.Argument(help="Whose password to set.")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
) -> None:
    """Set a user's password (their open sessions end)."""
    from ims.db import accounts

    password = _read_password(password_stdin)
    with _session() as session, session.begin():
        accounts.set_password(session, username, password, by=cli_actor())
        out.print(f"password of {username.lower()} set", highlight=False)


@users_app.command("role")
@reports_errors
def users_role(
    username: Annotated[str, typer.Argument(help="Whose role to change.")],
    role: Annotated[str, typer.Argument(help="admin, reviewer, operator or viewer.")],
    organisation: Annotated[
        str | None, typer.Option("--organisation", "--org", help="Required for operators.")
    ] = None,
) -> None:
    """Change a user's role."""
    from ims.db import accounts

    with _session() as session, session.begin():
        user = accounts.set_role(session, username, role, organisation=organisation,
                                 by=cli_actor())  # fmt: skip
        out.print(f"{user.username} is now {user.role.value}", highlight=False)


@token_app.command("create")
@reports_errors
def token_create(
    username: Annotated[str, typer.Argument(help="The user the token acts as.")],
    name: Annotated[str, typer.Option(help="What the token is for (shown in lists).")],
    days: Annotated[int | None, typer.Option(help="Expire after this many days.")] = None,
) -> None:
    """Make an API token and print it once (send it as `Authorization: Bearer <token>`)."""
    from ims.db import accounts

    with _session() as session, session.begin():
        token, secret = accounts.create_token(session, username, name, days=days,
                                              by=cli_actor())  # fmt: skip
        err.print(f"token {token.id} for {token.user.username} ({name}); it is shown only "
                  "now, keep it like a password:", highlight=False)  # fmt: skip
        out.print(secret, highlight=False)


@token_app.command("list")
@reports_errors
def token_list(
    username: Annotated[str | None, typer.Argument(help="Only this user's tokens.")] = None,
) -> None:
    """API tokens (never their secrets)."""
    from rich.table import Table

    from ims.db import accounts

    with _session() as session:
        table = Table(title="API tokens", title_justify="left")
        for col in ("Id", "User", "Name", "Starts", "Created", "Last used", "State"):
            table.add_column(col)
        for t in accounts.list_tokens(session, username):
            state = (f"revoked {t.revoked_at:%Y-%m-%d}" if t.revoked_at else
                     f"expires {t.expires_at:%Y-%m-%d}" if t.expires_at else "active")  # fmt: skip
            table.add_row(str(t.id), t.user.username, t.name, t.prefix + "…",
                          f"{t.created_at:%Y-%m-%d}",
                          f"{t.last_used_at:%Y-%m-%d %H:%M}" if t.last_used_at else "never",
                          state)  # fmt: skip
        out.print(table)


@token_app.command("revoke")
@reports_errors
def token_revoke(token_id: Annotated[int, typer.Argument(help="The token's id.")]) -> None:
    """Revoke a token: it stops working at once."""
    from ims.db import accounts

    with _session() as session, session.begin():
        token = accounts.revoke_token(session, token_id, by=cli_actor())
        out.print(f"token {token.id} ({token.name}, {token.user.username}) revoked",
                  highlight=False)  # fmt: skip


reference_app = typer.Typer(
    help="Reference lists: munition types and organisations.", no_args_is_help=True
)
app.add_typer(reference_app, name="reference")


@reference_app.command("munitions")
@reports_errors
def reference_munitions() -> None:
    """Every munition type uploads may name, cluster munition remnants first."""
    from rich.table import Table

    from ims.db import reference

    with _session() as session:
        table = Table(title="Munition types", title_justify="left")
        for col in ("Code", "Description", "Category", "CMR"):
            table.add_column(col)
        for m in reference.list_munitions(session):
            table.add_row(m.code, m.name, m.category, "yes" if m.is_cmr else "")
        out.print(table)


@reference_app.command("add-munition")
@reports_errors
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

    with _session() as session, session.begin():
        m = reference.add_munition(session, code, name, category, cmr, by=cli_actor())
        out.print(f"munition type {m.code}: {m.name} ({m.category}"
                  f"{', CMR' if m.is_cmr else ''})", highlight=False)  # fmt: skip


@reference_app.command("organisations")
@reports_errors
def reference_organisations() -> None:
    """Every organisation: the national authority and the operators."""
    from rich.table import Table

    from ims.db import reference

    with _session() as session:
        table = Table(title="Organisations", title_justify="left")
        for col in ("Name", "Kind", "Added"):
            table.add_column(col)
        for o in reference.list_organisations(session):
            table.add_row(o.name, o.kind, f"{o.created_at:%Y-%m-%d}")
        out.print(table)


@reference_app.command("add-organisation")
@reports_errors
def reference_add_organisation(
    name: Annotated[str, typer.Argument(help="The organisation's name.")],
    kind: Annotated[str, typer.Option(help="operator or authority.")] = "operator",
) -> None:
    """Add an organisation."""
    from ims.db import reference

    with _session() as session, session.begin():
        org = reference.add_organisation(session, name, kind, by=cli_actor())
        out.print(f"added {org.name} ({org.kind})", highlight=False)


sample_app = typer.Typer(help="Generated sample data.", no_args_is_help=True)
app.add_typer(sample_app, name="sample")


@sample_app.command("generate")
@reports_errors
def sample_generate(
    output: Annotated[Path, typer.Option("-o", "--output", help="Directory to write to.")],
    hazards: Annotated[int, typer.Option(help="Number of hazards.")] = 3000,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same data).")] = 1,
    fmt: Annotated[str, typer.Option("--format", help="gpkg or shp (zipped).")] = "gpkg",
) -> None:
    """Generate a national data set in the exchange template (deterministic by seed)."""
    from ims.errors import InvalidRequest
    from ims.sample import generate, write

    if fmt not in ("gpkg", "shp"):
        raise InvalidRequest("--format must be gpkg or shp")
    with progress_bar("generating") as update:
        data = generate(hazards, seed=seed,
                        progress=lambda _stage, done, total: update(done, total))  # fmt: skip
    for path in write(data, output, formats=(fmt,)):
        out.print(f"wrote {path}", highlight=False)
    out.print(f"{len(data.hazards):,} hazard features, {len(data.releases):,} releases",
              highlight=False)  # fmt: skip


audit_app = typer.Typer(help="The audit trail and its seals.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")


@audit_app.command("verify")
@reports_errors
def audit_verify(
    noted: Annotated[
        str | None,
        typer.Option(help="A head hash printed by an earlier run: it must still be in the chain."),
    ] = None,
) -> None:
    """Check the audit trail against its sealed SHA-256 chain (as the owner).

    Reports rows in no seal (forged), rows changed since they were sealed
    (altered), sealed rows that are gone (removed) and a broken chain; prints
    the head hash, to be noted outside the database.

    Exit status: 0 clean, 1 tampering found.
    """
    from ims.db.audit import verify_chain
    from ims.db.session import make_owner_engine

    engine = make_owner_engine(_database_up(quiet=True).owner)
    try:
        with (
            engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn,
            conn.begin(),
            progress_bar("checking the audit seals") as update,
        ):
            report = verify_chain(conn, noted_head=noted, progress=update)
    finally:
        engine.dispose()
    for problem in report.problems or []:
        out.print(f"{problem.kind}: {problem.detail}", highlight=False)
    counts = report.counts or {}
    for kind, count in counts.items():
        if count > len([p for p in report.problems or [] if p.kind == kind]):
            out.print(f"{kind}: {count:,} in all (the first ones are listed)", highlight=False)
    out.print(f"audit trail: {report.events:,} events in {report.seals:,} seals; head "
              f"{report.head or 'none (nothing sealed yet)'}", highlight=False)  # fmt: skip
    if not report.clean:
        found = ", ".join(f"{count:,} {kind}" for kind, count in counts.items() if count)
        err.print(f"[bold red]tampering found:[/] {found}", highlight=False)
        raise typer.Exit(1)
    out.print("no tampering found", highlight=False)


def run() -> None:  # pragma: no cover - console entry point
    """Entry point that never shows a traceback for a domain error."""
    sys.exit(app())
