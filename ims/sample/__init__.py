"""Sample data: a plausible national Lao PDR cluster-munition data set in the ims template."""

from ims.sample.generator import (
    ANOMALY_KINDS,
    BOUNDARIES_DIR,
    OPERATORS,
    PRIORITY_PROVINCES,
    Progress,
    SampleData,
    generate,
    load_provinces,
    write,
)

__all__ = [
    "ANOMALY_KINDS",
    "BOUNDARIES_DIR",
    "OPERATORS",
    "PRIORITY_PROVINCES",
    "Progress",
    "SampleData",
    "generate",
    "load_provinces",
    "write",
]
