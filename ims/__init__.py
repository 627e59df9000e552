"""ims: information management for humanitarian mine action."""

import os as _os

__version__ = "0.1.0"

# GDAL tries every driver it has on a file it is given, whatever the file is named: an
# upload named .geojson holding an OGR VRT document had GDAL read any file on the server,
# or any address, into the submission (found by an attack on our own instance). ims reads
# uploads with these drivers and writes its files with them; the others GDAL has (as of
# 3.12) are left unregistered in every ims process, which GDAL reads from GDAL_SKIP as
# pyogrio first loads it (decision 0020). A GDAL with drivers not named here is found by
# tests/ingest/test_upload_guard.py, and ims.ingest.layers refuses a layer any other
# driver opened.
GDAL_DRIVERS_USED = ("ESRI Shapefile", "GPKG", "GeoJSON", "GeoJSONSeq", "KML", "LIBKML", "MEM")
GDAL_DRIVERS_SKIPPED = (
    "ADBC", "AIVector", "AVCBin", "AVCE00", "AmigoCloud", "CSV", "CSW", "Carto", "DGN",
    "DXF", "EDIGEO", "EEDA", "ESRIJSON", "Elasticsearch", "FlatGeobuf", "GDALG", "GML",
    "GPSBabel", "GPX", "GTFS", "GeoRSS", "HTTP", "Idrisi", "JML", "JSONFG", "LVBAG",
    "MBTiles", "MVT", "MapInfo File", "MapML", "MiraMonVector", "NGW", "OAPIF", "ODS",
    "OGCAPI", "OGR_GMT", "OGR_PDS", "OGR_VRT", "OSM", "OpenFileGDB", "PCIDSK", "PDF",
    "PDS4", "PGDUMP", "PLSCENES", "PMTiles", "S57", "SQLite", "SXF", "Selafin",
    "TopoJSON", "VDV", "VFK", "VICAR", "WAsP", "WFS", "XLSX", "VRT",
)  # fmt: skip
_skipped = [d for d in _os.environ.get("GDAL_SKIP", "").split(",") if d.strip()]
_os.environ["GDAL_SKIP"] = ",".join(
    _skipped + [d for d in GDAL_DRIVERS_SKIPPED if d not in _skipped]
)

# Nor does GDAL reach the network from an ims process: a GeoJSON's "crs" link had the server
# fetch an address, three times an upload (found by an attack on our own instance). The
# check of the file comes first (ims.ingest.layers); should a way round it be found, GDAL's
# requests go to a proxy that is not there, and fail at once.
_os.environ["GDAL_HTTP_PROXY"] = "127.0.0.1:9"
