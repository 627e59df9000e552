"""QGIS itself (PyQGIS, Debian's ``python3-qgis``), reading ims as a GIS officer's QGIS does.

QGIS is a C++ program with Python bindings for the system's Python, not a package of
ims's virtual environment: each read runs that Python in a process of its own, headless
(Qt's offscreen platform), and hands back what QGIS saw as JSON. ``scripts/setup.sh
--dev`` installs it.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from pathlib import Path
from typing import Any

# the Pythons QGIS's bindings are built for (Debian's and Ubuntu's own)
PYTHONS = ("/usr/bin/python3",)

_SCRIPT = r"""
import json, os, sys
os.environ["QT_QPA_PLATFORM"] = "offscreen"
from qgis.core import (
    Qgis, QgsApplication, QgsAuthMethodConfig, QgsCoordinateReferenceSystem,
    QgsFeatureRequest, QgsMapRendererParallelJob, QgsMapSettings, QgsRectangle,
    QgsVectorLayer, QgsVectorTileLayer,
)
from qgis.PyQt.QtCore import QEventLoop, QSize
from qgis.PyQt.QtGui import QColor

QgsApplication.setPrefixPath("/usr", True)
app = QgsApplication([], False)
app.initQgis()
asked = json.load(open(sys.argv[1]))
answers = []


def auth_config(user, password):
    # as *Settings > Options > Authentication* keeps one: a Basic configuration
    manager = QgsApplication.authManager()
    manager.setMasterPassword("only-for-this-run", True)
    config = QgsAuthMethodConfig("Basic")
    config.setName("ims")
    config.setConfig("username", user)
    config.setConfig("password", password)
    manager.storeAuthenticationConfig(config)
    return config.id()


for read in asked["reads"]:
    if read["kind"] == "features":
        # a WFS / OGC API - Features connection with its user name and password
        uri = f"url='{read['url']}' typename='{read['layer']}'"
        if read.get("user") is not None:
            uri += f" username='{read['user']}' password='{read['password']}'"
        layer = QgsVectorLayer(uri, read["layer"], "OAPIF")
        answer = {"valid": layer.isValid()}
        if layer.isValid():
            if read.get("subset"):
                layer.setSubsetString(read["subset"])
            request = QgsFeatureRequest()
            if read.get("rect"):
                request.setFilterRect(QgsRectangle(*read["rect"]))
                request.setFlags(QgsFeatureRequest.ExactIntersect)
            answer["fields"] = [[f.name(), f.typeName()] for f in layer.fields()]
            answer["ids"] = [str(f["id"]) for f in layer.getFeatures(request)]
            answer["crs"] = layer.crs().authid()
        answers.append(answer)
    else:
        # a vector tile layer (a generic connection), drawn as the map canvas draws it
        config = auth_config(read["user"], read["password"])
        layer = QgsVectorTileLayer(
            f"type=xyz&url={read['url']}&zmin=0&zmax=16&authcfg={config}", "tiles"
        )
        settings = QgsMapSettings()
        settings.setLayers([layer])
        settings.setDestinationCrs(QgsCoordinateReferenceSystem("EPSG:3857"))
        settings.setExtent(QgsRectangle(*read["extent"]))
        settings.setOutputSize(QSize(300, 300))
        settings.setBackgroundColor(QColor(255, 255, 255))
        job = QgsMapRendererParallelJob(settings)
        loop = QEventLoop()
        job.finished.connect(loop.quit)
        job.start()
        loop.exec_()
        image = job.renderedImage()
        drawn = sum(
            1
            for x in range(0, 300, 2)
            for y in range(0, 300, 2)
            if image.pixel(x, y) & 0xFFFFFF != 0xFFFFFF
        )
        answers.append({"valid": layer.isValid(), "drawn": drawn})
json.dump({"version": Qgis.QGIS_VERSION, "answers": answers}, open(sys.argv[2], "w"))
os._exit(0)  # QGIS's own exit can crash a headless run after its work is done
"""


def qgis_python() -> str:
    """A Python with QGIS's bindings; an AssertionError that says how to get one."""
    for python in PYTHONS:
        if Path(python).exists():
            found = subprocess.run(
                [python, "-c", "import qgis.core"], capture_output=True, env=_env()
            )
            if found.returncode == 0:
                return python
    raise AssertionError("no QGIS here: scripts/setup.sh --dev installs python3-qgis")


def _env() -> dict[str, str]:
    # the system's Python, without the virtual environment's paths
    return {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}


def qgis_reads(*reads: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
    """QGIS's version and what it answered to each read:

    - ``{"kind": "features", "url", "layer", "user", "password", "rect", "subset"}``: the
      layer's validity, its fields and their types, and the ids of its features (within
      ``rect``, exactly, if given);
    - ``{"kind": "tiles", "url", "user", "password", "extent"}``: a vector tile layer drawn
      over ``extent`` (EPSG:3857), as the number of sampled pixels it drew on.
    """
    python = qgis_python()
    with tempfile.TemporaryDirectory(prefix="ims-qgis-") as tmp:
        asked, answered = Path(tmp) / "asked.json", Path(tmp) / "answered.json"
        asked.write_text(json.dumps({"reads": list(reads)}))
        # QGIS keeps its settings and authentication database under the home directory: a
        # throw-away one, so that no run sees another's configurations
        env = {**_env(), "HOME": tmp, "XDG_RUNTIME_DIR": tmp, "QGIS_AUTH_DB_DIR_PATH": tmp}
        run = subprocess.run(
            [python, "-c", _SCRIPT, str(asked), str(answered)],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if run.returncode != 0 or not answered.exists():
            raise AssertionError(f"QGIS could not read it:\n{run.stderr[-3000:]}")
        result = json.loads(answered.read_text())
        return str(result["version"]), list(result["answers"])
