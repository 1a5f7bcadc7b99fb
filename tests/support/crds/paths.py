"""JSON paths in error messages: `spec.forProvider.tags['a/b']`, `items[2]`."""

from __future__ import annotations

import re
from typing import Any

Json = Any
Schema = dict[str, Any]


_SIMPLE_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")


def join_path(path: str, segment: str | int) -> str:
    if isinstance(segment, int):
        return f"{path}[{segment}]"
    if not _SIMPLE_KEY.match(segment):
        return f"{path}[{segment!r}]"
    return f"{path}.{segment}" if path else segment


def display_path(path: str) -> str:
    return path or "<root>"
