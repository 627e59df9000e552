"""Benchmark: GIS programs reading the national layers from /ogc, as a GIS officer does.

Run by hand on a national database (bench/accounting.py's ``ims_bench``, or the one
``bench/pipeline.py --keep`` leaves, ``ims_bench_pipeline``):

    .venv/bin/python bench/gis.py --database ims_bench_pipeline
    .venv/bin/python bench/gis.py --releases       # the releases layer too (300,000 features)

It starts ``ims serve`` on a loopback port (its log in bench/out/) and times, each as a
whole process, as a user waits for it:

- **QGIS** (PyQGIS, Debian's ``python3-qgis``, headless; a connection's user name and an
  API token as its password): a layer added and every feature read, as the attribute
  table or a full extent's draw reads them;
- **GDAL** (pyogrio's OAPIF driver in a process of its own, as ``ogr2ogr`` reads; the
  token in a header file), with ``-where`` where the read has a filter.

The reads: the hazards open today; the hazards open at the end of a past year (the date in
the address); the confirmed hazards of the province with the most of them (QGIS 3.22
filters them itself, having read them all; GDAL sends the filter to the server); the
hazards in a box of half a degree (a map view); and with ``--releases``, every release.
For each it prints the features read, the seconds, features per second, the requests the
server answered and the largest page's size, and the two clients' counts side by side
(they must agree).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from served import OUT, database, ims_serve, say, user
from sqlalchemy import Engine, text

from ims.config import configure_logging
from ims.domain.enums import Role

USER = "bench-gis"
QGIS_PYTHON = "/usr/bin/python3"  # the Python QGIS's bindings are built for

_QGIS = r"""
import json, os, sys, time
os.environ["QT_QPA_PLATFORM"] = "offscreen"
from qgis.core import QgsApplication, QgsFeatureRequest, QgsRectangle, QgsVectorLayer
QgsApplication.setPrefixPath("/usr", True)
app = QgsApplication([], False)
app.initQgis()
read = json.loads(sys.argv[1])
uri = (f"url='{read['url']}' typename='{read['layer']}' username='{read['user']}'"
       f" password='{read['password']}'")
if read.get("box"):  # "Only request features overlapping the view extent", as for a map view
    uri += " restrictToRequestBBOX='1'"
layer = QgsVectorLayer(uri, read["layer"], "OAPIF")
if not layer.isValid():
    print(json.dumps({"error": "the layer is not valid"}), flush=True)
    os._exit(1)
if read.get("subset"):
    layer.setSubsetString(read["subset"])
request = QgsFeatureRequest()
if read.get("box"):
    request.setFilterRect(QgsRectangle(*read["box"]))
    request.setFlags(QgsFeatureRequest.ExactIntersect)  # as GDAL's spatial filter
count = sum(1 for _ in layer.getFeatures(request))
print(json.dumps({"features": count}), flush=True)
os._exit(0)
"""

_GDAL = r"""
import json, sys
import pyogrio
read = json.loads(sys.argv[1])
kwargs = {"layer": read["layer"], "read_geometry": True}
if read.get("where"):
    kwargs["where"] = read["where"]
if read.get("box"):
    kwargs["bbox"] = tuple(read["box"])
frame = pyogrio.read_dataframe("OAPIF:" + read["url"], **kwargs)
print(json.dumps({"features": len(frame)}))
"""


def _requests(log: Path, since: int) -> tuple[int, int]:
    """The requests the server answered after byte ``since`` of its log, and where it ends."""
    text_ = log.read_text(errors="replace")
    return sum(1 for line in text_[since:].splitlines() if '"GET /ogc' in line), len(text_)


def _run(client: str, read: dict[str, object], log: Path, header: Path) -> dict[str, object]:
    _, since = _requests(log, 0)
    if client == "QGIS":
        command = [QGIS_PYTHON, "-c", _QGIS, json.dumps(read)]
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL"))}
        home = tempfile.mkdtemp(prefix="ims-bench-qgis-")  # no cache from an earlier read
        env.update(HOME=home, XDG_RUNTIME_DIR=home, QGIS_AUTH_DB_DIR_PATH=home)
    else:
        command = [sys.executable, "-c", _GDAL, json.dumps(read)]
        env = {k: v for k, v in os.environ.items() if k not in ("GDAL_SKIP", "GDAL_HTTP_PROXY")}
        env["GDAL_HTTP_HEADER_FILE"] = str(header)
    t = time.perf_counter()
    run = subprocess.run(command, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - t
    if run.returncode != 0:
        raise RuntimeError(f"{client} failed:\n{run.stdout[-500:]}\n{run.stderr[-2000:]}")
    answer = json.loads(run.stdout.strip().splitlines()[-1])
    requests, _ = _requests(log, since)
    return {"features": answer["features"], "seconds": seconds, "requests": requests}


def _province(engine: Engine) -> tuple[str, tuple[float, float, float, float]]:
    """The province with the most confirmed hazards open today, and a half-degree box in it."""
    with engine.connect() as conn:
        code, x, y = conn.execute(
            text(
                "SELECT a.code, ST_X(ST_PointOnSurface(a.geom)), ST_Y(ST_PointOnSurface(a.geom))"
                " FROM hazard_period p JOIN ledger_entry e"
                "  ON e.hazard_id = p.hazard_id AND e.entry_no = p.entry_no"
                " JOIN admin_area a ON a.id = e.count_admin1_id"
                " WHERE upper_inf(p.during) AND p.status = 'CHA'"
                " GROUP BY a.code, a.geom ORDER BY count(*) DESC LIMIT 1"
            )
        ).one()
    return str(code), (x - 0.25, y - 0.25, x + 0.25, y + 0.25)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="ims_bench")
    parser.add_argument("--releases", action="store_true", help="read the releases too")
    parser.add_argument("--past", default=None, help="the past date (default: five years ago)")
    args = parser.parse_args()
    configure_logging()
    logging.getLogger("alembic").setLevel(logging.WARNING)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    if not Path(QGIS_PYTHON).exists():
        raise SystemExit("no QGIS: scripts/setup.sh --dev installs python3-qgis")
    owner_url, owner, engine = database(args.database)
    token = user(engine, USER, Role.VIEWER)
    code, box = _province(engine)
    past = args.past or f"{dt.date.today().year - 5}-12-31"
    log = OUT / "gis-serve.log"
    with tempfile.NamedTemporaryFile("w", suffix=".header", delete=False) as header_file:
        header_file.write(f"Authorization: Bearer {token}\n")
    header = Path(header_file.name)
    os.chmod(header, 0o600)
    try:
        with ims_serve(owner_url, log, warmed=True) as site:
            ogc = f"{site}/ogc"
            login = {"user": USER, "password": token}
            reads: list[tuple[str, dict[str, object], dict[str, object]]] = [
                ("hazards today", {"url": ogc, "layer": "hazards"}, {}),
                (f"hazards on {past}", {"url": f"{ogc}/on/{past}", "layer": "hazards"}, {}),
                (
                    f"CHA in {code}",
                    {"url": ogc, "layer": "hazards"},
                    {
                        "subset": f"\"status\" = 'CHA' AND \"admin1_code\" = '{code}'",
                        "where": f"status = 'CHA' AND admin1_code = '{code}'",
                    },
                ),
                ("hazards in a box", {"url": ogc, "layer": "hazards", "box": list(box)}, {}),
            ]
            if args.releases:
                reads.append(("releases", {"url": ogc, "layer": "releases"}, {}))
            say(f"{args.database}: QGIS and GDAL reading /ogc (each a whole process)")
            say(
                f"{'read':<26} {'client':<5} {'features':>9} {'seconds':>8} "
                f"{'features/s':>10} {'requests':>8}"
            )
            for name, read, filters in reads:
                counts = {}
                for client in ("QGIS", "GDAL"):
                    asked = dict(read)
                    if client == "QGIS":
                        asked.update(login)
                        if "subset" in filters:
                            asked["subset"] = filters["subset"]
                    elif "where" in filters:
                        asked["where"] = filters["where"]
                    got = _run(client, asked, log, header)
                    counts[client] = got["features"]
                    seconds = float(got["seconds"])  # type: ignore[arg-type]
                    features = int(got["features"])  # type: ignore[call-overload]
                    say(
                        f"{name:<26} {client:<5} {features:>9,} {seconds:>8.1f} "
                        f"{features / seconds:>10,.0f} {got['requests']:>8}"
                    )
                if counts["QGIS"] != counts["GDAL"]:
                    say(f"  the clients disagree: {counts}")
    finally:
        header.unlink(missing_ok=True)
        owner.dispose()
        engine.dispose()


if __name__ == "__main__":
    main()
