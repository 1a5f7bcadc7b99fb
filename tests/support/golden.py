"""Golden YAML snapshots: `assert_golden("bucket/claim.yaml", documents)`.

Run with PAVED_UPDATE_GOLDEN=1 to (re)write them; review the diff like code.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml

GOLDEN_DIR = Path(__file__).resolve().parent.parent / "golden"


def assert_golden(name: str, documents: list[dict[str, Any]]) -> None:
    path = GOLDEN_DIR / name
    text = yaml.safe_dump_all(documents, sort_keys=True, explicit_start=True, width=100)
    if os.environ.get("PAVED_UPDATE_GOLDEN"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return
    assert path.exists(), f"no golden file {path}: run with PAVED_UPDATE_GOLDEN=1 to create it"
    expected = path.read_text()
    if text != expected:
        raise AssertionError(
            f"{path.name} differs from the golden file {path} (PAVED_UPDATE_GOLDEN=1 rewrites it)\n"
            + _diff(expected, text)
        )


def _diff(expected: str, actual: str) -> str:
    import difflib

    lines = difflib.unified_diff(
        expected.splitlines(), actual.splitlines(), "golden", "actual", lineterm="", n=2
    )
    return "\n".join(list(lines)[:80])
