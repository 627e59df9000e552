"""Sample data: a plausible national Lao PDR cluster-munition data set in the ims template."""

from ims.resources import BOUNDARIES_DIR
from ims.sample.files import write
from ims.sample.generator import Progress, generate
from ims.sample.provinces import OPERATORS, PRIORITY_PROVINCES, load_provinces
from ims.sample.tables import ANOMALY_KINDS, SampleData

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
