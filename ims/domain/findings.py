"""Data-quality findings (docs/design.md §4): what is wrong, how bad, and where."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    """An error blocks approval; a warning does not."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Finding:
    """One finding: a code, a severity, a message for a person, and the feature and field."""

    code: str
    severity: Severity
    message: str
    row: int | None = None  # feature number in the file, from 1
    reference: str | None = None  # hazard_id or release_id of the feature
    field: str | None = None

    @property
    def blocking(self) -> bool:
        """Whether this finding blocks approval."""
        return self.severity is Severity.ERROR

    def as_dict(self) -> dict[str, object]:
        """The finding as plain data (for JSON and the database)."""
        return {
            "code": self.code,
            "severity": self.severity.value,
            "message": self.message,
            "row": self.row,
            "reference": self.reference,
            "field": self.field,
        }

    def __str__(self) -> str:
        where = []
        if self.row is not None:
            where.append(f"feature {self.row}")
        if self.reference:
            where.append(self.reference)
        if self.field:
            where.append(f"field {self.field}")
        place = f" ({', '.join(where)})" if where else ""
        return f"{self.severity.value} {self.code}{place}: {self.message}"
