"""The checks agree: pre-commit runs the ruff and codespell that scripts/test.sh runs; the
scripts do what they say."""

from __future__ import annotations

import re
import shutil
import subprocess
import tomllib
from importlib.metadata import version
from pathlib import Path

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


def test_asking_the_demo_script_for_help_installs_nothing(tmp_path: Path) -> None:
    """`scripts/demo.sh --help` ran the set-up first (apt-get, a venv, pip) on a bare
    machine, to print its usage (a new user's review)."""
    (tmp_path / "scripts").mkdir()
    shutil.copy(REPO_ROOT / "scripts" / "demo.sh", tmp_path / "scripts" / "demo.sh")
    # a set-up that would say so, were it run
    setup = tmp_path / "scripts" / "setup.sh"
    setup.write_text("#!/usr/bin/env bash\necho SET-UP RAN\nexit 1\n")
    setup.chmod(0o755)
    said = subprocess.run(
        ["bash", str(tmp_path / "scripts" / "demo.sh"), "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert said.stdout.startswith("usage: scripts/demo.sh")
    assert "SET-UP RAN" not in said.stdout and not (tmp_path / ".venv").exists()
