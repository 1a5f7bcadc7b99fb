"""The desired state a blueprint builds: resources in stage order, status, conditions, connection.

Rules enforced here so no blueprint can get them wrong:
- a resource gated on others is emitted once they are ready, and *always* once it has been
  observed, whatever its gates say now (dropping it would make Crossplane delete it);
- each emitted resource is marked ready from its observed state;
- `status.progress` counts every planned resource, emitted or still gated, with what each waits for;
- the XR is held not-ready while anything planned is not yet emitted, so it cannot report Ready
  between two stages.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from functions.kit.composite import Composite
from functions.kit.shapes import Kind

SECRET = Kind("Secret", "v1", "v1")
CONNECTION_SECRET_KEY = "connection-secret"

Severity = Literal["Normal", "Warning"]


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


@dataclass
class DesiredResource:
    resource: dict[str, Any]
    ready: bool


@dataclass
class Desired:
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

    # -- resources ---------------------------------------------------------------------------

    def add(self, key: str, resource: dict[str, Any], *, after: Iterable[str] = ()) -> bool:
        """Plan `resource` as composition resource `key`, emitted once all of `after` are ready.

        Returns whether it was emitted.
        """
        if key in self.planned:
            raise ValueError(f"composition resource name {key!r} is used twice")
        self.planned.append(key)
        observed = self.xr.observed.get(key)
        blockers = [dep for dep in after if not self.is_ready(dep)]
        if blockers and observed is None:
            self.waiting[key] = _waiting_for(blockers)
            return False
        ready = observed is not None and observed.ready
        self.resources[key] = DesiredResource(resource, ready)
        if not ready:
            self.waiting[key] = "being created" if observed is None else observed.not_ready_reason()
        return True

    def hold(self, reason: str) -> None:
        """Compose nothing new: re-emit every observed resource as it is, and hold the XR not ready.

        For a blueprint that cannot decide what to compose yet (e.g. it waits for another XR):
        dropping what exists would make Crossplane delete it.
        """
        self.held = reason
        for key in self.xr.observed:
            # The connection secret is the kit's own, written afresh by finish().
            if key not in self.planned and key != CONNECTION_SECRET_KEY:
                self.add(key, self.xr.observed[key].as_desired())
        self.note(reason)

    def is_ready(self, key: str) -> bool:
        """Whether composition resource `key` is observed and ready."""
        observed = self.xr.observed.get(key)
        return observed is not None and observed.ready

    def status(self, **fields: Any) -> None:
        """Merge fields into the XR's status (values that are None are left out)."""
        for name, value in fields.items():
            if value is not None:
                self.xr_status[name] = value

    def condition(self, type_: str, ok: bool, reason: str, message: str = "") -> None:
        self.conditions.append(Condition(type_, "True" if ok else "False", reason, message))

    def connection(self, **details: str | bytes | None) -> None:
        """Connection details for the XR; values that are None (not known yet) are left out."""
        for key, value in details.items():
            if value is not None:
                self.connection_details[key] = value.encode() if isinstance(value, str) else value

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
        """Add what every blueprint gets: the namespaced connection secret and status.progress."""
        if self.xr.shape.namespaced:
            self._add_connection_secret()
            self.xr_status["connectionSecret"] = connection_secret_name(self.xr.name)
        ready = sum(
            1 for key in self.planned if key in self.resources and self.resources[key].ready
        )
        waiting_for = [
            {"resource": key, "reason": self.waiting[key]}
            for key in self.planned
            if key in self.waiting
        ]
        if self.held:
            # Not about one resource: the whole composite waits.
            waiting_for.insert(0, {"resource": "", "reason": self.held})
        self.xr_status["progress"] = {
            "ready": ready,
            "total": len(self.planned),
            "waitingFor": waiting_for,
        }

    @property
    def complete(self) -> bool:
        """Every planned resource is emitted (whether ready or not), and nothing is on hold."""
        return self.held is None and len(self.resources) == len(self.planned)

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
        self.add(CONNECTION_SECRET_KEY, secret)


def _waiting_for(blockers: list[str], shown: int = 4) -> str:
    if len(blockers) <= shown:
        return "waiting for " + ", ".join(blockers)
    return f"waiting for {', '.join(blockers[: shown - 1])} and {len(blockers) - shown + 1} more"


def connection_secret_name(xr_name: str) -> str:
    return f"{xr_name}-connection"
