"""Benchmark: vector tiles today and at two earlier dates, and the map's date change in Chromium.

Run by hand after bench/accounting.py (it reuses that database, ``ims_bench``, with its
generated national programme; the schema is migrated to the latest first):

    .venv/bin/python bench/accounting.py --hazards 20000      # once: the data set
    .venv/bin/python bench/tiles.py                           # tiles through the API
    .venv/bin/python bench/tiles.py --browser                 # and the map in Chromium
    .venv/bin/python bench/tiles.py --database ims_bench_100k # another data set

It starts ``ims serve`` on a loopback port (a process of its own, as in production; its log
in bench/out/), waits until its warming thread has computed the answers read first (as on a
server that has been up a while: 2 s on a national database, and tiles asked for meanwhile
share the two cores with it) and asks for tiles over HTTP, signed in with an API token,
over the province with the most remaining area, for today and for two earlier dates
(31 December five years before the latest event, 30 June two years before it). For each
date it prints:

- the first tile of the date, per layer: the first request of that layer for that date
  (provinces first, then hazards, then releases), which pays for whatever a date costs
  once; the provinces' one is the province layer's first tile;
- per zoom 6–14, the p50/p95/max of the first view (every sampled tile of the three layers
  requested once; up to ``--samples`` tiles per layer, over the whole country below zoom 9)
  and of the same tiles viewed again, with the p95 of each layer (ad[min1], ha[zards],
  re[leases]) viewed again.

``--browser`` then times the national map in headless Chromium (Debian's ``chromium``, as
the browser tests drive it) on the demo programme (``--browser-hazards``, default 3,000, as
``ims demo`` makes; kept in a database of its own, ``ims_bench_demo``, made on the first
run): the first draw after navigation, then each change of the date input until the map
shows every tile of the new date (``#map[data-shown]``, which map.js sets once all its
layers have loaded) and until the figures box shows it, with the requests the change made.
``--browser-database ims_bench`` times the same on the larger data set; ``--no-tiles``
skips the tiles through the API.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import math
import random
import shutil
import statistics
import time

import httpx
from served import OUT, PASSWORD, database, ims_serve, say, user
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from ims.config import configure_logging
from ims.domain.enums import Role

USER = "bench-tiles"
LAYERS = ("admin1", "hazards", "releases")
ZOOMS = range(6, 15)
DEMO_DATABASE = "ims_bench_demo"


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


def tiles_through_the_api(name: str, samples: int, seed: int) -> None:
    """Tile latencies today and at two earlier dates, first view and again."""
    owner_url, owner, app = database(name)
    with owner.connect() as conn:
        hazards = conn.scalar(text("SELECT count(*) FROM hazard"))
        province, x0, y0, x1, y1 = conn.execute(
            text(
                "SELECT a.name, ST_XMin(a.geom), ST_YMin(a.geom), ST_XMax(a.geom), "
                "ST_YMax(a.geom) FROM admin_area a JOIN ledger_piece p ON p.admin_id = a.id "
                "WHERE a.level = 1 GROUP BY a.id ORDER BY SUM(p.area_m2) DESC LIMIT 1"
            )
        ).one()
        latest = conn.scalar(text('SELECT max("on") FROM ledger_entry'))
        country = tuple(
            conn.execute(
                text(
                    "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM "
                    "(SELECT ST_Extent(geom)::geometry AS e FROM admin_area WHERE level = 1) a"
                )
            ).one()
        )
    bounds = (x0, y0, x1, y1)
    say(f"{hazards:,} hazards; tiles over {province} ({x0:.2f}–{x1:.2f}°E, {y0:.2f}–{y1:.2f}°N)")
    token = user(app, USER, Role.ADMIN)
    owner.dispose()
    app.dispose()
    rng = random.Random(seed)
    cells_at = {}
    for z in ZOOMS:
        # national views over the whole country, closer ones over the province
        xs, ys = tile_range(country if z < 9 else bounds, z)
        cells = [(x, y) for x in xs for y in ys]
        cells_at[z] = cells if len(cells) <= samples else rng.sample(cells, samples)
    # the first tile of a date: the one over the province's centre, at a zoom the layer shows
    centre = ((x0 + x1) / 2, (y0 + y1) / 2, (x0 + x1) / 2, (y0 + y1) / 2)
    first_zoom = {"admin1": 7, "hazards": 8, "releases": 12}
    dates = (
        (None, "today"),
        (dt.date(latest.year - 5, 12, 31), "five years before"),
        (dt.date(latest.year - 2, 6, 30), "two years before"),
    )
    summary: list[str] = []
    sizes: list[int] = []
    with (
        ims_serve(owner_url, OUT / "tiles-server.log", warmed=True) as url,
        httpx.Client(
            base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=120
        ) as client,
    ):

        def get(layer: str, z: int, x: int, y: int, params: dict[str, str]) -> float:
            start = time.perf_counter()
            response = client.get(f"/api/v1/tiles/{layer}/{z}/{x}/{y}.pbf", params=params)
            elapsed = (time.perf_counter() - start) * 1000
            assert response.status_code == 200, response.text
            sizes.append(len(response.content))
            return elapsed

        # A server that has been up a while: its answers read first computed (``warmed``),
        # its connections made, PostGIS loaded in them (a tile of a year before anything
        # was recorded, far from the country).
        for layer in LAYERS:
            client.get(f"/api/v1/tiles/{layer}/3/0/0.pbf", params={"as_of": "1900-01-01"})
        for as_of, label in dates:
            params = {"as_of": as_of.isoformat()} if as_of else {}
            say(f"-- {label} ({as_of or 'today'})")
            firsts = []
            for layer in LAYERS:
                z = first_zoom[layer]
                xs, ys = tile_range(centre, z)
                firsts.append(f"{layer} {get(layer, z, xs[0], ys[0], params):.0f} ms")
            say("first tile of the date: " + ", ".join(firsts))
            say(
                f"{'zoom':>4} {'tiles':>5} {'first view p50/p95/max ms':>25} "
                f"{'again p50/p95/max ms':>21}   {'p95 again per layer':>20} {'KB avg':>6}"
            )
            cold_all: list[float] = []
            warm_all: list[float] = []
            worst_warm = 0.0
            for z in ZOOMS:
                sizes.clear()
                cold = [get(layer, z, x, y, params) for layer in LAYERS for x, y in cells_at[z]]
                kb = statistics.mean(sizes) / 1024
                by_layer = {
                    layer: [get(layer, z, x, y, params) for x, y in cells_at[z]] for layer in LAYERS
                }
                warm = [t for times in by_layer.values() for t in times]
                cold_all += cold
                warm_all += warm
                worst_warm = max(worst_warm, percentile(warm, 0.95))
                layers = " ".join(
                    f"{layer[:2]} {percentile(times, 0.95):>4.0f}"
                    for layer, times in by_layer.items()
                )
                say(
                    f"{z:>4} {len(cold):>5} {statistics.median(cold):>9.1f} "
                    f"{percentile(cold, 0.95):>7.1f} {max(cold):>7.1f} "
                    f"{statistics.median(warm):>7.1f} {percentile(warm, 0.95):>6.1f} "
                    f"{max(warm):>6.1f}   {layers} {kb:>6.1f}"
                )
            summary.append(
                f"{label:>17}: first view p50 {statistics.median(cold_all):.1f} ms, p95 "
                f"{percentile(cold_all, 0.95):.1f} ms; again p50 "
                f"{statistics.median(warm_all):.1f} ms, p95 {percentile(warm_all, 0.95):.1f} "
                f"ms (worst zoom p95 {worst_warm:.1f} ms); first tiles: {', '.join(firsts)}"
            )
    say("-- summary, zooms 6–14, all three layers")
    for line in summary:
        say(line)


def demo_database(hazards: int) -> tuple[str, Engine, Engine]:
    """The demo programme in a database of its own, loaded on the first run."""
    from ims.sample.demo import load_demo

    owner_url, owner, app = database(DEMO_DATABASE)
    with Session(app) as session, session.begin():
        t = time.perf_counter()
        loaded = load_demo(session, hazards=hazards)
        if not loaded.already_loaded:
            say(f"{DEMO_DATABASE}: demo programme loaded in {time.perf_counter() - t:.0f} s")
    return owner_url, owner, app


def map_in_browser(name: str | None, hazards_wanted: int) -> None:
    """Time the national map in headless Chromium: first draw, then each date change."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        say("map in the browser: not timed (no chromium; scripts/setup.sh --dev installs it)")
        return
    from playwright.sync_api import sync_playwright

    owner_url, owner, app = database(name) if name else demo_database(hazards_wanted)
    user(app, USER, Role.ADMIN)  # made with its password on the first run
    with owner.connect() as conn:
        hazards = conn.scalar(text("SELECT count(*) FROM hazard"))
        latest = conn.scalar(text('SELECT max("on") FROM ledger_entry'))
    owner.dispose()
    app.dispose()
    earlier = dt.date(latest.year - 5, 12, 31).isoformat()
    dates = [
        earlier,
        dt.date(latest.year - 2, 6, 30).isoformat(),
        dt.date.today().isoformat(),
        earlier,  # again: a date seen before
        dt.date(latest.year - 8, 3, 15).isoformat(),
    ]
    with ims_serve(owner_url, OUT / "map-server.log") as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        context = browser.new_context(viewport={"width": 1280, "height": 860})
        page = context.new_page()
        page.goto(f"{url}/login", wait_until="networkidle")
        page.fill("#username", USER)
        page.fill("#password", PASSWORD)
        page.click("form.login button[type=submit]")
        page.wait_for_load_state("networkidle")
        requests: list[str] = []
        page.on("request", lambda r: requests.append(r.url))
        say(f"-- the national map in Chromium, {hazards:,} hazards, 1280×860")
        start = time.perf_counter()
        page.goto(f"{url}/map")
        page.wait_for_selector("#map[data-shown]", state="attached", timeout=60_000)
        page.wait_for_selector("#map:not([data-loading])", state="attached")
        drawn = time.perf_counter() - start
        page.wait_for_load_state("networkidle")
        say(
            f"first draw: {drawn:.2f} s after navigation, "
            f"{sum('/api/v1/tiles/' in r for r in requests)} tile requests"
        )
        say(f"{'date':>10} {'tiles drawn s':>14} {'figures s':>10} {'requests':>9} {'tiles':>6}")
        for date in dates:
            requests.clear()
            start = time.perf_counter()
            page.fill("#as-of", date)  # as a person typing it: "input", then "change"
            page.dispatch_event("#as-of", "change")
            page.wait_for_selector(f'#map[data-shown="{date}"]', state="attached", timeout=60_000)
            page.wait_for_selector("#map:not([data-loading])", state="attached")
            drawn = time.perf_counter() - start
            page.wait_for_selector(
                f'#map-figures[data-as-of="{date}"]', state="attached", timeout=60_000
            )
            figures = time.perf_counter() - start
            page.wait_for_load_state("networkidle")
            tiles = sum("/api/v1/tiles/" in r for r in requests)
            say(f"{date:>10} {drawn:>14.2f} {figures:>10.2f} {len(requests):>9} {tiles:>6}")
        browser.close()


def main() -> None:
    """Run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="ims_bench")
    parser.add_argument("--samples", type=int, default=40, help="tiles per zoom and layer")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-tiles", action="store_true", help="skip the tiles through the API")
    parser.add_argument("--browser", action="store_true", help="time the map in Chromium")
    parser.add_argument(
        "--browser-database", default=None, help=f"default: the demo, in {DEMO_DATABASE}"
    )
    parser.add_argument("--browser-hazards", type=int, default=3000)
    args = parser.parse_args()
    configure_logging("WARNING")
    logging.getLogger("ims").setLevel(logging.WARNING)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    if not args.no_tiles:
        tiles_through_the_api(args.database, args.samples, args.seed)
    if args.browser:
        map_in_browser(args.browser_database, args.browser_hazards)


if __name__ == "__main__":
    main()
