"""The desired state a blueprint builds: resources in stage order, status, conditions, connection.

A blueprint adds each resource with one line:

    out.add("bucket", lambda: bucket(xr), stage="Storage", after=["kms-key"], uses=["kms-key"])

Rules enforced here so no blueprint can get them wrong:
- a resource gated on others (`after`) is emitted once they are ready, and *always* once it has
  been observed, whatever its gates say now (dropping it would make Crossplane delete it);
- a builder (a zero-argument callable instead of the resource) runs only when its resource is
  emitted, so it can rely on what its gates produced and nothing discarded is built;
- each emitted resource is marked ready from its observed state;
- `stage` groups resources: each stage gets a `<Stage>Ready` condition and `status.progress.stage`
  names the first stage not ready yet;
- deletion order is declared, not hand-built: `uses=[...]` (or `out.uses(user, used)`) composes a
  Crossplane Usage (ClusterUsage in claim mode) once both sides are Ready, so `used` outlives its
  user; `delete_in_any_order="why"` says a resource needs none (`functions.kit.checks` fails a
  blueprint whose depended-on resources have neither);
- an observed resource the blueprint no longer plans is *kept* (re-emitted as observed) with a
  Warning and an entry in `status.progress.kept`; only an explicit `out.remove(key, reason)` (or
  `out.remove_unplanned(predicate, reason)`) lets Crossplane delete it;
- `status.progress` counts every planned resource, emitted or still gated, with what each waits for;
- the XR is held not-ready while anything planned is not yet emitted, so it cannot report Ready
  between two stages.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple

from pydantic import BaseModel

from functions.kit.composite import Composite
from functions.kit.shapes import Kind
from functions.kit.status import Kept, Progress, WaitingFor, dump

SECRET = Kind("Secret", "v1", "v1")
# Crossplane deletion ordering: ClusterUsage for cluster-scoped XRs, Usage in the XR's namespace.
USAGE = Kind(
    "ClusterUsage",
    "protection.crossplane.io/v1beta1",
    "protection.crossplane.io/v1beta1",
    namespaced_kind="Usage",
)
CONNECTION_SECRET_KEY = "connection-secret"

Severity = Literal["Normal", "Warning"]
Resource = dict[str, Any]
Builder = Callable[[], Resource]


@dataclass(frozen=True)
class Condition:
    type: str
    status: Literal["True", "False", "Unknown"]
    reason: str
    message: str = ""


@dataclass(frozen=True)
class Requirement:
    api_version: str
    kind: str
    match_name: str
    namespace: str | None = None


class DesiredResource:
    """A composed resource and whether it is ready.

    The kit's own Usages are built only when read: their content is a function of a few names
    (`fingerprint`), so the server serializes each once per fingerprint, not once per compose.
    """

    __slots__ = ("_build", "_resource", "fingerprint", "ready")

    def __init__(
        self,
        resource: Resource | None,
        ready: bool,
        *,
        build: Builder | None = None,
        fingerprint: tuple[Any, ...] | None = None,
    ) -> None:
        self._resource = resource
        self._build = build
        self.ready = ready
        self.fingerprint = fingerprint

    @property
    def resource(self) -> Resource:
        resource = self._resource
        if resource is None:
            assert self._build is not None
            resource = self._resource = self._build()
        return resource

    def __repr__(self) -> str:
        return f"DesiredResource(resource={self.resource!r}, ready={self.ready!r})"


class UsageRule(NamedTuple):
    """`user` must be deleted before `used`: composed as the Usage named `key`."""

    key: str
    user: str
    used: str


@dataclass
class Desired:
    """What a blueprint composes: planned resources, status, conditions, connection details."""

    xr: Composite[Any]
    resources: dict[str, DesiredResource] = field(default_factory=dict)
    waiting: dict[str, str] = field(default_factory=dict)
    planned: list[str] = field(default_factory=list)
    xr_status: dict[str, Any] = field(default_factory=dict)
    conditions: list[Condition] = field(default_factory=list)
    connection_details: dict[str, bytes] = field(default_factory=dict)
    requirements: dict[str, Requirement] = field(default_factory=dict)
    results: list[tuple[Severity, str]] = field(default_factory=list)
    held: str | None = None
    # What the blueprint declared, for stage conditions, deletion order and the kit's checks.
    stages: dict[str, str] = field(default_factory=dict)
    after: dict[str, tuple[str, ...]] = field(default_factory=dict)
    usage_rules: list[UsageRule] = field(default_factory=list)
    any_delete_order: dict[str, str] = field(default_factory=dict)
    removals: dict[str, str] = field(default_factory=dict)
    removable: list[tuple[Callable[[str], bool], str]] = field(default_factory=list)
    kept: dict[str, str] = field(default_factory=dict)
    # Resources the kit composed itself (Usages, the connection secret, kept ones): no stage.
    kit_keys: set[str] = field(default_factory=set)
    _planned_set: set[str] = field(default_factory=set, init=False, repr=False)

    # -- resources ---------------------------------------------------------------------------

    def add(
        self,
        key: str,
        resource: Resource | Builder,
        *,
        after: Iterable[str] = (),
        stage: str | None = None,
        uses: Iterable[str] = (),
        delete_in_any_order: str | None = None,
    ) -> bool:
        """Plan `resource` as composition resource `key`, emitted once all of `after` are ready.

        `resource` may be a builder (zero-argument callable) run only if it is emitted (once
        observed it is emitted even while a gate is not ready again, so a builder reads its
        gates' outputs from observed state and copes with them being absent). `stage`
        names the stage it belongs to (`<stage>Ready` condition); `uses` the resources that must
        outlive it (a Usage each); `delete_in_any_order` why none is needed when others depend
        on it. Returns whether it was emitted.
        """
        planned = self._planned_set
        if key in planned:
            raise ValueError(f"composition resource name {key!r} is used twice")
        if key in self.removals:
            raise ValueError(f"composition resource {key!r} is both added and removed")
        self.planned.append(key)
        planned.add(key)
        after = tuple(after)
        self.after[key] = after
        if stage is not None:
            self.stages[key] = stage
        for used in uses:
            self.uses(key, used)
        if delete_in_any_order is not None:
            self.any_delete_order[key] = delete_in_any_order
        return self._emit(key, resource, after)

    def _emit(self, key: str, resource: Resource | Builder, after: tuple[str, ...]) -> bool:
        """Emit planned `key` if it is observed or everything in `after` is ready."""
        ready = self._gate(key, after)
        if ready is None:
            return False
        self.resources[key] = DesiredResource(resource() if callable(resource) else resource, ready)
        return True

    def _gate(self, key: str, after: tuple[str, ...]) -> bool | None:
        """None while planned `key` waits for `after`, else whether it is ready (what it waits
        for, or why it is not ready, goes into `waiting`)."""
        observed_resources = self.xr.observed
        observed = observed_resources.get(key)
        if observed is None:
            if after:
                is_ready = observed_resources.is_ready
                blockers = [dep for dep in after if not is_ready(dep)]
                if blockers:
                    self.waiting[key] = _waiting_for(blockers)
                    return None
            self.waiting[key] = "being created"
            return False
        if observed.ready:
            return True
        self.waiting[key] = observed.not_ready_reason()
        return False

    def uses(self, user: str, used: str, *, key: str | None = None) -> None:
        """Deletion order: `used` is not deleted while `user` exists.

        The kit composes a Usage (`key`, default `usage-<used>-by-<user>`) once both are Ready.
        """
        self.usage_rules.append(UsageRule(key or f"usage-{used}-by-{user}", user, used))

    def delete_in_any_order(self, key: str, why: str) -> None:
        """Declare that `key` needs no deletion order although others come after it, and why."""
        self.any_delete_order[key] = why

    def remove(self, key: str, reason: str) -> None:
        """Let Crossplane delete observed resource `key` (e.g. a node pool the developer removed).

        Without this, an observed resource the blueprint no longer plans is kept.
        """
        if key in self._planned_set:
            raise ValueError(f"composition resource {key!r} is both added and removed")
        self.removals[key] = reason

    def remove_unplanned(self, predicate: Callable[[str], bool], reason: str) -> None:
        """Remove every observed resource matching `predicate` that is no longer planned.

        E.g. the node groups of pools no longer listed: `lambda key: key.startswith("nodes-")`.
        """
        self.removable.append((predicate, reason))

    def hold(self, reason: str) -> None:
        """Compose nothing new: re-emit every observed resource as it is, and hold the XR not ready.

        For a blueprint that cannot decide what to compose yet (e.g. it waits for another XR):
        dropping what exists would make Crossplane delete it.
        """
        self.held = reason
        for key in sorted(self.xr.observed):
            # The connection secret is the kit's own, written afresh by finish().
            if key not in self._planned_set and key != CONNECTION_SECRET_KEY:
                self.kit_keys.add(key)
                self.add(key, self.xr.observed[key].as_desired())
        self.note(reason)

    def is_ready(self, key: str) -> bool:
        """Whether composition resource `key` is observed and ready."""
        return self.xr.observed.is_ready(key)

    def status(self, **fields: Any) -> None:
        """Merge fields into the XR's status (values that are None are left out)."""
        for name, value in fields.items():
            if value is not None:
                self.xr_status[name] = value

    def status_model(self, model: BaseModel) -> None:
        """Merge a status model into the XR's status, by alias, leaving out unknown fields.

        `out.status_model(BucketStatus(bucket=BucketInfo(name=..., arn=...)))`
        """
        self.xr_status.update(dump(model))

    def condition(self, type_: str, ok: bool, reason: str, message: str = "") -> None:
        self.conditions.append(Condition(type_, "True" if ok else "False", reason, message))

    def connection(self, **details: str | bytes | None) -> None:
        """Connection details for the XR; values that are None (not known yet) are left out.

        A value that is neither text nor bytes (an odd observed value passed on) is left out too,
        with a warning: a connection secret holds strings.
        """
        for key, value in details.items():
            if value is None:
                continue
            if isinstance(value, str):
                self.connection_details[key] = value.encode()
            elif isinstance(value, bytes):
                self.connection_details[key] = value
            elif isinstance(value, int | float) and not isinstance(value, bool):
                self.connection_details[key] = str(value).encode()
            else:
                self.warning(
                    f"connection detail {key!r} is {type(value).__name__}, not text; left out"
                )

    def require(
        self, name: str, api_version: str, kind: str, match_name: str, namespace: str | None = None
    ) -> list[dict[str, Any]] | None:
        """Ask Crossplane for a resource; returns what it resolved, or None until it has."""
        self.requirements[name] = Requirement(api_version, kind, match_name, namespace)
        return self.xr.required.get(name)

    def note(self, message: str) -> None:
        """A Normal event on the XR: something the developer should know, not a failure."""
        self.results.append(("Normal", message))

    def warning(self, message: str) -> None:
        self.results.append(("Warning", message))

    # -- finishing ---------------------------------------------------------------------------

    def finish(self) -> None:
        """Add what every blueprint gets: Usages, kept resources, conditions, status.progress.

        Also the namespaced connection secret and warnings about odd observed values.
        """
        self._add_usages()
        self._keep_unplanned()
        if self.xr.shape.namespaced:
            self._add_connection_secret()
            self.xr_status["connectionSecret"] = connection_secret_name(self.xr.name)
        waiting_by_stage = self._waiting_by_stage()
        self._stage_conditions(waiting_by_stage)
        for note in self.xr.observed.notes:
            self.warning(note)
        self.xr_status["progress"] = dump(self._progress(waiting_by_stage))

    def _progress(self, waiting_by_stage: dict[str, list[str]]) -> Progress:
        resources = self.resources
        ready = sum(1 for key in self.planned if key in resources and resources[key].ready)
        waiting_for = [
            WaitingFor(resource=key, reason=self.waiting[key], stage=self.stages.get(key))
            for key in self.planned
            if key in self.waiting
        ]
        if self.held:
            # Not about one resource: the whole composite waits.
            waiting_for.insert(0, WaitingFor(resource="", reason=self.held))
        pending = [stage for stage, waiting in waiting_by_stage.items() if waiting]
        return Progress(
            ready=ready,
            total=len(self.planned),
            waiting_for=waiting_for,
            stage=pending[0] if pending else None,
            kept=[Kept(resource=k, reason=r) for k, r in self.kept.items()] or None,
        )

    def _waiting_by_stage(self) -> dict[str, list[str]]:
        """Every declared stage, in the order stages were first used, with its planned resources
        that are not emitted and ready, in the order they were added."""
        resources, stages = self.resources, self.stages
        by_stage: dict[str, list[str]] = {}
        for key in self.planned:
            stage = stages.get(key)
            if stage is None:
                continue
            waiting = by_stage.setdefault(stage, [])
            if not (key in resources and resources[key].ready):
                waiting.append(key)
        return by_stage

    @property
    def complete(self) -> bool:
        """Every planned resource is emitted (whether ready or not), and nothing is on hold."""
        return self.held is None and all(key in self.resources for key in self.planned)

    def stage_keys(self, stage: str) -> list[str]:
        """The planned resources of `stage`, in the order they were added."""
        return [key for key in self.planned if self.stages.get(key) == stage]

    def _stage_conditions(self, waiting_by_stage: dict[str, list[str]]) -> None:
        """`<Stage>Ready` for every declared stage, in the order stages were first used.

        A condition the blueprint set itself wins.
        """
        explicit = {condition.type for condition in self.conditions}
        for stage, waiting in waiting_by_stage.items():
            type_ = f"{stage}Ready"
            if type_ in explicit:
                continue
            if not waiting:
                self.condition(type_, True, "Available")
                continue
            details = "; ".join(f"{k}: {self.waiting.get(k, 'not ready')}" for k in waiting[:3])
            more = f" and {len(waiting) - 3} more" if len(waiting) > 3 else ""
            self.condition(type_, False, "Creating", f"waiting for {details}{more}")

    def _add_usages(self) -> None:
        planned, planned_keys, after_of = self._planned_set, self.planned, self.after
        shape = self.xr.shape
        namespace = shape.namespace if shape.namespaced else None
        header = (shape.api_version(USAGE), shape.kind_name(USAGE), namespace or "")
        for rule in self.usage_rules:
            key, user, used = rule
            if key in planned:
                continue  # declared twice (add(uses=) and uses()): one Usage
            if user not in planned or used not in planned:
                continue  # a side is not composed (any more); an observed Usage is kept below
            if key in self.removals:
                raise ValueError(f"composition resource {key!r} is both added and removed")
            # add(key, ..., after=(used, user)) without what a Usage never has (a stage, Usages
            # of its own): a large blueprint composes dozens.
            self.kit_keys.add(key)
            planned_keys.append(key)
            planned.add(key)
            after = after_of[key] = (used, user)
            ready = self._gate(key, after)
            if ready is not None:
                self.resources[key] = self._usage(rule, header, ready)

    def _usage(self, rule: UsageRule, header: tuple[str, str, str], ready: bool) -> DesiredResource:
        user, used = self.resources.get(rule.user), self.resources.get(rule.used)
        if user is None or used is None:
            # Both sides were Ready once (the Usage exists) but one is gated again: keep it.
            observed = self.xr.observed.get(rule.key)
            assert observed is not None
            return DesiredResource(observed.as_desired(), ready)
        name = self.xr.resource_name(rule.key)
        of, by = _usage_ref(used), _usage_ref(user)
        return DesiredResource(
            None,
            ready,
            build=lambda: _usage(header, name, of, by),
            fingerprint=(*header, name, *of, *by),
        )

    def _keep_unplanned(self) -> None:
        """Keep every observed resource that is no longer planned, unless removed explicitly."""
        removed_names = set()
        unplanned = [
            key
            for key in sorted(self.xr.observed)
            if key not in self._planned_set and key != CONNECTION_SECRET_KEY
        ]
        for key in unplanned:
            reason = self.removals.get(key) or next(
                (why for matches, why in self.removable if matches(key)), None
            )
            if reason is not None:
                self.removals[key] = reason
                removed_names.add(self.xr.observed[key].text("metadata", "name"))
        for key in unplanned:
            observed = self.xr.observed[key]
            if key not in self.removals and _is_usage(observed.text("kind")):
                # A Usage of something removed goes with it.
                sides = {
                    observed.text("spec", side, "resourceRef", "name") for side in ("of", "by")
                }
                if sides & removed_names:
                    self.removals[key] = "what it protected is removed"
            if key in self.removals:
                self.note(f"removing {key}: {self.removals[key]}")
                continue
            reason = (
                f"observed but no longer planned by {self.xr.kind}; kept so that it is not "
                "deleted (a blueprint must remove it explicitly)"
            )
            self.kept[key] = reason
            self.kit_keys.add(key)
            self.resources[key] = DesiredResource(observed.as_desired(), observed.ready)
            self.warning(f"kept {key}: {reason}")

    def _add_connection_secret(self) -> None:
        # XRD v2 has no XR connection secrets, so the details go into a Secret next to the XR.
        secret = self.xr.shape.plain(
            SECRET,
            connection_secret_name(self.xr.name),
            {
                "type": "connection.crossplane.io/v1alpha1",
                "data": {
                    key: base64.b64encode(value).decode()
                    for key, value in sorted(self.connection_details.items())
                },
            },
        )
        self.kit_keys.add(CONNECTION_SECRET_KEY)
        self.add(CONNECTION_SECRET_KEY, secret)


def _usage_ref(desired: DesiredResource) -> tuple[str, str, str]:
    """apiVersion, kind and name of a resource a Usage names."""
    resource = desired.resource
    return resource["apiVersion"], resource["kind"], resource["metadata"]["name"]


def _usage(
    header: tuple[str, str, str],
    name: str,
    of: tuple[str, str, str],
    by: tuple[str, str, str],
) -> Resource:
    api_version, kind, namespace = header
    metadata = {"name": name, "namespace": namespace} if namespace else {"name": name}
    return {
        "apiVersion": api_version,
        "kind": kind,
        "metadata": metadata,
        # replayDeletion: once the user is gone, the used resource's blocked deletion is
        # retried at once instead of after the garbage collector's back-off.
        "spec": {"of": _reference(*of), "by": _reference(*by), "replayDeletion": True},
    }


def _reference(api_version: str, kind: str, name: str) -> dict[str, Any]:
    return {"apiVersion": api_version, "kind": kind, "resourceRef": {"name": name}}


def _is_usage(kind: str | None) -> bool:
    return kind in (USAGE.kind, USAGE.namespaced_kind)


def _waiting_for(blockers: list[str], shown: int = 4) -> str:
    if len(blockers) <= shown:
        return "waiting for " + ", ".join(blockers)
    return f"waiting for {', '.join(blockers[: shown - 1])} and {len(blockers) - shown + 1} more"


def connection_secret_name(xr_name: str) -> str:
    return f"{xr_name}-connection"
