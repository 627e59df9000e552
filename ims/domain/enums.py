"""Enumerations of the mine action domain, with the synonyms operators use in their files."""

from __future__ import annotations

from enum import StrEnum


class HazardStatus(StrEnum):
    """Suspected (SHA) or confirmed (CHA) hazardous area."""

    SHA = "SHA"
    CHA = "CHA"

    @classmethod
    def parse(cls, value: str) -> HazardStatus:
        """Read a status as operators write it: SHA/CHA or suspected/confirmed, any case."""
        key = value.strip().lower()
        synonyms = {"sha": cls.SHA, "suspected": cls.SHA, "cha": cls.CHA, "confirmed": cls.CHA}
        try:
            return synonyms[key]
        except KeyError:
            raise ValueError(f"unknown hazard status {value!r}: use SHA or CHA") from None


class Contamination(StrEnum):
    """Kind of contamination a hazardous area holds."""

    CMR = "CMR"  # cluster munition remnants
    APM = "APM"  # anti-personnel mines
    ATM = "ATM"  # anti-tank mines
    ERW = "ERW"  # other explosive remnants of war

    @property
    def label(self) -> str:
        """What the code stands for, in words."""
        return {
            "CMR": "cluster munition remnants",
            "APM": "anti-personnel mines",
            "ATM": "anti-tank mines",
            "ERW": "other explosive remnants of war",
        }[self.value]

    @classmethod
    def parse(cls, value: str) -> Contamination:
        """Read a contamination kind; an empty value means CMR."""
        key = value.strip().upper()
        if not key:
            return cls.CMR
        try:
            return cls(key)
        except ValueError:
            raise ValueError(
                f"unknown contamination kind {value!r}: use CMR, APM, ATM or ERW"
            ) from None


class ReleaseMethod(StrEnum):
    """How land was released: non-technical survey, technical survey or clearance."""

    CANCELLED = "cancelled"
    REDUCED = "reduced"
    CLEARED = "cleared"

    @classmethod
    def parse(cls, value: str) -> ReleaseMethod:
        """Read a method as operators write it (cancelled/NTS, reduced/TS, cleared/clearance)."""
        key = value.strip().lower()
        synonyms = {
            "cancelled": cls.CANCELLED,
            "canceled": cls.CANCELLED,
            "nts": cls.CANCELLED,
            "non-technical survey": cls.CANCELLED,
            "reduced": cls.REDUCED,
            "ts": cls.REDUCED,
            "technical survey": cls.REDUCED,
            "cleared": cls.CLEARED,
            "clearance": cls.CLEARED,
        }
        try:
            return synonyms[key]
        except KeyError:
            raise ValueError(
                f"unknown release method {value!r}: use cancelled (NTS), reduced (TS) "
                "or cleared (clearance)"
            ) from None


class Role(StrEnum):
    """What a user may do (the permission table in ims/api/permissions.py says where)."""

    ADMIN = "admin"  # manages users and reference lists, and may do everything else
    REVIEWER = "reviewer"  # national authority IM staff: approve or reject submissions
    OPERATOR = "operator"  # an organisation's data manager: uploads, sees its own submissions
    VIEWER = "viewer"  # reads figures, maps and reports

    @classmethod
    def parse(cls, value: str) -> Role:
        """A role by name, with the list of valid names when it is not one."""
        try:
            return cls(value.strip().lower())
        except ValueError:
            names = ", ".join(r.value for r in cls)
            raise ValueError(f"unknown role {value!r}: use one of {names}") from None


class SubmissionStatus(StrEnum):
    """Where a submission stands (docs/design.md §5.3): only an approved one is recorded."""

    UPLOADED = "uploaded"  # received, not yet checked
    VALIDATED = "validated"  # read and checked, findings stored, waiting for a reviewer
    APPROVED = "approved"  # applied whole: its revisions and releases are on record
    REJECTED = "rejected"  # refused by a reviewer, with a reason; nothing was applied
    SUPERSEDED = "superseded"  # replaced by a later upload before review; nothing was applied
    WITHDRAWN = "withdrawn"  # set aside by its sender before review; nothing was applied


class UploadKind(StrEnum):
    """What an uploaded file holds: hazards (new or revised) or releases of land."""

    HAZARDS = "hazards"
    RELEASES = "releases"
