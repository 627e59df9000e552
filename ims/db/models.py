"""Typed SQLAlchemy models. The schema itself is made only by the Alembic migrations.

Records are never overwritten by an edit: a hazard's status and boundary live in
``hazard_revision`` rows, each in force from its effective date, and every release is kept.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from geoalchemy2 import Geometry, WKBElement
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Computed,
    Date,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Identity,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Sequence,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    false,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, DATERANGE, JSONB
from sqlalchemy.dialects.postgresql import base as postgresql_base
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import UserDefinedType

from ims.domain.enums import Contamination, HazardStatus, ReleaseMethod, Role

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base with stable constraint names."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


# Every recorded hazard revision and release takes the next number: ties on the same date
# are broken by recording order, never by chance.
recording_seq = Sequence("recording_seq", metadata=Base.metadata)

# A boundary's area (ledger's geodesy, straight lon/lat edges) against PostGIS's (geodesic
# edges): they agree to under 1e-6 for hazards' edges of metres to kilometres, and to well
# under 1 % for edges of a hundred kilometres; a value further off is not this polygon's.
# PostGIS's measure is taken once a row (a relative difference; an area of 0, which no
# valid polygon has, leaves the check to the polygon's own).
MAP_AREA_CHECK = "abs(map_area_m2 / NULLIF(ST_Area(geom::geography), 0) - 1) <= 0.01"

IntPK = Annotated[int, mapped_column(Integer, Identity(), primary_key=True)]
Created = Annotated[dt.datetime, mapped_column(DateTime(timezone=True), server_default=func.now())]


def polygon_column() -> Any:
    """A MultiPolygon column in EPSG:4326 with a GiST index."""
    return mapped_column(Geometry("MULTIPOLYGON", srid=4326, spatial_index=True), nullable=False)


class PlainPoint(UserDefinedType[Any]):
    """PostgreSQL's own ``point`` type (x, y), which a GiST index can give back."""

    cache_ok = True

    def get_col_spec(self, **_kw: Any) -> str:
        return "POINT"


# so that reflection (the migrations' drift check) knows the type, as GeoAlchemy2 does for its own
postgresql_base.ischema_names.setdefault("point", PlainPoint)


def web_mercator_column(
    expression: str = "ST_Transform(geom, 3857)", kind: str = "MULTIPOLYGON"
) -> Any:
    """A derived EPSG:3857 copy of a geometry, for vector tiles, kept by PostgreSQL itself."""
    return mapped_column(
        Geometry(kind, srid=3857, spatial_index=True),
        Computed(expression, persisted=True),
        nullable=True,
    )


def valid_geometry_check(column: str = "geom") -> CheckConstraint:
    """CHECK that a geometry is valid, not empty and in EPSG:4326."""
    return CheckConstraint(
        f"ST_IsValid({column}) AND NOT ST_IsEmpty({column}) AND ST_SRID({column}) = 4326",
        name=f"{column}_valid",
    )


def str_enum(enum_cls: type[Any], name: str) -> Enum:
    """A VARCHAR column holding an enum's values, with a CHECK constraint."""
    return Enum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=16,
        values_callable=lambda cls: [member.value for member in cls],
        validate_strings=True,
    )


class AdminArea(Base):
    """An administrative area: level 1 = province, level 2 = district."""

    __tablename__ = "admin_area"
    __table_args__ = (
        UniqueConstraint("level", "code", name="uq_admin_area_level_code"),
        CheckConstraint("level IN (1, 2)", name="level"),
        valid_geometry_check(),
    )

    id: Mapped[IntPK]
    level: Mapped[int] = mapped_column(SmallInteger)
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("admin_area.id"), index=True)
    geom: Mapped[WKBElement] = polygon_column()
    geom_3857: Mapped[WKBElement | None] = web_mercator_column()
    source: Mapped[str | None] = mapped_column(String(200))
    loaded_at: Mapped[Created]
    # a district's ground outside its province, on the ellipsoid (docs/design.md §2.5):
    # where boundaries do not nest, a province's figures are not the sum of its districts'
    outside_parent_m2: Mapped[float | None] = mapped_column(Float)

    parent: Mapped[AdminArea | None] = relationship(remote_side="AdminArea.id")


class PlaceName(Base):
    """Another name an admin area is known by (a gazetteer's: "Sayaboury" for
    Xaignabouli, its name in Lao), which the map's find box also searches (docs/design.md
    §5.5). ``key`` is the name as searched: compatibility-normalised and case-folded
    (ims.domain.places.search_key)."""

    __tablename__ = "place_name"
    __table_args__ = (UniqueConstraint("admin_area_id", "key", name="uq_place_name_area_key"),)

    id: Mapped[IntPK]
    admin_area_id: Mapped[int] = mapped_column(
        ForeignKey("admin_area.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    key: Mapped[str] = mapped_column(String(400))
    source: Mapped[str | None] = mapped_column(String(200))
    loaded_at: Mapped[Created]


class Organisation(Base):
    """An organisation: the national authority or an operator."""

    __tablename__ = "organisation"
    __table_args__ = (CheckConstraint("kind IN ('authority', 'operator')", name="kind"),)

    id: Mapped[IntPK]
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(16), server_default="operator")
    created_at: Mapped[Created]


class MunitionType(Base):
    """A reference type of explosive item (a cluster munition remnant or another kind)."""

    __tablename__ = "munition_type"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    category: Mapped[Contamination] = mapped_column(str_enum(Contamination, "category"))
    is_cmr: Mapped[bool] = mapped_column(Boolean)


class Submission(Base):
    """An uploaded file of hazards or releases, from upload to approval or rejection."""

    __tablename__ = "submission"
    __table_args__ = (
        CheckConstraint("kind IN ('hazards', 'releases')", name="kind"),
        CheckConstraint(
            "status IN ('uploaded', 'validated', 'approved', 'rejected', 'superseded', "
            "'withdrawn')",
            name="status",
        ),
    )

    id: Mapped[IntPK]
    kind: Mapped[str] = mapped_column(String(16))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    filename: Mapped[str] = mapped_column(String(500))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    crs: Mapped[str | None] = mapped_column(String(200))
    layer: Mapped[str | None] = mapped_column(String(200))
    encoding: Mapped[str | None] = mapped_column(String(40))
    field_map: Mapped[dict[str, Any] | None] = mapped_column(JSONB)  # the mapping document used
    status: Mapped[str] = mapped_column(String(16), server_default="uploaded")
    feature_count: Mapped[int] = mapped_column(Integer, server_default="0")
    uploaded_at: Mapped[Created]
    uploaded_by: Mapped[str | None] = mapped_column(String(200))
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    decided_by: Mapped[str | None] = mapped_column(String(200))
    reason: Mapped[str | None] = mapped_column(Text)
    # the state of the database the stored findings were computed against (an approval
    # while it is unchanged need not validate again): ingest.submissions.database_stamp
    validated_against: Mapped[str | None] = mapped_column(Text)
    # when its findings were last stored (at upload, or by an approval that checked it
    # again): what the review's preview, which leaves out features with errors, is kept under
    findings_at: Mapped[Created]
    # A reviewer's choice that reports note this submission while it awaits review.
    noted: Mapped[bool] = mapped_column(Boolean, server_default=false())
    # The uploader's choices: repair invalid polygons; split named releases among the
    # hazards they lie on. Approval validates again with the same choices.
    repair: Mapped[bool] = mapped_column(Boolean, server_default=false())
    split: Mapped[bool] = mapped_column(Boolean, server_default=false())
    # Approved in part: the features with errors were left out (their findings stay).
    partial: Mapped[bool] = mapped_column(Boolean, server_default=false())
    # Uploaded by an operator: it holds its organisation's own records (migrations 0031 and 0032).
    own_records: Mapped[bool] = mapped_column(Boolean, server_default=false())
    # the earlier pending submission this upload replaces (that one is then superseded)
    replaces: Mapped[int | None] = mapped_column(ForeignKey("submission.id"), unique=True)
    # each feature's row in the workbook it was read from, as the sheet numbers it; None
    # for another file (migration 0045)
    sheet_rows: Mapped[list[int] | None] = mapped_column(ARRAY(Integer))

    findings: Mapped[list[Finding]] = relationship(back_populates="submission")


class SubmissionPreview(Base):
    """What approving a staged submission would do (``queries.submissions.approval_preview``)
    under the data stamp it was computed for (``reports.kept.STAMP_SQL``): the review page
    of a national file, opened after the server restarts, had computed it again (9 s for
    the releases file). Not a record: any row may be computed again."""

    __tablename__ = "submission_preview"

    submission_id: Mapped[int] = mapped_column(
        ForeignKey("submission.id", ondelete="CASCADE"), primary_key=True
    )
    stamp: Mapped[str] = mapped_column(Text)
    preview: Mapped[dict[str, Any]] = mapped_column(JSONB)
    computed_at: Mapped[Created]


class Finding(Base):
    """A data-quality finding, on a submission or on the whole database."""

    __tablename__ = "finding"
    __table_args__ = (
        CheckConstraint("severity IN ('error', 'warning')", name="severity"),
        # a feature's findings, looked up for each feature listed on its review page
        Index("ix_finding_submission_row", "submission_id", "row_number"),
    )

    id: Mapped[IntPK]
    submission_id: Mapped[int | None] = mapped_column(
        ForeignKey("submission.id", ondelete="CASCADE")
    )
    code: Mapped[str] = mapped_column(String(64))
    severity: Mapped[str] = mapped_column(String(8))
    row_number: Mapped[int | None] = mapped_column(Integer)
    reference: Mapped[str | None] = mapped_column(String(100))
    field: Mapped[str | None] = mapped_column(String(64))
    message: Mapped[str] = mapped_column(Text)
    created_at: Mapped[Created]

    submission: Mapped[Submission | None] = relationship(back_populates="findings")


class Hazard(Base):
    """A hazardous area's identity; its state over time is in its revisions."""

    __tablename__ = "hazard"

    id: Mapped[IntPK]
    reference: Mapped[str] = mapped_column(String(100), unique=True)
    contam: Mapped[Contamination] = mapped_column(
        str_enum(Contamination, "contam"), server_default=Contamination.CMR.value
    )
    created_at: Mapped[Created]

    revisions: Mapped[list[HazardRevision]] = relationship(
        back_populates="hazard", order_by="(HazardRevision.effective, HazardRevision.seq)"
    )


class HazardRevision(Base):
    """The state of a hazard (status, boundary, attributes) in force from ``effective`` on.

    The first revision is the hazard's recording; later ones reclassify it or revise its
    boundary. Rows are only ever added.
    """

    __tablename__ = "hazard_revision"
    __table_args__ = (
        valid_geometry_check(),
        CheckConstraint(
            "used_from IS NULL OR used_to IS NULL OR used_from <= used_to", name="years_of_use"
        ),
        CheckConstraint(MAP_AREA_CHECK, name="map_area"),
    )

    id: Mapped[IntPK]
    hazard_id: Mapped[int] = mapped_column(ForeignKey("hazard.id"), index=True)
    effective: Mapped[dt.date] = mapped_column(Date)
    seq: Mapped[int] = mapped_column(
        BigInteger, server_default=recording_seq.next_value(), unique=True
    )
    status: Mapped[HazardStatus] = mapped_column(str_enum(HazardStatus, "status"))
    geom: Mapped[WKBElement] = polygon_column()
    geom_3857: Mapped[WKBElement | None] = web_mercator_column()
    # For maps of any date (hazard_period copies them): a point on the boundary, and the
    # boundary's area as the ledger measures areas (ims.domain.geodesy, written when the
    # revision is recorded, so that a hazard nothing was released from has a remaining
    # area equal to it; ST_Area on geography reads edges as geodesics and differed by up
    # to 0.6 m²). The database holds it to ST_Area within MAP_AREA_CHECK's tolerance.
    point_3857: Mapped[WKBElement | None] = mapped_column(
        Geometry("POINT", srid=3857, spatial_index=False),
        Computed("ST_Transform(ST_PointOnSurface(geom), 3857)", persisted=True),
        nullable=True,
    )
    map_area_m2: Mapped[float] = mapped_column(Float)
    used_from: Mapped[int | None] = mapped_column(SmallInteger)
    used_to: Mapped[int | None] = mapped_column(SmallInteger)
    marked: Mapped[dt.date | None] = mapped_column(Date)
    operator_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    submission_id: Mapped[int | None] = mapped_column(ForeignKey("submission.id"), index=True)
    recorded_at: Mapped[Created]
    recorded_by: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)
    # the upload's own columns that are not template fields (a village, a note…)
    attributes: Mapped[dict[str, Any] | None] = mapped_column(JSONB)

    hazard: Mapped[Hazard] = relationship(back_populates="revisions")
    estimates: Mapped[list[HazardEstimate]] = relationship(back_populates="revision")


class HazardEstimate(Base):
    """Estimated remnants of one type in a hazard, as of a revision."""

    __tablename__ = "hazard_estimate"
    __table_args__ = (CheckConstraint("quantity >= 0", name="quantity"),)

    revision_id: Mapped[int] = mapped_column(ForeignKey("hazard_revision.id"), primary_key=True)
    munition_code: Mapped[str] = mapped_column(ForeignKey("munition_type.code"), primary_key=True)
    quantity: Mapped[int] = mapped_column(Integer)

    revision: Mapped[HazardRevision] = relationship(back_populates="estimates")


class Release(Base):
    """A land-release result: a polygon cancelled, reduced or cleared on a date."""

    __tablename__ = "release"
    __table_args__ = (
        valid_geometry_check(),
        CheckConstraint("stated_area_m2 IS NULL OR stated_area_m2 >= 0", name="stated_area"),
    )

    id: Mapped[IntPK]
    reference: Mapped[str] = mapped_column(String(100), unique=True)
    hazard_id: Mapped[int] = mapped_column(ForeignKey("hazard.id"), index=True)
    method: Mapped[ReleaseMethod] = mapped_column(str_enum(ReleaseMethod, "method"))
    released: Mapped[dt.date] = mapped_column(Date)
    seq: Mapped[int] = mapped_column(
        BigInteger, server_default=recording_seq.next_value(), unique=True
    )
    geom: Mapped[WKBElement] = polygon_column()
    geom_3857: Mapped[WKBElement | None] = web_mercator_column()
    operator_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    stated_area_m2: Mapped[float | None] = mapped_column(Float)
    submission_id: Mapped[int | None] = mapped_column(ForeignKey("submission.id"), index=True)
    recorded_at: Mapped[Created]
    recorded_by: Mapped[str | None] = mapped_column(String(200))
    # the upload's own columns that are not template fields
    attributes: Mapped[dict[str, Any] | None] = mapped_column(JSONB)

    items: Mapped[list[ReleaseItem]] = relationship(back_populates="release")


class OutsideRelease(Base):
    """Land released outside every recorded hazard (docs/design.md §2.7).

    A release polygon, or the part of one, that lies in no hazard's boundary in force on
    its date. Kept as its own record, shown on the map and counted apart in Form 1(i)
    ("released outside recorded hazards"); never in the remaining or released figures.
    ``area_m2`` is its geodesic area, fixed when recorded; ``items`` the remnants found
    and destroyed there (munition code → quantity).
    """

    __tablename__ = "outside_release"
    __table_args__ = (
        valid_geometry_check(),
        CheckConstraint("stated_area_m2 IS NULL OR stated_area_m2 >= 0", name="stated_area"),
    )

    id: Mapped[IntPK]
    reference: Mapped[str] = mapped_column(String(100), unique=True)
    method: Mapped[ReleaseMethod] = mapped_column(str_enum(ReleaseMethod, "method"))
    released: Mapped[dt.date] = mapped_column(Date, index=True)
    contam: Mapped[Contamination] = mapped_column(
        str_enum(Contamination, "contam"), server_default=Contamination.CMR.value
    )
    seq: Mapped[int] = mapped_column(
        BigInteger, server_default=recording_seq.next_value(), unique=True
    )
    geom: Mapped[WKBElement] = polygon_column()
    geom_3857: Mapped[WKBElement | None] = web_mercator_column()
    area_m2: Mapped[float] = mapped_column(Float)
    operator_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    stated_area_m2: Mapped[float | None] = mapped_column(Float)
    items: Mapped[dict[str, int] | None] = mapped_column(JSONB)
    submission_id: Mapped[int | None] = mapped_column(ForeignKey("submission.id"), index=True)
    recorded_at: Mapped[Created]
    recorded_by: Mapped[str | None] = mapped_column(String(200))
    # the upload's own columns that are not template fields, and where it was split from
    attributes: Mapped[dict[str, Any] | None] = mapped_column(JSONB)


class OutsideReleaseConversion(Base):
    """A reviewer turned land released outside hazards into a retrospective hazard.

    The hazard was recorded on the release date with the released polygon as its boundary,
    and a release of the same polygon on the same date: the history is complete, and the
    outside record no longer counts apart.
    """

    __tablename__ = "outside_release_conversion"

    outside_release_id: Mapped[int] = mapped_column(
        ForeignKey("outside_release.id"), primary_key=True
    )
    hazard_id: Mapped[int] = mapped_column(ForeignKey("hazard.id"))
    release_id: Mapped[int] = mapped_column(ForeignKey("release.id"))
    converted_at: Mapped[Created]
    converted_by: Mapped[str | None] = mapped_column(String(200))


class OutsideReleaseWithdrawal(Base):
    """A reviewer withdrew a record of land released outside hazards, approved in error
    (docs/design.md §2.7).

    The record is kept; from the withdrawal on, nothing counts it: Form 1(i), its
    explanation and the map read ``outside_release_in_force`` (OUTSIDE_IN_FORCE), which
    leaves it out. ``seq`` is a recording number, as a release withdrawal's: a report
    finalised before lists it as a correction. A record made into a hazard is not withdrawn
    (its hazard's release is, then the hazard).
    """

    __tablename__ = "outside_release_withdrawal"
    __table_args__ = (CheckConstraint("length(btrim(reason)) > 0", name="reason"),)

    outside_release_id: Mapped[int] = mapped_column(
        ForeignKey("outside_release.id"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(
        BigInteger, server_default=recording_seq.next_value(), unique=True
    )
    reason: Mapped[str] = mapped_column(Text)
    withdrawn_at: Mapped[Created]
    withdrawn_by: Mapped[str | None] = mapped_column(String(200))


# Land released outside hazards in force: every record but those withdrawn (view, 0042).
OUTSIDE_IN_FORCE = "outside_release_in_force"
# What Form 1(i) counts apart (view, 0043): in force, and not made into a hazard in force (a
# record made into a hazard that was then withdrawn as recorded in error counts again).
OUTSIDE_COUNTED = "outside_release_counted"


class ReleaseWithdrawal(Base):
    """A reviewer withdrew an approved release recorded in error (docs/design.md §2.8).

    The release and its items are kept; from the withdrawal on, nothing counts it: its
    hazard's ledger is built again without it (so the ground it released is remaining
    again, or released by the next release over it), and every reader of releases reads
    ``release_in_force`` (RELEASES_IN_FORCE), which leaves it out. ``seq`` is a recording
    number like a revision's or a release's: a withdrawal after a report was finalised is
    one of its corrections.
    """

    __tablename__ = "release_withdrawal"
    __table_args__ = (CheckConstraint("length(btrim(reason)) > 0", name="reason"),)

    release_id: Mapped[int] = mapped_column(ForeignKey("release.id"), primary_key=True)
    seq: Mapped[int] = mapped_column(
        BigInteger, server_default=recording_seq.next_value(), unique=True
    )
    reason: Mapped[str] = mapped_column(Text)
    withdrawn_at: Mapped[Created]
    withdrawn_by: Mapped[str | None] = mapped_column(String(200))


# The releases that count: every release but those withdrawn (a view, migration 0039).
RELEASES_IN_FORCE = "release_in_force"


class HazardWithdrawal(Base):
    """A reviewer withdrew a hazard recorded in error, a duplicate above all
    (docs/design.md §2.9).

    The hazard and its revisions are kept; from the withdrawal on, nothing counts it: the
    ledger reads revisions from ``hazard_revision_in_force``, so the hazard's ledger is
    empty and the map and report state that follows the ledger has nothing of it. A
    hazard is withdrawn only when none of its releases is in force. ``seq`` is a recording
    number, as a release withdrawal's: a report finalised before lists it as a correction.
    """

    __tablename__ = "hazard_withdrawal"
    __table_args__ = (CheckConstraint("length(btrim(reason)) > 0", name="reason"),)

    hazard_id: Mapped[int] = mapped_column(ForeignKey("hazard.id"), primary_key=True)
    seq: Mapped[int] = mapped_column(
        BigInteger, server_default=recording_seq.next_value(), unique=True
    )
    reason: Mapped[str] = mapped_column(Text)
    withdrawn_at: Mapped[Created]
    withdrawn_by: Mapped[str | None] = mapped_column(String(200))


# The hazards that count, and their revisions: all but those withdrawn (views, 0040).
HAZARDS_IN_FORCE = "hazard_in_force"
REVISIONS_IN_FORCE = "hazard_revision_in_force"


class ReleaseItem(Base):
    """Items of one type found and destroyed by a release."""

    __tablename__ = "release_item"
    __table_args__ = (CheckConstraint("quantity >= 0", name="quantity"),)

    release_id: Mapped[int] = mapped_column(ForeignKey("release.id"), primary_key=True)
    munition_code: Mapped[str] = mapped_column(ForeignKey("munition_type.code"), primary_key=True)
    quantity: Mapped[int] = mapped_column(Integer)

    release: Mapped[Release] = relationship(back_populates="items")


class LedgerEntry(Base):
    """One event of a hazard's area timeline, derived from its revisions and releases.

    The ledger is derived data (docs/design.md §2): each event's signed change of remaining area,
    computed once by chained differences and rebuilt for a hazard whenever one of its
    revisions or releases is recorded. As-of figures are sums over it.
    """

    __tablename__ = "ledger_entry"
    __table_args__ = (
        CheckConstraint(
            "kind IN ('added', 'status', 'cancelled', 'reduced', 'cleared')", name="kind"
        ),
        # the register of one admin area: the entries counted there (migration 0019)
        Index("ix_ledger_entry_count_admin1", "count_admin1_id", "hazard_id", "entry_no"),
        Index("ix_ledger_entry_count_admin2", "count_admin2_id", "hazard_id", "entry_no"),
    )

    hazard_id: Mapped[int] = mapped_column(
        ForeignKey("hazard.id", ondelete="CASCADE"), primary_key=True
    )
    entry_no: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    on: Mapped[dt.date] = mapped_column(Date, index=True)
    seq: Mapped[int] = mapped_column(BigInteger)
    # The record of the entry: hazard_revision.id or release.id, checked by ims_ledger_store
    # rather than as foreign keys (migration 0023; both tables are append-only).
    revision_id: Mapped[int | None] = mapped_column(Integer)
    release_id: Mapped[int | None] = mapped_column(Integer, index=True)
    status_after: Mapped[str | None] = mapped_column(String(3))
    delta_m2: Mapped[float] = mapped_column(Float)
    remaining_after_m2: Mapped[float] = mapped_column(Float)
    outside_m2: Mapped[float] = mapped_column(Float, server_default="0")
    # Admin areas (admin_area.id), checked once per statement rather than as foreign keys
    # (migration 0023): where the hazard is counted (largest share of its boundary in
    # force), per level, and where a release's destroyed items go (largest share of the
    # release polygon).
    count_admin1_id: Mapped[int | None] = mapped_column(Integer)
    count_admin2_id: Mapped[int | None] = mapped_column(Integer)
    items_admin1_id: Mapped[int | None] = mapped_column(Integer)
    items_admin2_id: Mapped[int | None] = mapped_column(Integer)


class LedgerPiece(Base):
    """The part of a ledger entry's area change that falls in one admin area (or none)."""

    __tablename__ = "ledger_piece"
    __table_args__ = (
        ForeignKeyConstraint(
            ["hazard_id", "entry_no"],
            ["ledger_entry.hazard_id", "ledger_entry.entry_no"],
            ondelete="CASCADE",
        ),
        CheckConstraint("level IN (1, 2)", name="level"),
        Index("ix_ledger_piece_entry", "hazard_id", "entry_no"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    hazard_id: Mapped[int] = mapped_column(Integer)
    entry_no: Mapped[int] = mapped_column(Integer)
    level: Mapped[int] = mapped_column(SmallInteger)
    admin_id: Mapped[int | None] = mapped_column(Integer)  # admin_area.id (migration 0023)
    area_m2: Mapped[float] = mapped_column(Float)


class HazardOverlap(Base):
    """Two hazards whose boundaries (in any revision) share ground: a possible double count.

    Kept up to date with the ledger so the dissolved national total (docs/design.md §2.6) only
    needs geometry work for these few hazards.
    """

    __tablename__ = "hazard_overlap"

    hazard_id: Mapped[int] = mapped_column(
        ForeignKey("hazard.id", ondelete="CASCADE"), primary_key=True
    )
    other_id: Mapped[int] = mapped_column(
        ForeignKey("hazard.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class SubmissionFeature(Base):
    """One feature of an uploaded file, staged for review until the submission is approved.

    ``record`` holds its template fields (after the field mapping) as text; ``geom`` is the
    feature's polygon when it is a valid one; otherwise ``raw_geom`` keeps whatever geometry
    it had, so the review map can show a broken feature where it is.
    """

    __tablename__ = "submission_feature"
    __table_args__ = (
        UniqueConstraint("submission_id", "row_number", name="uq_submission_feature_row"),
        CheckConstraint(
            "geom IS NULL OR (ST_IsValid(geom) AND NOT ST_IsEmpty(geom) AND ST_SRID(geom) = 4326)",
            name="geom_valid",
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    # looked up by the unique (submission_id, row_number); no index of its own (0025)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submission.id", ondelete="CASCADE"))
    row_number: Mapped[int] = mapped_column(Integer)
    reference: Mapped[str | None] = mapped_column(String(100))
    record: Mapped[dict[str, Any]] = mapped_column(JSONB)
    clean: Mapped[dict[str, Any] | None] = mapped_column(JSONB)  # the validated values
    geom: Mapped[WKBElement | None] = mapped_column(  # never searched by place: no index
        Geometry("MULTIPOLYGON", srid=4326, spatial_index=False), nullable=True
    )
    raw_geom: Mapped[WKBElement | None] = mapped_column(
        Geometry("GEOMETRY", srid=4326, spatial_index=False), nullable=True
    )


class FieldMapping(Base):
    """An organisation's own field names for a kind of file, kept for its next uploads:
    one for each set of the file's columns it reads (a programme's legacy export and its
    field forms' each have theirs; migration 0036)."""

    __tablename__ = "field_mapping"
    __table_args__ = (
        CheckConstraint("kind IN ('hazards', 'releases')", name="kind"),
        Index("ix_field_mapping_organisation_id_kind", "organisation_id", "kind"),
    )

    id: Mapped[IntPK]
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    mapping: Mapped[dict[str, Any]] = mapped_column(JSONB)  # a mapping document (field_maps)
    updated_at: Mapped[Created]


class HazardRemaining(Base):
    """Each hazard's remaining geometry after the last event of its ledger (derived).

    Lets a release dated after everything recorded be appended to the ledger without
    replaying the hazard's history, and gives maps today's remaining ground. NULL when
    nothing remains. ``status`` and ``remaining_m2`` are those after the last event;
    the EPSG:3857 copies serve vector tiles.
    """

    __tablename__ = "hazard_remaining"

    hazard_id: Mapped[int] = mapped_column(
        ForeignKey("hazard.id", ondelete="CASCADE"), primary_key=True
    )
    geom: Mapped[WKBElement | None] = mapped_column(
        Geometry("MULTIPOLYGON", srid=4326, spatial_index=True), nullable=True
    )
    status: Mapped[str | None] = mapped_column(String(16))
    remaining_m2: Mapped[float | None] = mapped_column(Float)
    area_m2: Mapped[float | None] = mapped_column(Float)  # of the boundary in force
    geom_3857: Mapped[WKBElement | None] = web_mercator_column()
    point_3857: Mapped[WKBElement | None] = web_mercator_column(
        "ST_Transform(ST_PointOnSurface(geom), 3857)", "POINT"
    )


class HazardPeriod(Base):
    """A hazard's state from one ledger entry's date to the next's, for maps of any date.

    Derived from the ledger by triggers (migration 0016), for entries that leave the hazard
    recorded: its reference, status and remaining area then, and the boundary in force (its bounding
    box, a point on it and its area as maps show it). The state on a date D is the period
    whose ``during`` holds D.
    """

    __tablename__ = "hazard_period"
    __table_args__ = (
        Index("ix_hazard_period_where_when", "bbox_3857", "during", postgresql_using="gist"),
        # the register: the state on a date from the index alone (migration 0019)
        Index(
            "ix_hazard_period_on",
            "during",
            postgresql_using="gist",
            postgresql_include=[
                "remaining_m2",
                "contam",
                "status",
                "reference",
                "hazard_id",
                "entry_no",
                "area_m2",
                "revision_id",
            ],
        ),
        # national tiles of any date: the open hazards' points from the index alone
        # (migration 0020; 1.0 is ims.domain.figures.OPEN_THRESHOLD_M2)
        Index(
            "ix_hazard_period_points",
            "map_point",
            "during",
            postgresql_using="gist",
            postgresql_include=[
                "hazard_id",
                "reference",
                "status",
                "contam",
                "remaining_m2",
                "area_m2",
            ],
            postgresql_where=text("remaining_m2 >= 1.0"),
        ),
        # the register's pages in its default order (migration 0020)
        Index(
            "ix_hazard_period_reference",
            "reference",
            "hazard_id",
            postgresql_include=[
                "during",
                "remaining_m2",
                "status",
                "contam",
                "entry_no",
                "area_m2",
                "revision_id",
            ],
        ),
    )

    hazard_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_no: Mapped[int] = mapped_column(Integer, primary_key=True)
    during: Mapped[Any] = mapped_column(DATERANGE)
    reference: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(3))
    contam: Mapped[str] = mapped_column(String(3))
    remaining_m2: Mapped[float] = mapped_column(Float)
    revision_id: Mapped[int] = mapped_column(Integer)
    bbox_3857: Mapped[WKBElement] = mapped_column(
        Geometry("POLYGON", srid=3857, spatial_index=False), nullable=False
    )
    point_3857: Mapped[WKBElement] = mapped_column(
        Geometry("POINT", srid=3857, spatial_index=False), nullable=False
    )
    area_m2: Mapped[float] = mapped_column(Float)
    # point_3857 as a plain point: a GiST index gives it back (a PostGIS geometry it cannot)
    map_point: Mapped[Any] = mapped_column(
        PlainPoint(),
        Computed("point(ST_X(point_3857), ST_Y(point_3857))", persisted=True),
        nullable=True,
    )


class HazardAdmin1Area(Base):
    """A hazard's level-1 pieces summed per province and date (derived, migration 0016)."""

    __tablename__ = "hazard_admin1_area"

    hazard_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    admin_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    on: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    contam: Mapped[str] = mapped_column(String(3))
    area_m2: Mapped[float] = mapped_column(Float)


class HazardAdmin1Count(Base):
    """+1/-1 where a hazard opens or closes in the province it is counted in (derived)."""

    __tablename__ = "hazard_admin1_count"

    hazard_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    admin_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    on: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    contam: Mapped[str] = mapped_column(String(3))
    hazards: Mapped[int] = mapped_column(Integer)


class Admin1Change(Base):
    """The changes of each province's remaining area and open hazards, per kind and date.

    The sums of the two tables above (derived, migration 0016): a province's figures on a
    date D are the sums of its rows dated D or earlier.
    """

    __tablename__ = "admin1_change"

    admin_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contam: Mapped[str] = mapped_column(String(3), primary_key=True)
    on: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    area_m2: Mapped[float] = mapped_column(Float)
    hazards: Mapped[int] = mapped_column(Integer)


class ReportChange(Base):
    """The changes of the Article 7 figures per admin area, kind and year (derived).

    Kept from the ledger by triggers (migration 0021, docs/decisions/0011): the sum of the
    changes of one ``figure`` (and ``code``: a status, a method, a munition type, a year of
    use) dated in ``year``. A figure on 31 December is the sum over the years up to it; on
    another date, the changes of the days between it and a year's end are added or taken
    away (``ims_report_changes_between``). ``admin_id`` None: in no admin area
    (Unassigned); the unique index is the key. Never read through the ORM.
    """

    __tablename__ = "report_change"
    __table_args__ = (
        Index(
            "ux_report_change",
            "level",
            "contam",
            "figure",
            "year",
            "admin_id",
            "code",
            unique=True,
            postgresql_nulls_not_distinct=True,
        ),
        {"postgresql_with": {"fillfactor": 70}},
    )
    # no primary key on the table (admin_id may be NULL): the unique index is the key
    __mapper_args__ = {  # noqa: RUF012 (SQLAlchemy reads it as a class attribute)
        "primary_key": ("level", "contam", "figure", "year", "admin_id", "code")
    }

    level: Mapped[int] = mapped_column(SmallInteger)
    admin_id: Mapped[int | None] = mapped_column(Integer)
    contam: Mapped[str] = mapped_column(String(3))
    figure: Mapped[str] = mapped_column(String(16))
    code: Mapped[str] = mapped_column(String(32))
    year: Mapped[int] = mapped_column(SmallInteger)
    value: Mapped[float] = mapped_column(Float)
    records: Mapped[int] = mapped_column(Integer)  # estimates or release items summed


class HazardReportArea(Base):
    """The area changes one hazard's ledger pieces gave ``report_change`` (derived), so
    they can be taken back when its ledger is stored again, and read for the days between
    a date and a year's end. Rows are added and removed per hazard, never one by one:
    no key (never read through the ORM)."""

    __tablename__ = "hazard_report_area"
    __mapper_args__ = {  # noqa: RUF012 (SQLAlchemy reads it as a class attribute)
        "primary_key": ("hazard_id", "level", "admin_id", "figure", "code", "on")
    }

    hazard_id: Mapped[int] = mapped_column(Integer, index=True)
    level: Mapped[int] = mapped_column(SmallInteger)
    admin_id: Mapped[int | None] = mapped_column(Integer)
    contam: Mapped[str] = mapped_column(String(3))
    figure: Mapped[str] = mapped_column(String(16))
    code: Mapped[str] = mapped_column(String(32))
    on: Mapped[dt.date] = mapped_column(Date, index=True)
    value: Mapped[float] = mapped_column(Float)


class RecordingVersion(Base):
    """One number, set from ``recording_seq`` by the database after anything is written to
    the revisions, releases or releases outside hazards (migration 0026): the records' part
    of the stamp kept answers are filed under (``ims.reports.kept``). Read only, by the
    application."""

    __tablename__ = "recording_version"
    __table_args__ = (CheckConstraint("one", name="one"),)

    one: Mapped[bool] = mapped_column(Boolean, primary_key=True, server_default=text("true"))
    version: Mapped[int] = mapped_column(BigInteger)


class WorkPlanTarget(Base):
    """An annual land-release target for a province and method (Action 19).

    Append-only: setting a target again adds a row; the latest ``set_at`` is in force, so
    earlier plans stay on record.
    """

    __tablename__ = "work_plan_target"
    __table_args__ = (CheckConstraint("target_m2 >= 0", name="target_non_negative"),)

    id: Mapped[IntPK]
    year: Mapped[int] = mapped_column(SmallInteger, index=True)
    admin_id: Mapped[int] = mapped_column(ForeignKey("admin_area.id"))
    method: Mapped[ReleaseMethod] = mapped_column(str_enum(ReleaseMethod, "method"))
    target_m2: Mapped[float] = mapped_column(Float)
    set_at: Mapped[Created]
    set_by: Mapped[str | None] = mapped_column(String(100))


class AppUser(Base):
    """A person (or a script) who signs in: a role, and an organisation for operators.

    Users are disabled, never deleted, so the audit trail always names someone real.
    """

    __tablename__ = "app_user"
    __table_args__ = (
        CheckConstraint("role <> 'operator' OR organisation_id IS NOT NULL", name="operator_org"),
        CheckConstraint("username = lower(username)", name="username_lower"),
    )

    id: Mapped[IntPK]
    username: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str | None] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(str_enum(Role, "role"))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    password_hash: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[Created]
    disabled_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

    organisation: Mapped[Organisation | None] = relationship()


class ApiToken(Base):
    """A revocable API token for scripts; only its SHA-256 is stored."""

    __tablename__ = "api_token"

    id: Mapped[IntPK]
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(16))  # shown in lists, to tell tokens apart
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[Created]
    expires_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

    user: Mapped[AppUser] = relationship()


class WebSession(Base):
    """A signed-in browser: the cookie holds a secret whose SHA-256 is the key here."""

    __tablename__ = "web_session"

    key_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[Created]
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class LoginFailure(Base):
    """A failed password login, kept to slow down guessing (growing delays).

    ``device_hash`` names the known device it came from (see KnownDevice); failures from
    unknown devices have none and are counted per user name and per address.
    """

    __tablename__ = "login_failure"
    __table_args__ = (Index("ix_login_failure_username_at", "username", "at"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    username: Mapped[str] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(String(64), index=True)
    device_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    at: Mapped[Created]


class KnownDevice(Base):
    """A browser a user has signed in from with the right password (a device cookie).

    Failed sign-ins from elsewhere never slow down sign-ins from a known device, so
    guessing a user's password cannot lock the user out of their own browser.
    """

    __tablename__ = "known_device"

    key_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    created_at: Mapped[Created]
    last_seen_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


class AuditEvent(Base):
    """Who changed what, when, with the state before and after. Append-only.

    A trigger refuses UPDATE, DELETE and TRUNCATE for every database role, the
    application's included. Another stamps each new row with the time (``at``) and the
    transaction (``tx``) that inserted it, whatever the inserter gave; at commit, each
    transaction's rows are sealed into ``audit_seal``.
    """

    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_object", "object_type", "object_id"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.clock_timestamp(), index=True
    )
    actor: Mapped[str] = mapped_column(String(200))
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    action: Mapped[str] = mapped_column(String(64), index=True)
    object_type: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[str] = mapped_column(String(100))
    hazard_id: Mapped[int | None] = mapped_column(ForeignKey("hazard.id"), index=True)
    submission_id: Mapped[int | None] = mapped_column(ForeignKey("submission.id"), index=True)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    tx: Mapped[int | None] = mapped_column(BigInteger, index=True)  # NULL: before sealing


class AuditSeal(Base):
    """The audit rows one transaction committed, chained to the seal before by SHA-256.

    ``hash`` = sha256(``prev_hash`` || the rows' hashes in id order), so altering, removing
    or inserting a sealed row, or a seal, breaks the chain (``ims audit verify``). Written
    only at commit by a trigger running as the database owner; the application's role can
    neither read nor write it.
    """

    __tablename__ = "audit_seal"
    __table_args__ = (
        CheckConstraint("cardinality(event_ids) = cardinality(event_hashes)", name="one_hash_each"),
        CheckConstraint("length(hash) = 32 AND length(prev_hash) = 32", name="sha256"),
    )

    seal_no: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    sealed_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.clock_timestamp()
    )
    tx: Mapped[int] = mapped_column(BigInteger)
    event_ids: Mapped[list[int]] = mapped_column(ARRAY(BigInteger))
    event_hashes: Mapped[list[bytes]] = mapped_column(ARRAY(LargeBinary))
    prev_hash: Mapped[bytes] = mapped_column(LargeBinary, unique=True)
    hash: Mapped[bytes] = mapped_column(LargeBinary, unique=True)


# A finalised report's kept document's digest, as the database writes it (jsonb's own
# text, which does not depend on how the client ordered the keys), of ``report_run r``:
# the audit trail keeps it, ims db verify compares.
DOCUMENT_DIGEST = "encode(sha256(convert_to(r.document::text, 'UTF8')), 'hex')"


class ReportRun(Base):
    """The first production of a report for given parameters, to show later corrections.

    ``stamp`` is the last recording number (hazard revisions and releases) the report saw;
    anything recorded after it with effect on or before the report's date is a correction.
    """

    __tablename__ = "report_run"
    __table_args__ = (UniqueConstraint("kind", "params", name="uq_report_run_kind_params"),)

    id: Mapped[IntPK]
    kind: Mapped[str] = mapped_column(String(32))
    params: Mapped[str] = mapped_column(String(200))  # canonical, e.g. year=2025;level=1;contam=CMR
    produced_at: Mapped[Created]
    produced_by: Mapped[str | None] = mapped_column(String(200))
    stamp: Mapped[int] = mapped_column(BigInteger)
    totals: Mapped[dict[str, Any]] = mapped_column(JSONB)
    # the whole report as finalised, with the notes its files carried (migration 0038;
    # None for a report finalised before, of which the totals alone were kept)
    document: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
