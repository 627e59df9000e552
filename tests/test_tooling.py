"""The checks agree: pre-commit runs the ruff and codespell that scripts/test.sh runs."""

from __future__ import annotations

import re
import tomllib
from importlib.metadata import version

from tests.utils import REPO_ROOT

# Each tool, and the repository of its pre-commit hooks.
HOOK_REPOS = {"ruff": "astral-sh/ruff-pre-commit", "codespell": "codespell-project/codespell"}


def test_pre_commit_hooks_pin_the_versions_the_dev_extras_pin() -> None:
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    pins = dict(pin.split("==") for pin in project["optional-dependencies"]["dev"] if "==" in pin)
    config = (REPO_ROOT / ".pre-commit-config.yaml").read_text()
    for tool, repo in HOOK_REPOS.items():
        found = re.search(rf"repo: https://github\.com/{repo}\n\s+rev: v(\S+)", config)
        assert found, f"no {tool} hooks in .pre-commit-config.yaml"
        assert found.group(1) == pins[tool], f"{tool}: pre-commit and pyproject.toml differ"
        assert version(tool) == pins[tool], f"{tool}: the venv is not the pinned one"
