"""``ims import`` (upload a file as a submission) and ``ims submissions`` (review them).

``import`` is a command of ``ims`` itself, not of a group: the package's ``__init__``
registers it; ``ims submissions list|show|approve|reject|note`` is the group.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from ims.cli.common import actor, command, db_session, err, out
from ims.errors import Conflict, InvalidRequest, InvalidUpload
from ims.files import not_a_file
from ims.words import counted, noun

if TYPE_CHECKING:
    from ims.ingest.submissions import StageOutcome

submissions_app = typer.Typer(
    help="Submissions: list, show, approve, reject, and choose which ones reports note.",
    no_args_is_help=True,
)

STATUSES = ("uploaded", "validated", "approved", "rejected", "superseded", "withdrawn")
KINDS = ("hazards", "releases")

# Options that more than one command takes, declared once so they read and behave alike.
Show = Annotated[int, typer.Option(help="How many findings to list.")]
Org = Annotated[str | None, typer.Option("--org", help="Of this organisation only.")]
Kind = Annotated[str | None, typer.Option(help="hazards or releases only.")]


def _progress(message: str) -> None:
    err.print(message, highlight=False)


def _say(text: str, *, stderr: bool = False) -> None:
    """A line of output as it is: names, files and reasons are never read as markup."""
    (err if stderr else out).print(text, highlight=False, markup=False)


def import_file(
    file: Annotated[
        Path,
        typer.Argument(
            help="A zipped shapefile (or its .shp), GeoPackage, GeoJSON, KML, or a CSV or XLSX "
            "table with coordinates, WKT or a form's geoshape."
        ),
    ],
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
    dates: Annotated[
        str | None,
        typer.Option(
            "--dates",
            help="How the file writes dates that do not put the year first: day-first "
            "(31/12/2024) or month-first (12/31/2024); added to the mapping.",
        ),
    ] = None,
    crs: Annotated[
        str | None,
        typer.Option(help="CRS of a file that declares none, by its code: e.g. EPSG:32648."),
    ] = None,
    layer: Annotated[str | None, typer.Option(help="Layer to read, if several.")] = None,
    approve: Annotated[
        bool, typer.Option("--approve", help="Apply at once if there is no error.")
    ] = False,
    show: Show = 40,
    replaces: Annotated[
        int | None,
        typer.Option(
            "--replaces",
            help="The id of an earlier submission (same organisation and kind) that this "
            "file replaces, if it awaits review (it is then superseded), or corrects, if it "
            "was rejected (it stays rejected, linked to this one).",
            min=1,
            max=2**31 - 1,
        ),
    ] = None,
    findings_to: Annotated[
        Path | None,
        typer.Option(
            "--findings",
            help="Write every finding to this .gpkg (with each feature's geometry) or .csv.",
        ),
    ] = None,
    repair: Annotated[
        bool,
        typer.Option(
            "--repair",
            help="Make invalid polygons valid (each repair a finding with the area before "
            "and after, for the reviewer) instead of refusing them.",
        ),
    ] = False,
    split: Annotated[
        bool,
        typer.Option(
            "--split",
            help="Releases: split one that names a hazard but lies on others too, each part "
            "recorded against its hazard (without hazard_id they are always matched).",
        ),
    ] = False,
    partial: Annotated[
        bool,
        typer.Option(
            "--partial",
            help="With --approve: apply the features without errors and leave the rest, "
            "with their findings, on the submission.",
        ),
    ] = False,
) -> None:
    """Upload a file as a submission and print the mapping used and its findings.

    A mapping given (--map, --mapping) is remembered for the organisation's
    next files of the kind; ims mappings list and clear show and forget them.

    Exit status: 0 no errors, 1 errors (nothing applied), 2 unusable input.
    """
    from ims.ingest import approval, field_maps, submissions
    from ims.ingest.fields import DATE_ORDERS
    from ims.queries.findings import FORMATS, write_findings

    wrong = not_a_file(file)
    if wrong is not None:
        raise InvalidUpload(wrong)
    if findings_to is not None and findings_to.suffix.lower().lstrip(".") not in FORMATS:
        raise InvalidRequest(f"--findings {findings_to}: the file ends in .gpkg or .csv")
    if findings_to is not None:
        # where it goes, before the file is read: found only once the file had been staged
        # (and approved), it would have ended a done import in an error
        folder = findings_to.parent
        if findings_to.is_dir() or not folder.is_dir() or not os.access(folder, os.W_OK):
            raise InvalidRequest(
                f"--findings {findings_to}: "
                + (
                    "is a folder; give a file's name"
                    if findings_to.is_dir()
                    else f"cannot be written (is {folder} a folder you may write in?)"
                )
            )
    renames = field_maps.parse_field_map(field_map)
    document = field_maps.read_mapping_file(mapping_file) if mapping_file else None
    if dates is not None:
        if dates not in DATE_ORDERS:
            raise InvalidRequest(
                f"--dates {dates}: it is day-first (31/12/2024) or month-first (12/31/2024)"
            )
        document = (document or field_maps.MappingDocument()).with_dates(dates)
    committed: list[str] = []  # what is said once the transaction has committed
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
            repair=repair,
            split=split,
            replaces=replaces,
            analyze=not approve,  # reviewed only if it is not approved here
        )
        sub = outcome.submission
        if replaces is not None:
            earlier = submissions.get_submission(session, replaces)
            said = (
                f"submission {sub.id} corrects submission {replaces}, which stays rejected"
                if earlier.status == "rejected"
                else f"submission {replaces} is superseded by submission {sub.id}"
            )
            out.print(said, highlight=False)
        _print_mapping(outcome)
        _print_findings(outcome.findings, show)
        if findings_to is not None:
            written = write_findings(session, sub.id, findings_to)
            out.print(f"{counted(written, 'finding')} written to {findings_to}", highlight=False)
        errors = outcome.errors
        warnings = len(outcome.findings) - errors
        out.print(
            f"submission {sub.id}: {counted(sub.feature_count, 'feature')} ({kind}) from "
            f"{sub.filename} (layer {sub.layer}, {sub.crs}); {counted(errors, 'error')}, "
            f"{counted(warnings, 'warning')}",
            highlight=False,
            markup=False,
        )
        if errors and approve and partial:
            approval.approve(
                session,
                sub.id,
                by=actor(),
                progress=_progress,
                validated=outcome.validated,
                partial=True,
            )
            submissions.analyze_staged(session, sub.feature_count)  # its errors are reviewed
            left = len({f.row for f in approval_errors(session, sub.id)})
            committed.append(
                f"submission {sub.id} approved in part: "
                f"{counted(sub.feature_count - left, 'feature')} applied, {left:,} with errors "
                "left out (their findings stay with it)"
            )
            errors = 0
        elif errors:
            if approve:  # left for review after all
                submissions.analyze_staged(session, sub.feature_count)
            # (an error of the whole file blocks approving in part as well: helper-115)
            in_part = (
                ""
                if any(f.blocking and f.row is None for f in outcome.findings)
                else "; --approve --partial applies the features without errors"
            )
            out.print(
                "nothing applied: fix the errors and upload the file again (ims submissions "
                f"reject {sub.id} --reason … sets this one aside{in_part})",
                highlight=False,
            )
        elif approve:
            approval.approve(
                session, sub.id, by=actor(), progress=_progress, validated=outcome.validated
            )
            committed.append(f"submission {sub.id} approved and applied")
        else:
            out.print(
                f"staged for review: approve with `ims submissions approve {sub.id}`, the "
                "review page or the API",
                highlight=False,
            )
        if committed:
            _progress("approving: committing (the audit trail is sealed as it commits)")
    for line in committed:
        out.print(line, highlight=False)
    if committed:
        _say_released_nothing(sub.id)
    if errors:
        raise typer.Exit(1)


def _say_released_nothing(submission_id: int, *, shown: int = 10) -> None:
    """Name the releases an approval recorded that released no ground (all of it released
    before: the same clearance sent twice?), as the submission's page does."""
    from ims.queries.submissions import released_nothing

    with db_session() as session:
        found = released_nothing(session, submission_id)
    if found.taken:
        _say(
            f"note: {counted(len(found.taken), 'release')} of files approved before now "
            "release no ground: this file's, dated earlier, reach it first (if this file "
            "repeats them under other dates, withdraw this file's copies):"
        )
        for t in found.taken[:shown]:
            _say(
                f"  {t['release']} on {t['hazard']} ({t['released']}, submission "
                f"{t['submission_id']}), now released first by {', '.join(t['by'])}"
            )
    if not found.count:
        return
    _say(
        f"note: {counted(found.count, 'release')} released no ground, all of it released "
        "before (the same clearance sent twice? `ims releases withdraw REF` withdraws the "
        "one sent again):"
    )
    named = found.listed[:shown]
    for r in named:
        first = f", released before by {', '.join(r['first'])}" if r["first"] else ""
        if r["later"]:
            first += f" (recorded after it, dated earlier: {', '.join(r['later'])})"
        _say(f"  {r['release']} on {r['hazard']} ({r['method']} {r['released']}){first}")
    if found.count > len(named):
        _say(f"  and {found.count - len(named):,} more")


def approval_errors(session: Any, submission_id: int) -> list[Any]:
    """The error findings kept on a submission (those left out of an approval in part)."""
    from ims.ingest.submissions import findings_of

    return [f for f in findings_of(session, submission_id) if f.blocking]


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
    if outcome.mapping_origin == "labels":
        out.print(
            f"field mapping: {outcome.mapping.text()} (the file's columns named as ims's "
            "form asks its questions)",
            highlight=False,
            markup=False,
        )
    elif outcome.mapping_origin != "given":
        out.print("field mapping: none (the file's fields have the template's names)")
    if outcome.mapping_origin != "given":
        if remembered is not None:  # set aside: it reads fields this file does not have
            out.print(
                f"the mapping remembered for {remembered.organisation}'s {remembered.kind} "
                f"files was not used (forget it with: {remembered.clear_command})",
                highlight=False,
                markup=False,
            )
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


def _organisation_id(session: Any, name: str | None) -> int | None:
    """The id of the organisation --org names (None without one); close matches if unknown."""
    from ims.ingest.submissions import organisation_named

    org = organisation_named(session, name, uploading=False)
    return org.id if org is not None else None


def _choice(value: str | None, allowed: Sequence[str], option: str) -> str | None:
    if value is not None and value not in allowed:
        raise InvalidRequest(f"{option} {value!r}: use {', '.join(allowed)}")
    return value


@command(submissions_app, "list")
def submissions_list(
    status: Annotated[
        str | None,
        typer.Option(
            help="validated (awaiting review), approved, rejected, superseded, withdrawn or "
            "uploaded only."
        ),
    ] = None,
    org: Org = None,
    kind: Kind = None,
    limit: Annotated[int, typer.Option(help="How many, newest first.", min=1)] = 50,
) -> None:
    """Submissions, newest first, with their errors and warnings.

    "noted" marks those awaiting review that the reports note (ims submissions note).
    """
    from ims.queries.submissions import submission_list

    _choice(status, STATUSES, "--status")
    _choice(kind, KINDS, "--kind")
    with db_session() as session:
        rows = submission_list(
            session,
            limit=limit,
            organisation_id=_organisation_id(session, org),
            status=status,
            kind=kind,
        )
    if not rows:
        _say("no submission matches")
        return
    table = Table(title="Submissions", title_justify="left")
    for col in ("ID", "Kind", "Status", "Organisation", "File", "Features", "Errors", "Warnings"):
        numeric = col in ("ID", "Features", "Errors", "Warnings")
        table.add_column(col, justify="right" if numeric else "left")
    table.add_column("Uploaded")
    for r in rows:
        status_text = r["status"] + (", noted" if r["noted"] and r["status"] == "validated" else "")
        if r["status"] == "approved" and r["partial"]:  # as the page says it
            status_text = "approved in part"
        table.add_row(
            str(r["id"]),
            r["kind"],
            status_text,
            escape(r["organisation"] or ""),
            escape(r["filename"]),
            f"{r['feature_count']:,}",
            f"{r['errors']:,}",
            f"{r['warnings']:,}",
            f"{r['uploaded_at']:%Y-%m-%d %H:%M}",
        )
    out.print(table)


@command(submissions_app, "show")
def submissions_show(
    submission_id: Annotated[int, typer.Argument(help="The submission's number.")],
    show: Show = 20,
) -> None:
    """One submission: its file, who sent it, where it stands, the mapping, its findings."""
    from ims.db.models import Organisation
    from ims.ingest import field_maps
    from ims.ingest.submissions import findings_of, get_submission

    with db_session() as session:
        sub = get_submission(session, submission_id)
        org = session.get(Organisation, sub.organisation_id) if sub.organisation_id else None
        found = findings_of(session, submission_id)
        errors = sum(1 for f in found if f.blocking)
        lines = [
            f"submission {sub.id}: {sub.kind} from {sub.filename} (layer {sub.layer}, "
            f"{sub.crs}{', ' + sub.encoding if sub.encoding else ''})",
            f"organisation: {org.name if org else 'none'}; uploaded "
            f"{sub.uploaded_at:%Y-%m-%d %H:%M} by {sub.uploaded_by or 'unknown'}",
            "status: " + _standing(sub),
            "field mapping: "
            + (field_maps.from_stored(sub.field_map).text() if sub.field_map else "none"),
            "choices: " + _choices(sub),
            f"{counted(sub.feature_count, 'feature')}; {counted(errors, 'error')}, "
            f"{counted(len(found) - errors, 'warning')}",
        ]
    for line in lines:
        _say(line)
    _print_findings(found, show)
    if sub.status == "approved" and sub.kind == "releases":
        _say_released_nothing(submission_id, shown=show)


def _choices(sub: Any) -> str:
    """What the uploader chose for the file (`ims import --repair/--split/--replaces`)."""
    chosen = []
    if sub.repair:
        chosen.append("invalid polygons repaired (--repair)")
    if sub.split:
        chosen.append("releases split among the hazards they lie on (--split)")
    if sub.replaces is not None:
        chosen.append(f"replaces submission {sub.replaces}")
    return "; ".join(chosen) or "none"


def _standing(sub: Any) -> str:
    """Where a submission stands, in words."""
    decided = f"{sub.decided_at:%Y-%m-%d %H:%M}" if sub.decided_at else "?"
    if sub.status == "validated":
        noted = "noted in reports" if sub.noted else "not noted in reports"
        return f"validated, awaiting review; {noted}"
    if sub.status == "approved":
        part = " in part (features with errors left out)" if sub.partial else ""
        return f"approved{part} {decided} by {sub.decided_by}"
    if sub.status == "rejected":
        return f"rejected {decided} by {sub.decided_by}: {sub.reason}"
    if sub.status == "withdrawn":
        why = f": {sub.reason}" if sub.reason else ""
        return f"withdrawn {decided} by {sub.decided_by}{why}"
    return str(sub.status)


@command(submissions_app, "approve")
def submissions_approve(
    submission_id: Annotated[int, typer.Argument(help="The submission's number.")],
    show: Show = 20,
    partial: Annotated[
        bool,
        typer.Option(
            "--partial",
            help="Apply the features without errors; leave the rest, with their findings.",
        ),
    ] = False,
) -> None:
    """Check a submission again and apply it if it has no error, telling each step.

    Exit status: 0 applied (or approved already), 1 it has errors (nothing applied).
    """
    from ims.domain.findings import Finding, Severity
    from ims.ingest import approval
    from ims.ingest.submissions import get_submission

    with db_session() as session:
        try:
            with session.begin():
                sub = get_submission(session, submission_id)
                if sub.status == "approved":
                    _say(f"submission {submission_id} was {_standing(sub)}: nothing to do")
                    return
                approval.approve(
                    session, submission_id, by=actor(), progress=_progress, partial=partial
                )
                left = len({f.row for f in approval_errors(session, submission_id)})
                if partial and left:
                    _say(
                        f"submission {submission_id} approved in part: {counted(left, 'feature')} "
                        "with errors left out (ims submissions show lists them)"
                    )
                    return
        except Conflict as exc:
            if isinstance(exc, approval.FoundAgain):
                with session.begin():
                    approval.keep_found_again(session, exc)  # as the review page shows them
            if not exc.extra.get("findings"):
                raise
            # The errors found again now, or the warnings its review did not show (kept as
            # the submission's findings above).
            listed = [
                Finding(
                    f["code"],
                    Severity(f["severity"]),
                    f["message"],
                    f["row"],
                    f["reference"],
                    f["field"],
                )
                for f in exc.extra["findings"]
            ]
            _say(exc.detail)
            _print_findings(listed, show)
            if exc.extra.get("unseen_warnings"):
                _say(
                    f"submission {submission_id}: nothing applied; once these are read, "
                    f"ims submissions approve {submission_id} approves it"
                )
            else:
                _say(
                    f"submission {submission_id} has errors: nothing applied (ims submissions "
                    f"reject {submission_id} --reason … sets it aside)"
                )
            raise typer.Exit(1) from None
    _say(f"submission {submission_id} approved and applied")
    _say_released_nothing(submission_id)


@command(submissions_app, "reject")
def submissions_reject(
    submission_id: Annotated[
        int | None, typer.Argument(help="The submission's number (or --with-errors).")
    ] = None,
    reason: Annotated[
        str, typer.Option(help="Why, for the operator (kept with the submission).")
    ] = "",
    with_errors: Annotated[
        bool,
        typer.Option(
            "--with-errors", help="Every submission awaiting review that has errors, at once."
        ),
    ] = False,
    org: Org = None,
    kind: Kind = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="With --with-errors: list them, reject none.")
    ] = False,
) -> None:
    """Reject a submission, or all awaiting review with errors (--with-errors).

    With --with-errors: every submission awaiting review that has errors (of --org, of
    --kind), each with the reason given. Nothing of them is applied.
    """
    from ims.ingest import approval, review
    from ims.ingest.submissions import get_submission

    if (submission_id is None) == (not with_errors):
        raise InvalidRequest("name one submission, or give --with-errors (not both)")
    if submission_id is not None and (org or kind or dry_run):
        raise InvalidRequest("--org, --kind and --dry-run go with --with-errors")
    _choice(kind, KINDS, "--kind")
    if not reason.strip() and not dry_run:
        raise InvalidRequest("--reason is needed: it tells the operator why")
    with db_session() as session, session.begin():
        if submission_id is not None:
            if get_submission(session, submission_id).status == "rejected":
                raise Conflict(f"submission {submission_id} is rejected already")
            approval.reject(session, submission_id, reason=reason, by=actor())
            _say(f"submission {submission_id} rejected: {reason.strip()}")
            return
        org_id = _organisation_id(session, org)
        if dry_run:
            pending = review.with_errors(session, organisation_id=org_id, kind=kind)
            for p in pending:
                _say(f"would reject {_pending(p)}")
            _say(
                f"{counted(len(pending), 'submission')} awaiting review "
                f"{noun(len(pending), 'has', 'have')} errors; none rejected (--dry-run)"
            )
            return
        rejected, skipped = review.reject_with_errors(
            session, reason=reason, by=actor(), organisation_id=org_id, kind=kind
        )
        for p in rejected:
            _say(f"rejected {_pending(p)}")
        for p, why in skipped:
            _say(f"skipped submission {p.id}: {why}", stderr=True)
        _say(f"{counted(len(rejected), 'submission')} with errors rejected: {reason.strip()}")


def _pending(p: Any) -> str:
    return (
        f"submission {p.id} ({p.kind}, {p.filename}, {p.organisation or 'no organisation'}, "
        f"uploaded {p.uploaded_at:%Y-%m-%d}): {counted(p.errors, 'error')} in "
        f"{counted(p.features, 'feature')}"
    )


@command(submissions_app, "withdraw-releases")
def submissions_withdraw_releases(
    submission_id: Annotated[int, typer.Argument(help="The approved submission's number.")],
    reason: Annotated[
        str, typer.Option(help="Why: kept with each release, shown on its hazard's page.")
    ] = "",
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Say what it would change; change nothing.")
    ] = False,
) -> None:
    """Withdraw every release an approved submission recorded (a file approved in error).

    For a file sent twice under new references, or against the wrong hazards. Each release
    is kept, with the reason, as `ims releases withdraw` keeps one; nothing counts them from
    now on, and their hazards' figures are counted again without them for every date.
    """
    from ims.db.withdrawals import submission_withdrawal_effect
    from ims.ingest import approval

    if dry_run:
        with db_session() as session:
            effect = submission_withdrawal_effect(session, submission_id)
        lines = ["would withdraw:", *effect.lines(done=False)]
    else:
        if not reason.strip():
            raise InvalidRequest(
                "give the reason with --reason: it is kept with each release", field="reason"
            )
        with db_session() as session, session.begin():
            effect = approval.withdraw_submission_releases(
                session, submission_id, reason=reason, by=actor(), progress=_ledgers
            )
        lines = ["withdrawn:", *effect.lines(done=True)]
    for line in lines:
        out.print(line, highlight=False, markup=False)


def _ledgers(done: int, total: int) -> None:
    _progress(f"ledgers built again: {done:,} of {total:,} hazards")


@command(submissions_app, "note")
def submissions_note(
    submission_id: Annotated[int, typer.Argument(help="The submission's number.")],
    unset: Annotated[bool, typer.Option("--unset", help="Stop noting it in reports.")] = False,
) -> None:
    """Have the reports (Article 7 notes) name a submission while it awaits review.

    Reports note only the submissions a reviewer chose, never a trial import by itself.
    """
    from ims.ingest import review

    with db_session() as session, session.begin():
        review.set_noted(session, submission_id, not unset, by=actor())
    _say(
        f"submission {submission_id} is no longer noted in reports"
        if unset
        else f"submission {submission_id} is noted in reports while it awaits review"
    )
