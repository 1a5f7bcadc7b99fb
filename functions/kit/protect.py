"""Keeping another XR alive: a Usage of a composite this XR does not compose, by one it does.

    protect_composite(
        out,
        "usage-host-by-namespace",
        CompositeRef(host.api_version, "XCluster", host.xr_name),
        by=Used("namespace", KUBERNETES_OBJECT),
        reason="tenant team-a runs in namespace team-a on it",
    )

Deletion order between composed resources is `out.add(..., uses=[...])`; this is for the other
XR a tenant or a database runs on, which must not be deleted from under it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from functions.kit.desired import USAGE, Desired
from functions.kit.shapes import Kind


@dataclass(frozen=True)
class CompositeRef:
    """Another XR: its apiVersion, kind and name (a cluster-scoped XR, or one in this XR's
    namespace)."""

    api_version: str
    kind: str
    name: str


@dataclass(frozen=True)
class Used:
    """The composed resource whose existence keeps the other XR: its key and kind."""

    key: str
    kind: Kind


def protect_composite(
    out: Desired,
    key: str,
    of: CompositeRef,
    *,
    by: Used,
    reason: str,
    after: Iterable[str] = (),
) -> None:
    """Compose the Usage `key`: `of` cannot be deleted while `by` exists.

    Like the kit's own Usages it belongs to no stage.
    """
    xr = out.xr

    def usage() -> dict[str, Any]:  # built only once it is emitted
        return xr.shape.plain(
            USAGE,
            xr.resource_name(key),
            {
                "spec": {
                    "of": {
                        "apiVersion": of.api_version,
                        "kind": of.kind,
                        "resourceRef": {"name": of.name},
                    },
                    "by": {
                        "apiVersion": xr.shape.api_version(by.kind),
                        "kind": xr.shape.kind_name(by.kind),
                        "resourceRef": {"name": xr.resource_name(by.key)},
                    },
                    "reason": reason,
                }
            },
        )

    out.kit_keys.add(key)
    out.add(key, usage, after=after)
