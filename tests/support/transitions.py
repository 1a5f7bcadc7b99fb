"""Day-2 transitions: a running XR at steady state, one change to its spec, one more reconcile.

What a transition may do (issue 8): either refuse with one FATAL result naming the changed field
(Crossplane then applies nothing), or compose a new desired state that
- drops no observed composed resource (Crossplane would delete it) unless the change explicitly
  removes it, and
- changes no field that forces a replacement (from the provider-facts oracle) on a resource it
  still composes: upjet refuses such an update and the resource is stuck, and
- changes no reference that will never resolve again (the change would silently not happen).
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from crossplane.function.proto.v1 import run_function_pb2 as fnv1

from functions import simulate
from functions.runner import FunctionRunner
from support.oracle import EXTERNAL_NAME_FIELD, KindFacts, facts_of, field_value

RUNNER = FunctionRunner(cache_bytes=0)


@dataclass(frozen=True)
class Scenario:
    """A running XR: a blueprint in one mode, and the other objects it may require."""

    name: str
    xr: dict[str, Any]
    world: tuple[dict[str, Any], ...] = ()

    @property
    def parameters(self) -> dict[str, Any]:
        return copy.deepcopy(self.xr["spec"]["parameters"])

    def with_parameters(self, parameters: dict[str, Any]) -> dict[str, Any]:
        xr = copy.deepcopy(self.xr)
        xr["spec"]["parameters"] = parameters
        return xr


def steady_state(scenario: Scenario) -> simulate.Round:
    """The last reconcile of a replay: everything composed, observed and Ready."""
    final = _last_round(_freeze(scenario.xr), _freeze(scenario.world))
    assert not final.fatal, f"{scenario.name}: {final.fatal}"
    return final


def composes(scenario: Scenario) -> bool:
    """Whether the scenario's spec composes at all (cross-field checks pass)."""
    return not _last_round(_freeze(scenario.xr), _freeze(scenario.world)).fatal


@functools.lru_cache(maxsize=256)
def _last_round(xr: Any, world: Any) -> simulate.Round:
    return simulate.replay(RUNNER.run, _thaw(xr), world=list(_thaw(world)))[-1]


def reconcile(
    steady: simulate.Round,
    parameters: dict[str, Any],
    world: tuple[dict[str, Any], ...] = (),
    observed: dict[str, simulate.ObservedResource] | None = None,
) -> tuple[fnv1.RunFunctionRequest, fnv1.RunFunctionResponse]:
    """One reconcile of the running XR after its spec.parameters became `parameters`."""
    xr = steady.xr
    xr["spec"]["parameters"] = parameters
    req = simulate.request(xr, steady.observed if observed is None else observed)
    return req, simulate.run_fetching(RUNNER.run, req, list(world))


# -- what changed -------------------------------------------------------------------------------


def changed_paths(before: Any, after: Any, path: str = "") -> set[str]:
    """Leaf paths (`network.zones`, `nodePools[0].instanceTypes`) whose value differs."""
    if isinstance(before, dict) and isinstance(after, dict):
        found: set[str] = set()
        for key in sorted(set(before) | set(after)):
            child = f"{path}.{key}" if path else key
            found |= changed_paths(before.get(key), after.get(key), child)
        return found
    if (
        isinstance(before, list)
        and isinstance(after, list)
        and all(isinstance(i, dict) for i in before + after)
        and len(before) == len(after)
    ):
        found = set()
        for index, (old, new) in enumerate(zip(before, after, strict=True)):
            found |= changed_paths(old, new, f"{path}[{index}]")
        return found
    return set() if before == after else {path}


def _ancestors(path: str) -> Iterator[str]:
    """`a.b[0].c` -> `a.b[0].c`, `a.b[0]`, `a.b`, `a`."""
    while path:
        yield path
        cut = max(path.rfind("."), path.rfind("["))
        path = path[:cut] if cut > 0 else ""


def names_a_changed_field(message: str, changed: set[str]) -> bool:
    return any(f"spec.parameters.{p}" in message for c in changed for p in _ancestors(c))


# -- immutable fields ---------------------------------------------------------------------------


def _reference_fields(leaf: str) -> list[str]:
    """The reference and selector fields that resolve into `leaf` (subnetIds <- subnetIdRefs)."""
    related = [f"{leaf}Ref", f"{leaf}Selector"]
    if leaf.endswith("s"):
        related += [f"{leaf[:-1]}Refs", f"{leaf[:-1]}Selector"]
    return related


def spec_value(resource: dict[str, Any], path: str, facts: KindFacts | None = None) -> Any:
    """An immutable field's value, with the references that set it (by naming convention, and
    those the oracle lists for it, e.g. principalArn <- principalArnFromRoleRef)."""
    value = field_value(resource, path)
    if path == EXTERNAL_NAME_FIELD:
        return value
    parent, _, leaf = path.rpartition(".")
    paths = [f"{parent}.{name}" if parent else name for name in _reference_fields(leaf)]
    if facts is not None:
        paths += [
            reference_path
            for reference in facts.references
            if reference.field == path
            for reference_path in (reference.ref_field, reference.selector_field)
            if reference_path
        ]
    refs = {
        reference_path.rpartition(".")[2]: field_value(resource, reference_path)
        for reference_path in dict.fromkeys(paths)
    }
    refs = {name: ref for name, ref in refs.items() if ref not in (None, [])}
    return (value, refs) if refs else value


# What identifies the external resource besides its name: the region (provider-upjet-aws adds
# `region` to every resource's identifier fields, facts `_common.external_name_kinds.region`) and
# the account, through the ProviderConfig's credentials. Changing either makes the provider look
# for the resource elsewhere and create a new one, the original left running (issue 8.6).
IDENTITY_FIELDS = ("forProvider.region", "providerConfigRef")


def immutable_changes(
    observed: dict[str, Any], desired: dict[str, Any], *, composed_before: bool = False
) -> list[str]:
    """Fields forcing a replacement that `desired` changes on the existing `observed`
    (`composed_before`: an earlier desired state instead, holding only what was composed)."""
    if (observed.get("apiVersion"), observed.get("kind")) != (
        desired.get("apiVersion"),
        desired.get("kind"),
    ):
        return [f"becomes a {desired.get('apiVersion')} {desired.get('kind')}"]
    facts = facts_of(desired)
    if facts is None:
        return []
    observed_for_provider = (observed.get("spec") or {}).get("forProvider") or {}
    changes = []
    for path in IDENTITY_FIELDS:
        old, new = spec_value(observed, path), spec_value(desired, path)
        if old != new:
            changes.append(f"{path} (identity): {old!r} -> {new!r}")
    for immutable in facts.immutable:
        new = spec_value(desired, immutable.path, facts)
        if immutable.path == EXTERNAL_NAME_FIELD and new is None and not composed_before:
            continue  # not set by the composition: the provider's stays
        old = spec_value(observed, immutable.path, facts)
        if immutable.forces_replacement(facts.kind, old, new, observed_for_provider):
            changes.append(f"{immutable.path}: {old!r} -> {new!r}")
    return changes


def forced_replacements(
    before: Mapping[str, dict[str, Any] | simulate.ObservedResource],
    after: Mapping[str, dict[str, Any]],
) -> list[str]:
    """`immutable_changes` from `before` (observed, or an earlier desired state) to `after`, of
    every resource both hold, by key."""
    return [
        f"{after[key].get('kind')} {key!r}: {change}"
        for key, item in sorted(before.items())
        if key in after
        for change in (
            immutable_changes(item.resource, after[key])
            if isinstance(item, simulate.ObservedResource)
            else immutable_changes(item, after[key], composed_before=True)
        )
    ]


def reconcile_until_settled(
    reconcile: Callable[[dict[str, simulate.ObservedResource]], fnv1.RunFunctionResponse],
    observed: dict[str, simulate.ObservedResource],
    may_drop: Callable[[str], bool],
    rounds: int = 5,
) -> fnv1.RunFunctionResponse:
    """Reconcile an applied change until the desired state stops changing, checking every step:
    no FATAL, no field forcing a replacement changed, only what the change removes dropped."""
    for _ in range(rounds):
        rsp = reconcile(observed)
        assert not simulate.fatal_messages(rsp)
        desired = simulate.desired_resources(rsp)
        assert forced_replacements(observed, desired) == []
        dropped = set(observed) - set(desired)
        assert all(may_drop(key) for key in dropped), dropped
        if all(
            key in observed and resource.get("spec") == observed[key].resource.get("spec")
            for key, resource in desired.items()
        ):
            return rsp
        observed = simulate.observe_all(desired)
    raise AssertionError(f"the change never settled in {rounds} reconciles")


# -- references ---------------------------------------------------------------------------------


def _references(node: Any, path: str = "") -> dict[str, Any]:
    """Every `*Ref`, `*Refs` and `*Selector` under `node`, by path."""
    found: dict[str, Any] = {}
    if isinstance(node, dict):
        for key, value in node.items():
            child = f"{path}.{key}" if path else key
            if key.endswith(("Ref", "Refs", "Selector")) and key != "providerConfigRef":
                found[child] = value
            else:
                found.update(_references(value, child))
    elif isinstance(node, list):
        for index, item in enumerate(node):
            found.update(_references(item, f"{path}[{index}]"))
    return found


def _resolves_always(reference: Any) -> bool:
    references = reference if isinstance(reference, list) else [reference]
    return all(
        isinstance(r, dict) and (r.get("policy") or {}).get("resolve") == "Always"
        for r in references
    )


def stale_references(observed: dict[str, Any], desired: dict[str, Any]) -> list[str]:
    """References `desired` changes that the provider will never resolve again: crossplane-runtime
    resolves a reference only while its field is empty, unless `policy.resolve: Always` (facts
    `_common.reference_resolution`)."""
    before = _references((observed.get("spec") or {}).get("forProvider"), "forProvider")
    after = _references((desired.get("spec") or {}).get("forProvider"), "forProvider")
    return [
        f"{path} changes but never re-resolves (no policy.resolve: Always)"
        for path in sorted(set(before) & set(after))
        if before[path] != after[path] and not _resolves_always(after[path])
    ]


# -- judging a transition -----------------------------------------------------------------------

# (observed key, before parameters, after parameters) -> whether the change removes it on purpose
Removal = Callable[[str, dict[str, Any], dict[str, Any]], bool]


@dataclass
class Verdict:
    changed: set[str]
    fatal: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def refused(self) -> bool:
        return bool(self.fatal)


def judge(
    steady: simulate.Round,
    before: dict[str, Any],
    after: dict[str, Any],
    req: fnv1.RunFunctionRequest,
    rsp: fnv1.RunFunctionResponse,
    explicitly_removed: Removal,
) -> Verdict:
    verdict = Verdict(changed_paths(before, after), simulate.fatal_messages(rsp))
    if verdict.fatal:
        if len(verdict.fatal) > 1:
            verdict.problems.append(f"more than one FATAL: {verdict.fatal}")
        if not any(names_a_changed_field(m, verdict.changed) for m in verdict.fatal):
            verdict.problems.append(
                f"the FATAL names none of the changed fields {sorted(verdict.changed)}: "
                f"{verdict.fatal}"
            )
        if rsp.desired != req.desired:
            verdict.problems.append("a refused change still changed the desired state")
        return verdict
    desired = simulate.desired_resources(rsp)
    for key, observed in sorted(steady.observed.items()):
        if key not in desired:
            if not explicitly_removed(key, before, after):
                verdict.problems.append(f"drops observed {observed.resource.get('kind')} {key!r}")
            continue
        for change in immutable_changes(observed.resource, desired[key]) + stale_references(
            observed.resource, desired[key]
        ):
            verdict.problems.append(f"{desired[key].get('kind')} {key!r}: {change}")
    return verdict


def without_status(
    observed: dict[str, simulate.ObservedResource], *keys: str, conditions: bool = True
) -> dict[str, simulate.ObservedResource]:
    """The observed resources as after a restore or adoption: those of `keys` (every one when
    none is given) have no `status.atProvider` yet, and with `conditions=False` no status at all
    (a restore that does not keep the status)."""
    stripped = copy.deepcopy(observed)
    for key in keys or list(stripped):
        resource = stripped[key].resource
        if conditions:
            (resource.get("status") or {}).pop("atProvider", None)
        else:
            resource.pop("status", None)
    return stripped


def _freeze(value: Any) -> Any:
    import json

    return json.dumps(value, sort_keys=True)


def _thaw(value: Any) -> Any:
    import json

    return json.loads(value)
