"""QGIS itself connects to /ogc and the vector tiles as the README and the account page say.

QGIS 3.22 (Debian 12's, Ubuntu 22.04's) has no "API Header" authentication: a connection
gives a user name and a password, which QGIS sends as HTTP Basic. Before ims took an API
token as that password, a GIS officer with that QGIS could not connect at all.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from owslib.ogcapi.features import Features
from owslib.util import Authentication
from pyproj import Transformer
from shapely.geometry import box
from sqlalchemy import Engine, text

from tests.api import test_ogc
from tests.api.test_ogc import WEST_BBOX, Live
from tests.gis import gis_reads
from tests.qgis import qgis_reads

live, served = test_ogc.live, test_ogc.served  # ims serve, one per module: a viewer's token

COLLECTIONS = ("hazards", "hazard_boundaries", "releases", "admin_areas")


def _ids(engine: Engine, sql: str) -> list[str]:
    with engine.connect() as conn:
        return sorted(str(v) for v in conn.scalars(text(sql)))


def _asked(live: Live, marker: str) -> list[str]:
    return [line for line in live.asked().splitlines() if marker in line]


def test_qgis_reads_every_collection_with_a_token_as_its_connections_password(
    live: Live, tmp_path: Path, capsys: Any
) -> None:
    # what GDAL reads of the same layers, with the token as the README's header file: the
    # second client the answers are checked against (with shapely for the box)
    header = tmp_path / "token-header"
    header.write_text(f"Authorization: Bearer {live.token}\n")
    source = f"OAPIF:{live.url}"
    hazards_by_gdal, dated_by_gdal = gis_reads(
        ("read_dataframe", (source,), {"layer": "hazards"}),
        ("read_dataframe", (f"OAPIF:{live.url}/on/2021-12-31",), {"layer": "hazards"}),
        GDAL_HTTP_HEADER_FILE=str(header),
    )
    login = {"url": live.url, "user": "ogc-viewer", "password": live.token}
    version, answers = qgis_reads(
        *[{"kind": "features", "layer": name, **login} for name in COLLECTIONS],
        {"kind": "features", "layer": "hazards", "rect": list(WEST_BBOX), **login},
        {"kind": "features", "layer": "hazards", "subset": "\"status\" = 'CHA'", **login},
        {**login, "kind": "features", "layer": "hazards", "url": f"{live.url}/on/2021-12-31"},
        # the account's password, as a user would first try: refused, and nothing read
        {**login, "kind": "features", "layer": "hazards", "password": "their password"},
        {**login, "kind": "features", "layer": "hazards", "user": None},  # no credentials
    )
    hazards, boundaries, releases, areas, west, confirmed, dated, password, nobody = answers
    for answer in (hazards, boundaries, releases, areas, west, confirmed, dated):
        assert answer["valid"] and answer["crs"] == "EPSG:4326", answer
    assert sorted(hazards["ids"]) == sorted(hazards_by_gdal["id"]) and hazards["ids"]
    assert sorted(boundaries["ids"]) == _ids(live.engine, "SELECT reference FROM hazard")
    assert sorted(releases["ids"]) == _ids(live.engine, "SELECT reference FROM release")
    assert len(areas["ids"]) == len(_ids(live.engine, "SELECT id FROM admin_area"))
    # the fields and their types, from the collections' schemas and features
    types = {
        name: dict(answer["fields"]) for name, answer in zip(COLLECTIONS, answers[:4], strict=True)
    }
    assert types["hazards"]["remaining_m2"] == "Real" and types["hazards"]["recorded"] == "Date"
    assert types["hazards"]["team"] == "String"  # an upload's own column, on later pages
    assert types["releases"]["released"] == "Date" and types["admin_areas"]["level"] == "Integer"
    # the map canvas's box, exactly
    want_west = [
        h
        for h, g in zip(hazards_by_gdal["id"], hazards_by_gdal.geometry, strict=True)
        if g.intersects(box(*WEST_BBOX))
    ]
    assert sorted(west["ids"]) == sorted(want_west) and 0 < len(want_west) < len(hazards["ids"])
    want_cha = hazards_by_gdal[hazards_by_gdal["status"] == "CHA"]["id"]
    assert sorted(confirmed["ids"]) == sorted(want_cha) and len(want_cha) > 0
    # another date, by its address: without the hazards recorded in 2022
    assert sorted(dated["ids"]) == sorted(dated_by_gdal["id"])
    assert "H-20" in hazards["ids"] and "H-20" not in dated["ids"]
    assert not password["valid"] and not nobody["valid"]
    refused = [line for line in _asked(live, '"GET /ogc') if '" 401' in line]
    assert len(refused) >= 2, live.asked()[-2000:]
    with capsys.disabled():
        print(
            f"\nQGIS {version} OAPIF: "
            + ", ".join(
                f"{n} {len(a['ids'])}" for n, a in zip(COLLECTIONS, answers[:4], strict=True)
            )
            + f"; in the box {len(west['ids'])}; CHA {len(confirmed['ids'])}; "
            f"2021-12-31 {len(dated['ids'])}"
        )


def test_qgis_draws_the_vector_tiles_with_a_basic_authentication_configuration(
    live: Live, capsys: Any
) -> None:
    site = live.url.removesuffix("/ogc")
    to_metres = Transformer.from_crs("EPSG:4326", "EPSG:3857", always_xy=True)
    west, south = to_metres.transform(WEST_BBOX[0], WEST_BBOX[1])
    east, north = to_metres.transform(WEST_BBOX[2] + 0.1, WEST_BBOX[3])
    tiles = {
        "kind": "tiles",
        "url": f"{site}/api/v1/tiles/hazards/%7Bz%7D/%7Bx%7D/%7By%7D.pbf",
        "user": "ogc-viewer",
        "extent": [west, south, east, north],
    }
    # each in a QGIS of its own: QGIS keeps the tiles it fetched in its network cache
    _, (refused,) = qgis_reads({**tiles, "password": "their password"})
    _, (drawn,) = qgis_reads({**tiles, "password": live.token})
    assert drawn["valid"] and drawn["drawn"] > 100, drawn
    assert refused["drawn"] == 0
    answered = _asked(live, "/api/v1/tiles/hazards/")
    assert any('" 200' in line for line in answered) and any('" 401' in line for line in answered)
    with capsys.disabled():
        print(f"\nQGIS vector tiles: drew on {drawn['drawn']} of 22,500 sampled pixels")


def test_gdal_and_owslib_read_with_a_user_name_and_a_token(live: Live) -> None:
    # the other clients' own ways of sending a user name and password, preemptively
    (by_gdal,) = gis_reads(
        ("read_dataframe", (f"OAPIF:{live.url}",), {"layer": "releases"}),
        GDAL_HTTP_USERPWD=f"ogc-viewer:{live.token}",
    )
    assert sorted(by_gdal["release_id"]) == ["R-1", "R-2", "R-3", "R-4"]
    api = Features(live.url, auth=Authentication("ogc-viewer", live.token))
    items = api.collection_items("releases", limit=100)
    assert sorted(f["id"] for f in items["features"]) == ["R-1", "R-2", "R-3", "R-4"]
