"""Deletion order: a Crossplane Usage blocks deleting `of` for as long as `by` exists."""

from __future__ import annotations

from typing import Any

from functions.kit import Composite, Kind
from functions.resources.kinds import USAGE

# A composed resource: its kind and composition resource name.
Use = tuple[Kind, str]


def usage(xr: Composite[Any], key: str, of: Use, by: Use) -> dict[str, Any]:
    def ref(use: Use) -> dict[str, Any]:
        kind, resource_key = use
        return {
            "apiVersion": xr.shape.api_version(kind),
            "kind": xr.shape.kind_name(kind),
            "resourceRef": {"name": xr.resource_name(resource_key)},
        }

    return xr.shape.plain(
        USAGE,
        xr.resource_name(key),
        # replayDeletion: once `by` is gone, `of`'s blocked deletion is retried at once instead
        # of after the garbage collector's back-off.
        {"spec": {"of": ref(of), "by": ref(by), "replayDeletion": True}},
    )
