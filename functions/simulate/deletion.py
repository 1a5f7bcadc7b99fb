"""Deleting as Crossplane does, held back by Usages: an XR (every composed resource at once), or
what a reconcile no longer desires (`held_by_usages`).

Crossplane's Usage webhook refuses to delete a resource while a Usage names it in `of`; a Usage
composed with the XR is itself deleted only once its `by` resource is gone (the Usage controller
waits for it, crossplane/crossplane internal/controller/protection/usage/reconciler.go), and with
`replayDeletion` the blocked deletion is retried at once. So deleting an XR goes in waves: each
wave deletes what nothing still uses, until everything is gone or nothing can go (a deadlock).
A Usage whose `of` is not composed here (another XR, e.g. a tenant's host) blocks nothing here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

USAGE_KINDS = ("Usage", "ClusterUsage")


@dataclass(frozen=True)
class Deletion:
    waves: list[list[str]]  # composition resource names, in the order they go
    stuck: list[str]  # what can never be deleted (a cycle of Usages), [] when all goes

    def wave_of(self, key: str) -> int:
        return next(i for i, wave in enumerate(self.waves) if key in wave)


def delete_all(resources: Mapping[str, dict[str, Any]]) -> Deletion:
    """The waves in which Crossplane deletes `resources` (composition resource name -> resource)
    once their XR is deleted."""
    by_name = {(r.get("kind"), r["metadata"]["name"]): key for key, r in resources.items()}

    def ref(usage: dict[str, Any], side: str) -> str | None:
        target = usage.get("spec", {}).get(side) or {}
        name = (target.get("resourceRef") or {}).get("name")
        return by_name.get((target.get("kind"), name))

    usages = {
        key: (ref(r, "of"), ref(r, "by"))
        for key, r in resources.items()
        if r.get("kind") in USAGE_KINDS
    }
    remaining = set(resources)
    waves: list[list[str]] = []
    while remaining:
        in_use = {of for key, (of, _) in usages.items() if key in remaining and of is not None}
        wave = sorted(
            key
            for key in remaining
            if key not in in_use
            and not (key in usages and usages[key][1] in remaining)  # waits for its `by`
        )
        if not wave:
            break
        waves.append(wave)
        remaining -= set(wave)
    return Deletion(waves, sorted(remaining))


def held_by_usages(
    kept: Mapping[str, dict[str, Any]], deleting: Mapping[str, dict[str, Any]]
) -> set[str]:
    """What of `deleting` (no longer desired) the Usage webhook refuses to delete because a Usage
    still composed (`kept`) names it in `of`. The garbage collector removes a decomposed
    resource's composite labels before deleting it, so a decomposed Usage goes at once without
    waiting for its `by` (crossplane/crossplane composition_functions.go,
    DeletingComposedResourceGarbageCollector; the fix of issue 5880)."""
    names = {
        (r.get("kind"), (r.get("metadata") or {}).get("name")): key for key, r in deleting.items()
    }
    held = set()
    for usage in kept.values():
        if usage.get("kind") not in USAGE_KINDS:
            continue
        of = (usage.get("spec") or {}).get("of") or {}
        key = names.get((of.get("kind"), (of.get("resourceRef") or {}).get("name")))
        if key is not None:
            held.add(key)
    return held
