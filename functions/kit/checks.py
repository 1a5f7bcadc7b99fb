"""Checks a blueprint's tests run on every compose: the habits the kit cannot enforce at runtime.

    from functions.kit.checks import assert_well_formed, compose
    assert_well_formed(compose(BLUEPRINT, simulate.request(xr, observed)))

- every composed resource belongs to a stage (`out.add(..., stage="Network")`), so it shows up
  in a `<Stage>Ready` condition and in `status.progress.stage`;
- every resource another one comes `after` has a deletion-order rule: it is used by something
  (`uses=[...]` / `out.uses(...)`, a Usage), or says why its deletion order does not matter
  (`delete_in_any_order="..."`);
- `after`, `uses` and deletion rules name resources that are planned (a typo gates forever);
- the Usages form no cycle (each side of a cycle would wait for the other to be deleted first,
  so deleting the XR would never finish).
"""

from __future__ import annotations

from graphlib import CycleError, TopologicalSorter
from typing import Any

from crossplane.function.proto.v1 import run_function_pb2 as fnv1

from functions.kit.blueprint import Blueprint
from functions.kit.composite import Composite
from functions.kit.desired import Desired


def compose(blueprint: Blueprint[Any], req: fnv1.RunFunctionRequest) -> Desired:
    """Run `blueprint` on `req` and return what it desired, for the checks below."""
    composite = Composite.from_request(req, blueprint.parameters)
    out = Desired(composite)
    blueprint.run(composite, out)
    return out


def problems(out: Desired) -> list[str]:
    """What is wrong with the blueprint's declarations, one line each; [] when well formed."""
    planned = set(out.planned)
    own = [key for key in out.planned if key not in out.kit_keys]
    found = [f"{key}: no stage (out.add(..., stage=...))" for key in own if key not in out.stages]
    used = {rule.used for rule in out.usage_rules}
    depended_on: dict[str, list[str]] = {}
    for key in own:
        for dependency in out.after.get(key, ()):
            if dependency not in planned:
                found.append(f"{key}: comes after {dependency!r}, which is not planned")
            else:
                depended_on.setdefault(dependency, []).append(key)
    for key, users in depended_on.items():
        if key not in used and key not in out.any_delete_order and key not in out.kit_keys:
            found.append(
                f"{key}: {', '.join(sorted(users))} come after it but it has no deletion-order "
                "rule (uses=[...] on a user, or delete_in_any_order='why')"
            )
    for rule in out.usage_rules:
        for side in (rule.user, rule.used):
            if side not in planned:
                found.append(f"{rule.key}: uses names {side!r}, which is not planned")
    for key in out.any_delete_order:
        if key not in planned:
            found.append(f"{key}: delete_in_any_order for a resource that is not planned")
    found += _deletion_cycles(out)
    return found


def _deletion_cycles(out: Desired) -> list[str]:
    """A cycle of Usages, as `a -> b -> a` (each must be deleted before the next), if any."""
    waits_for: dict[str, set[str]] = {}
    for rule in out.usage_rules:
        waits_for.setdefault(rule.used, set()).add(rule.user)
    try:
        tuple(TopologicalSorter(waits_for).static_order())
    except CycleError as error:
        cycle = error.args[1]
        return ["deletion order has a cycle: " + " -> ".join(cycle)]
    return []


def assert_well_formed(out: Desired) -> None:
    """Fail, listing every problem, unless the blueprint's declarations are complete."""
    found = problems(out)
    if found:
        raise AssertionError(
            f"{out.xr.kind} is not well formed:\n" + "\n".join(f"- {p}" for p in found)
        )
