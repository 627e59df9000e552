"""GDAL as a GIS has it (QGIS, ogr2ogr): every driver, in a process of its own.

ims leaves out of its own processes the GDAL drivers it does not use to read uploads or
write its files (decision 0020), the CSV, XLSX and OGC API Features (OAPIF) drivers
among them, and sends GDAL's requests nowhere; the tests run in an ims process. What a
GIS reads of ims's files and of its OGC API is read here, in a Python without ims, its
GDAL_SKIP or its GDAL_HTTP_PROXY.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

_SCRIPT = """
import pickle, sys
import pyogrio
calls, config = pickle.load(open(sys.argv[1], "rb"))
if config:
    pyogrio.set_gdal_config_options(config)
answers = [getattr(pyogrio, name)(*args, **kwargs) for name, args, kwargs in calls]
pickle.dump(answers, open(sys.argv[2], "wb"))
"""


def gis_reads(*calls: tuple[str, tuple[Any, ...], dict[str, Any]], **config: str) -> list[Any]:
    """The answers of ``pyogrio.NAME(*args, **kwargs)`` for each call, with the GDAL
    configuration ``config``, in a GIS's GDAL."""
    env = {k: v for k, v in os.environ.items() if k not in ("GDAL_SKIP", "GDAL_HTTP_PROXY")}
    with tempfile.TemporaryDirectory(prefix="ims-gis-") as tmp:
        asked, answered = Path(tmp) / "calls.pickle", Path(tmp) / "answers.pickle"
        asked.write_bytes(pickle.dumps((list(calls), config)))
        run = subprocess.run(
            [sys.executable, "-c", _SCRIPT, str(asked), str(answered)],
            env=env,
            capture_output=True,
            text=True,
        )
        if run.returncode != 0:
            raise AssertionError(f"GDAL could not read it:\n{run.stderr[-2000:]}")
        return list(pickle.loads(answered.read_bytes()))


def gis_read(name: str, *args: Any, **kwargs: Any) -> Any:
    """One ``pyogrio.NAME(*args, **kwargs)`` in a GIS's GDAL."""
    return gis_reads((name, args, kwargs))[0]
