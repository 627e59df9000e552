"""The limits that keep an upload from costing more than its size (``IMS_UPLOAD_MAX_…``).

Each is checked before the work it would multiply: the file's size and a zip's entries
(``archive``), the number of layers (``layers``), features and vertices (``reader``).
"""

from __future__ import annotations

from dataclasses import dataclass

from ims.config import Settings, get_settings


@dataclass(frozen=True)
class UploadLimits:
    """Size limits that protect the server from oversized and hostile uploads."""

    max_bytes: int = 200 * 1024 * 1024  # the uploaded file itself
    max_uncompressed_bytes: int = 2 * 1024**3  # total of a zip's entries
    max_ratio: float = 200.0  # uncompressed/compressed of any entry and overall (zip bombs)
    # an Excel workbook is a zip of XML read whole into memory (pandas, openpyxl): some
    # ten times its XML's size
    max_workbook_bytes: int = 512 * 1024 * 1024
    # GDAL's LIBKML driver builds a KML whole in memory: 5 times a national file's size,
    # 16 times that of a document of many tiny placemarks (its placemarks and coordinates
    # are counted as well, before GDAL sees it)
    max_kml_bytes: int = 512 * 1024 * 1024
    # and its elements, some 800 bytes each in GDAL's memory: a national file of 142,000
    # hazards has 2.3 million; 4 million empty overlays had taken 2.6 GB from 68 MB
    max_kml_elements: int = 4_000_000
    max_entries: int = 2000
    max_layers: int = 50  # layers and tables of every file in the upload together
    max_features: int = 500_000  # in the chosen layer
    max_vertices_per_feature: int = 100_000
    max_vertices: int = 20_000_000  # of the chosen layer's features together

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> UploadLimits:
        """The limits configured with ``IMS_UPLOAD_MAX_…``."""
        settings = settings or get_settings()
        return cls(
            max_bytes=settings.upload_max_bytes,
            max_layers=settings.upload_max_layers,
            max_features=settings.upload_max_features,
            max_vertices_per_feature=settings.upload_max_vertices_per_feature,
            max_vertices=settings.upload_max_vertices,
        )
