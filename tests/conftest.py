"""Test-suite wide settings: markers, and blueprint bugs that are known and being fixed.

Run the fast suite locally with `python -m pytest -m "not slow"`; CI runs everything.
"""

from __future__ import annotations

import pytest

# Tests that fail because of a blueprint bug of issue 8 fixed on another branch: expected to fail
# until that fix lands (not strict, so the fix turns them green without touching this list).
# Delete an entry once its fix is merged.
KNOWN_BLUEPRINT_BUGS: dict[str, str] = {}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "slow: long-running (property-based, load); deselect with -m 'not slow'"
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        reason = KNOWN_BLUEPRINT_BUGS.get(item.nodeid)
        if reason:
            item.add_marker(pytest.mark.xfail(strict=False, reason=reason))
