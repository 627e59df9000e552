"""The users of bench/load.py: people browsing ims while an upload is being approved.

Run by bench/load.py (which starts ims, signs the users in and passes what they need in
the environment); not on its own. Each simulated user, between one and three seconds
apart, does one of:

- look at the national map (weight 6): a 3×2 block of tiles at a zoom from 6 to 14 over a
  random point of the country, on today or one of four earlier dates, each layer the map
  shows at that zoom (hazards and provinces; released land from zoom 11);
- open a hazard's page (weight 2);
- open the hazard register (weight 1): its first page today, on an earlier date, or of
  one province;
- open a national page (weight 2): the dashboard, the map page, or the map's figures for a
  date;
- open the reports page and download the Article 7 tables as JSON, XLSX or PDF (weight 1).

Requests are named by kind (``tile hazards past``, ``page /hazards/{reference}``…) so that
bench/load.py can report each kind's percentiles; every response time is also written to
``IMS_LOAD_TIMES`` (name, milliseconds, failed) for the percentiles of tiles and pages as
a whole.
"""

from __future__ import annotations

import csv
import itertools
import json
import math
import os
import random
from typing import Any
from urllib.parse import quote

from locust import HttpUser, between, events, task

SETTINGS: dict[str, Any] = json.loads(os.environ.get("IMS_LOAD_SETTINGS", "{}"))
_tokens = itertools.cycle(SETTINGS.get("tokens", [""]))
_times: list[tuple[str, float, int]] = []


@events.request.add_listener
def _timed(name: str, response_time: float, exception: Any, **_kw: Any) -> None:
    _times.append((name, response_time, int(exception is not None)))


@events.quitting.add_listener
def _write_times(**_kw: Any) -> None:
    path = os.environ.get("IMS_LOAD_TIMES")
    if path:
        with open(path, "w", newline="") as file:
            csv.writer(file).writerows(_times)


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    """The tile holding a point at zoom z."""
    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


class Person(HttpUser):
    """Someone at a national authority with ims open in a browser."""

    wait_time = between(1, 3)

    def on_start(self) -> None:
        """Signed in with an API token of a user of their own."""
        self.client.headers["Authorization"] = f"Bearer {next(_tokens)}"
        self.rng = random.Random()

    @task(6)
    def map_view(self) -> None:
        """A view of the national map at some zoom and date."""
        x0, y0, x1, y1 = SETTINGS["bounds"]
        z = self.rng.randint(6, 14)
        lon, lat = self.rng.uniform(x0, x1), self.rng.uniform(y0, y1)
        date = self.rng.choice([None, *SETTINGS["dates"]])
        params = {"as_of": date} if date else {}
        when = "past" if date else "today"
        tx, ty = tile_of(lon, lat, z)
        layers = ["admin1", "hazards"] + (["releases"] if z >= 11 else [])
        for layer in layers:
            for dx in range(3):
                for dy in range(2):
                    self.client.get(
                        f"/api/v1/tiles/{layer}/{z}/{tx + dx}/{ty + dy}.pbf",
                        params=params,
                        name=f"tile {layer} {when}",
                    )

    @task(2)
    def hazard_page(self) -> None:
        """A hazard's page."""
        reference = self.rng.choice(SETTINGS["references"])
        self.client.get(f"/hazards/{quote(reference, safe='')}", name="page /hazards/{reference}")

    @task(1)
    def register(self) -> None:
        """The register's first page: today, on an earlier date, or of one province."""
        choice = self.rng.randrange(3)
        if choice == 0:
            params = {}
        elif choice == 1:
            params = {"as_of": self.rng.choice(SETTINGS["dates"])}
        else:
            params = {"admin": self.rng.choice(SETTINGS["provinces"])}
        self.client.get("/hazards", params=params, name="page /hazards (register)")

    @task(2)
    def national_page(self) -> None:
        """The dashboard, the map page, or the map's figures for a date."""
        choice = self.rng.randrange(3)
        if choice == 0:
            self.client.get("/", name="page / (dashboard)")
        elif choice == 1:
            self.client.get("/map", name="page /map")
        else:
            date = self.rng.choice(SETTINGS["dates"])
            self.client.get("/map/figures", params={"as_of": date}, name="page /map/figures")

    @task(1)
    def reports(self) -> None:
        """The reports page, then one of its downloads of the Article 7 tables."""
        year = SETTINGS["year"]
        self.client.get("/reports", params={"year": year}, name="page /reports")
        fmt = self.rng.choice(["json", "xlsx", "pdf"])
        self.client.get(
            "/api/v1/reports/article7",
            params={"year": year, "level": 1, "format": fmt},
            name=f"download article7 {fmt}",
        )
