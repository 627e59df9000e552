"""The layers of docs/design.md §5.1 point one way: a module imports only from below."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# What each layer may import from the project (besides itself). Everything may import
# the package's version (``ims`` itself), ims.errors, ims.config and the utilities below
# every layer: words, files written whole, spreadsheet cells, the heap's bulk work.
ALLOWED = {
    "ims.domain": set(),
    "ims.db": {"ims.domain"},
    "ims.ingest": {"ims.domain", "ims.db"},
    "ims.reports": {"ims.domain", "ims.db", "ims.ingest"},
    "ims.queries": {"ims.domain", "ims.db", "ims.reports", "ims.ingest"},
    # the API hands long work to the job pool (ims/jobs.py), which runs ingest in workers
    "ims.api": {"ims.domain", "ims.db", "ims.ingest", "ims.reports", "ims.queries", "ims.jobs"},
    # the record pages hand their staging to the job pool, as the API does
    "map_ui": {
        "ims.domain",
        "ims.db",
        "ims.ingest",
        "ims.reports",
        "ims.queries",
        "ims.api",
        "ims.jobs",
    },
}
EVERYWHERE = {
    "ims.errors",
    "ims.config",
    "ims.children",
    "ims.resources",
    "ims.words",
    "ims.files",
    "ims.cells",
    "ims.heap",
}


def _layer(module: str) -> str | None:
    return next(
        (layer for layer in ALLOWED if module == layer or module.startswith(layer + ".")), None
    )


def _project_imports(path: Path) -> list[tuple[int, str]]:
    """The project modules a file imports (at any depth: lazy imports count too)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        found += [(node.lineno, n) for n in names if n.split(".")[0] in ("ims", "map_ui")]
    return found


def _modules() -> list[tuple[str, Path]]:
    files = sorted((ROOT / "ims").rglob("*.py")) + sorted((ROOT / "map_ui").glob("*.py"))
    return [(".".join(f.relative_to(ROOT).with_suffix("").parts), f) for f in files]


@pytest.mark.parametrize("layer", sorted(ALLOWED))
def test_a_layer_imports_only_the_layers_below_it(layer: str) -> None:
    wrong = []
    for module, path in _modules():
        if _layer(module) != layer:
            continue
        for line, imported in _project_imports(path):
            allowed = {layer, *ALLOWED[layer], *EVERYWHERE}
            # ``ims`` itself (its version) exactly: as a prefix it had let every module of
            # the project through, and db, ingest and reports had each come to import a
            # layer above them unseen
            below = imported == "ims" or any(
                imported == a or imported.startswith(a + ".") for a in allowed
            )
            if not below:
                wrong.append(f"{path.relative_to(ROOT)}:{line} imports {imported}")
    assert not wrong, "\n".join(wrong)


def test_the_api_never_imports_the_pages() -> None:
    api = [(m, p) for m, p in _modules() if m.startswith("ims.")]
    offenders = [
        f"{p.relative_to(ROOT)}:{line}"
        for m, p in api
        if m != "ims.app"
        for line, imported in _project_imports(p)
        if imported.split(".")[0] == "map_ui"
    ]
    assert offenders == []
