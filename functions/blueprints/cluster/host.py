"""Another XR's view of an XCluster: found through Crossplane's required resources, read through
the XCluster's own models. XDatabase places databases on one; tenants run on one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from functions.kit import ComposeError, Composite, Desired, read_status
from functions.kit.composite import CLAIM_NAMESPACE_LABEL

from .parameters import ClusterInfo, ClusterParameters


@dataclass(frozen=True)
class ClusterRequirement:
    kind: str
    namespace: str | None

    def where(self, name: str) -> str:
        return f"{self.kind} {name}" + (f" in namespace {self.namespace}" if self.namespace else "")


def requirement(xr: Composite[Any]) -> ClusterRequirement:
    """How to look a referenced cluster up.

    A namespaced XR references an XCluster in its namespace. A claim references the developer's
    Cluster claim in the claim's namespace: its XR has a generated name, and the claim mirrors the
    XR's status. A cluster-scoped XR made without a claim references an XCluster.
    """
    if xr.namespace:
        return ClusterRequirement("XCluster", xr.namespace)
    claim_namespace = xr.labels.get(CLAIM_NAMESPACE_LABEL)
    if claim_namespace:
        return ClusterRequirement("Cluster", claim_namespace)
    return ClusterRequirement("XCluster", None)


@dataclass(frozen=True)
class Cluster:
    """A referenced cluster as its XR reports it."""

    xr_name: str  # the XCluster's own name (a claim's spec.resourceRef.name)
    api_version: str
    parameters: ClusterParameters
    info: ClusterInfo
    ready: bool


def find(
    xr: Composite[Any], out: Desired, name: str, *, field: str, requirement_name: str
) -> Cluster | None:
    """The cluster named `name`, or None (after asking Crossplane for it) until it can be read.

    A cluster that does not exist is a FATAL naming `field`.
    """
    wanted = requirement(xr)
    found = out.require(
        requirement_name, xr.api_version, wanted.kind, match_name=name, namespace=wanted.namespace
    )
    if found is None:
        return None
    if not found:
        raise ComposeError(field, f"no {wanted.where(name)}")
    resource = found[0]
    spec = _mapping(resource.get("spec"))
    try:
        parameters = ClusterParameters.model_validate(spec.get("parameters") or {})
    except ValidationError:
        raise ComposeError(field, f"{wanted.where(name)} has invalid spec.parameters") from None
    status = _mapping(resource.get("status"))
    xr_name = _mapping(spec.get("resourceRef")).get("name") if wanted.kind == "Cluster" else name
    return Cluster(
        xr_name=str(xr_name or ""),
        api_version=str(resource.get("apiVersion") or xr.api_version),
        parameters=parameters,
        # What this version of Paved knows of status.cluster; never a crash on odd data.
        info=read_status(ClusterInfo, status.get("cluster")) or ClusterInfo(),
        ready=_ready(status),
    )


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _ready(status: dict[str, Any]) -> bool:
    conditions = status.get("conditions")
    return isinstance(conditions, list) and any(
        isinstance(c, dict) and c.get("type") == "Ready" and c.get("status") == "True"
        for c in conditions
    )
