"""Blueprints (and the resource builders they share) use only what `functions.kit` exports: the
kit's modules may change in any release.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from support.compose import REPO

BLUEPRINT_SOURCES = sorted(
    [
        *(REPO / "functions" / "blueprints").rglob("*.py"),
        *(REPO / "functions" / "resources").rglob("*.py"),
        *(REPO / "examples" / "extending" / "paved_queue").rglob("*.py"),
    ]
)


def kit_internals(source: Path) -> list[str]:
    """`module: name` for every name `source` imports from a module inside `functions.kit`."""
    tree = ast.parse(source.read_text())
    return [
        f"{node.module}: {alias.name}"
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("functions.kit.")
        for alias in node.names
    ]


@pytest.mark.parametrize(
    "source", BLUEPRINT_SOURCES, ids=lambda source: source.relative_to(REPO).as_posix()
)
def test_a_blueprint_imports_only_what_the_kit_exports(source: Path) -> None:
    assert kit_internals(source) == []
