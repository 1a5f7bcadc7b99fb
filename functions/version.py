"""Paved's one version: `project.version` in pyproject.toml.

Stamped into the packages (the OCI tag and labels, the Configurations' dependency on the
function), the image labels and `paved --version`.
"""

from __future__ import annotations

import tomllib
from importlib import metadata
from pathlib import Path

PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"


def version() -> str:
    """The version in pyproject.toml in a source checkout, else the installed distribution's."""
    if PYPROJECT.is_file():
        project = tomllib.loads(PYPROJECT.read_text()).get("project", {})
        if project.get("name") == "paved" and project.get("version"):
            return str(project["version"])
    return metadata.version("paved")


def tag() -> str:
    """The OCI tag of every Paved package and image: `v` + the version."""
    return f"v{version()}"
