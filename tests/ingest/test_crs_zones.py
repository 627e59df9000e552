"""Which UTM zone puts a file read outside the country inside it (``other_utm_zone``)."""

from __future__ import annotations

import geopandas as gpd
import pytest
from pyproj import CRS
from shapely.geometry import box

from ims.ingest.crs import _zones_over, other_utm_zone, utm_crs

LAOS = box(100.0, 13.9, 107.7, 22.5)  # as the API tests' country
WEST = box(100.0, 13.9, 103.0, 22.5)  # a country in zones 47N and 48N, 3° wide
TIMOR = box(124.0, -9.5, 127.3, -8.1)  # a country south of the equator, in zone 51S and 52S


def _read_as(lons: list[float], lat: float, written: int, read: int) -> gpd.GeoDataFrame:
    """Small squares written in the CRS ``written`` and read back as if in ``read``."""
    frame = gpd.GeoDataFrame(
        geometry=[box(lon, lat, lon + 0.001, lat + 0.001) for lon in lons], crs=4326
    )
    return frame.to_crs(written).set_crs(read, allow_override=True).to_crs(4326)


def test_zones_over_a_country_are_those_its_longitudes_and_hemispheres_cross() -> None:
    assert _zones_over(LAOS.bounds) == ["47N", "48N"]
    assert _zones_over(TIMOR.bounds) == ["51S", "52S"]
    assert _zones_over((-1.0, -1.0, 1.0, 1.0)) == ["30N", "31N", "30S", "31S"]
    zones = _zones_over((-180.0, 0.5, 180.0, 1.0))
    assert (zones[0], zones[-1]) == ("1N", "60N")  # not zone 0 or 61


@pytest.mark.parametrize(
    ("written", "read", "country", "lons", "lat"),
    [
        (32648, 32647, LAOS, [104.0, 104.5, 105.0], 18.0),  # the zone to the east, read west
        (32647, 32648, WEST, [100.5, 101.0], 20.0),  # the zone to the west, read east
        (32648, 32748, LAOS, [104.0, 105.0], 18.0),  # the southern hemisphere's zone 48
        (32648, 32618, LAOS, [104.0, 105.0], 18.0),  # a zone far away (18N)
        (32751, 32752, TIMOR, [125.0, 125.5], -8.8),
        # the datum read in is kept: Indian 1954's zone 48 for its zone 47, not WGS 84's,
        # which would have put every feature half a kilometre off unsaid (helper-114)
        (23948, 23947, LAOS, [104.0, 105.0], 18.0),
        (24048, 24047, LAOS, [104.0, 105.0], 18.0),  # Indian 1975
        # a file of Indian 1975's coordinates read as WGS 84's: the datum is not guessed
        (24048, 32647, LAOS, [104.0, 105.0], 18.0),
    ],
)
def test_a_file_read_in_another_utm_zone_is_told_its_own(
    written: int, read: int, country: object, lons: list[float], lat: float
) -> None:
    frame = _read_as(lons, lat, written, read)
    zone = other_utm_zone(frame, CRS.from_epsg(read), country)  # type: ignore[arg-type]
    assert zone is not None
    expected = written if CRS.from_epsg(read).datum == CRS.from_epsg(written).datum else 32648
    assert zone.code == f"EPSG:{expected}" and zone.name == CRS.from_epsg(expected).name
    assert (zone.sampled, zone.outside, zone.inside_there) == (len(lons), len(lons), len(lons))


def test_a_file_in_its_zone_or_not_in_one_is_told_nothing() -> None:
    inside = _read_as([104.0, 105.0], 18.0, 32648, 32648)
    assert other_utm_zone(inside, CRS.from_epsg(32648), LAOS) is None
    # mostly inside: a stray feature or two is each one's own error, not the file's zone
    mostly = _read_as([104.0, 104.2, 104.4, 108.5], 18.0, 32648, 32648)
    assert other_utm_zone(mostly, CRS.from_epsg(32648), LAOS) is None
    # outside in every zone over the country: no zone to name
    far = _read_as([104.0, 105.0], 45.0, 32648, 32647)
    assert other_utm_zone(far, CRS.from_epsg(32647), LAOS) is None
    # not a UTM zone, or no country recorded
    assert utm_crs("EPSG:4326") is None and utm_crs("EPSG:3857") is None
    assert utm_crs("not a code") is None and utm_crs("EPSG:999999") is None
    wrong = _read_as([104.0, 105.0], 18.0, 32648, 32647)
    assert other_utm_zone(wrong, CRS.from_epsg(32647), None) is None
    assert other_utm_zone(wrong, CRS.from_epsg(4326), LAOS) is None


def test_a_datum_of_the_files_own_gets_its_zone_by_name() -> None:
    """A .prj of a datum EPSG has no code for (as Lao 1997's may be written) had no hint:
    its label was a name, not a code (helper-114). Its other zone is named."""
    own = CRS.from_proj4(
        "+proj=utm +zone=47 +ellps=krass +towgs84=46.012,-127.108,-33.521,0,0,0,0 +units=m"
    )
    assert own.to_epsg() is None and own.utm_zone == "47N"
    written = CRS.from_proj4(own.to_proj4().replace("+zone=47", "+zone=48"))
    frame = gpd.GeoDataFrame(
        geometry=[box(lon, 18.0, lon + 0.001, 18.001) for lon in (104.0, 105.0)], crs=4326
    )
    read = frame.to_crs(written).set_crs(own, allow_override=True).to_crs(4326)
    zone = other_utm_zone(read, own, LAOS)
    assert zone is not None and zone.code is None and zone.zone == "48N"


def test_a_datum_of_the_files_own_is_not_named_by_a_code_that_is_nearly_it() -> None:
    """An Everest datum with a shift of its own, as a .prj written by GDAL names it
    ("unknown"): PROJ at its default confidence had called its zone 47 Indian 1954's
    EPSG:23947, which put features 134-363 m off (helper-115)."""
    own = CRS.from_wkt(
        CRS.from_proj4(
            "+proj=utm +zone=47 +ellps=evrst30 +towgs84=44.585,-131.212,-39.544,0,0,0,0 +units=m"
        ).to_wkt("WKT1_GDAL")
    )
    frame = gpd.GeoDataFrame(
        geometry=[box(lon, 18.0, lon + 0.001, 18.001) for lon in (104.0, 105.0)], crs=4326
    )
    read = frame.to_crs(32648).set_crs(own, allow_override=True).to_crs(4326)  # zone 48's
    zone = other_utm_zone(read, own, LAOS)
    assert zone is not None and zone.code is None and zone.zone == "48N"
