"""Benchmark: vector tile latency over the most contaminated province.

Run by hand after bench/accounting.py (it reuses that database, ``ims_bench``, with its
100,000 hazards and 300,000 releases; the schema is migrated to the latest first):

    .venv/bin/python bench/tiles.py

For zooms 6–14 it requests, through the API, every tile (or a random sample) covering the
province with the most remaining area, for each layer, and prints the latency percentiles
per zoom and overall, today and at an earlier date.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import math
import random
import shutil
import socket
import statistics
import time
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from ims.app import create_app
from ims.config import configure_logging, get_settings
from ims.db.migrate import upgrade
from ims.db.session import embedded_cluster


def say(message: str) -> None:
    print(message, flush=True)


def tile_range(bounds: tuple[float, float, float, float], z: int) -> tuple[range, range]:
    """The tile columns and rows covering a lon/lat box at zoom z."""
    x0, y0, x1, y1 = bounds
    n = 2**z

    def tx(lon: float) -> int:
        return int((lon + 180) / 360 * n)

    def ty(lat: float) -> int:
        return int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)

    return range(tx(x0), tx(x1) + 1), range(ty(y1), ty(y0) + 1)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1)]


def main() -> None:
    """Run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="ims_bench")
    parser.add_argument("--samples", type=int, default=40, help="tiles per zoom and layer")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    configure_logging("WARNING")
    logging.getLogger("ims").setLevel(logging.WARNING)
    cluster = embedded_cluster(get_settings())
    cluster.up()
    engine = create_engine(cluster.url(args.database))
    t = time.perf_counter()
    upgrade(engine)
    say(f"schema at head ({time.perf_counter() - t:.1f} s)")
    with engine.connect() as conn:
        hazards = conn.scalar(text("SELECT count(*) FROM hazard"))
        name, x0, y0, x1, y1 = conn.execute(
            text(
                "SELECT a.name, ST_XMin(a.geom), ST_YMin(a.geom), ST_XMax(a.geom), "
                "ST_YMax(a.geom) FROM admin_area a JOIN ledger_piece p ON p.admin_id = a.id "
                "WHERE a.level = 1 GROUP BY a.id ORDER BY SUM(p.area_m2) DESC LIMIT 1"
            )
        ).one()
        latest = conn.scalar(text('SELECT max("on") FROM ledger_entry'))
    say(f"{hazards:,} hazards; tiles over {name} ({x0:.2f}–{x1:.2f}°E, {y0:.2f}–{y1:.2f}°N)")
    client = TestClient(create_app(engine))
    rng = random.Random(args.seed)
    earlier = dt.date(latest.year - 5, 12, 31)
    for as_of, label in ((None, "today"), (earlier, f"as of {earlier}")):
        everything: list[float] = []
        say(f"-- {label}")
        say(f"{'zoom':>4} {'tiles':>6} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'KB avg':>8}")
        for z in range(6, 15):
            xs, ys = tile_range((x0, y0, x1, y1), z)
            cells = [(x, y) for x in xs for y in ys]
            cells = cells if len(cells) <= args.samples else rng.sample(cells, args.samples)
            times: list[float] = []
            sizes: list[int] = []
            for layer in ("hazards", "releases", "admin1"):
                for x, y in cells:
                    params = {"as_of": as_of.isoformat()} if as_of else {}
                    start = time.perf_counter()
                    response = client.get(f"/api/v1/tiles/{layer}/{z}/{x}/{y}.pbf", params=params)
                    times.append((time.perf_counter() - start) * 1000)
                    assert response.status_code == 200, response.text
                    sizes.append(len(response.content))
            everything += times
            say(
                f"{z:>4} {len(times):>6} {statistics.median(times):>8.1f} "
                f"{percentile(times, 0.95):>8.1f} {max(times):>8.1f} "
                f"{statistics.mean(sizes) / 1024:>8.1f}"
            )
        say(
            f"all zooms 6–14: {len(everything)} tiles, p50 {statistics.median(everything):.1f} ms,"
            f" p95 {percentile(everything, 0.95):.1f} ms, max {max(everything):.1f} ms"
        )
    map_page_in_browser(engine)
    engine.dispose()


def map_page_in_browser(engine: Any) -> None:
    """Time from navigation to the first features drawn on /map, in headless Chromium."""
    chromium = shutil.which("chromium")
    if chromium is None:
        say("map page: not timed (no chromium; scripts/setup.sh --dev installs it)")
        return
    import threading

    import uvicorn
    from playwright.sync_api import sync_playwright

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(engine), port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        for attempt in ("first visit", "second visit"):
            page = browser.new_page(viewport={"width": 1280, "height": 860})
            start = time.perf_counter()
            page.goto(f"http://127.0.0.1:{port}/map")
            page.wait_for_selector(".leaflet-pane path", timeout=60_000)
            drawn = time.perf_counter() - start
            page.wait_for_load_state("networkidle")
            paths = page.locator(".leaflet-pane path").count()
            say(
                f"map page ({attempt}): first features {drawn:.2f} s after navigation, all "
                f"tiles {time.perf_counter() - start:.2f} s, {paths:,} shapes drawn"
            )
            page.close()
        browser.close()
    server.should_exit = True


if __name__ == "__main__":
    main()
