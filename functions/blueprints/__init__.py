"""The blueprints Paved serves, by XR kind: the built-in ones and every installed plugin.

A plugin is any installed distribution that registers a `Blueprint` under the `paved.blueprints`
entry point group, e.g. in its pyproject.toml:

    [project.entry-points."paved.blueprints"]
    xqueue = "paved_queue:BLUEPRINT"
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points
from typing import Any

from functions.blueprints import bucket, cluster, database
from functions.kit import Blueprint

ENTRY_POINT_GROUP = "paved.blueprints"
BUILTIN = "paved (built-in)"

BUILTINS: tuple[Blueprint[Any], ...] = (bucket.BLUEPRINT, cluster.BLUEPRINT, database.BLUEPRINT)


class PluginError(Exception):
    """A plugin blueprint cannot be served; raised at start, before anything is served."""


@dataclass(frozen=True)
class Registered:
    blueprint: Blueprint[Any]
    source: str  # BUILTIN, or "<distribution> (<entry point name>)"


def discover(plugins: Iterable[EntryPoint] | None = None) -> dict[str, Registered]:
    """Every blueprint by XR kind: the built-ins, then the plugins in entry point name order."""
    registry = {b.kind: Registered(b, BUILTIN) for b in BUILTINS}
    # XR and claim kinds share one namespace: a claim kind may not shadow any other kind.
    taken = {name: BUILTIN for b in BUILTINS for name in (b.kind, b.claim_kind)}
    if plugins is None:
        plugins = entry_points(group=ENTRY_POINT_GROUP)
    for entry in sorted(plugins, key=lambda e: (e.name, e.value)):
        source = f"{entry.dist.name if entry.dist else entry.value} ({entry.name})"
        try:
            blueprint = entry.load()
        except Exception as error:  # a broken plugin is reported in one line, not a traceback
            raise PluginError(
                f"plugin {source}: cannot load {entry.value}: {type(error).__name__}: {error}"
            ) from error
        if not isinstance(blueprint, Blueprint):
            raise PluginError(
                f"plugin {source}: {entry.value} is a {type(blueprint).__name__}, not a Blueprint"
            )
        for name in (blueprint.kind, blueprint.claim_kind):
            if name in taken:
                raise PluginError(
                    f"plugin {source}: kind {name} is already served by {taken[name]}; "
                    "rename the plugin's kind"
                )
            taken[name] = source
        registry[blueprint.kind] = Registered(blueprint, source)
    return registry


REGISTRY = discover()
BLUEPRINTS: dict[str, Blueprint[Any]] = {kind: r.blueprint for kind, r in REGISTRY.items()}
