"""Another XR's view of an XCluster: found through Crossplane's required resources, read through
the XCluster's own models (never by string keys). XDatabase places databases on one (RDS in its
VPC, PostgreSQL in it); tenants run on one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from functions.kit import CLAIM_NAMESPACE_LABEL, ComposeError, Composite, Desired, read_status

from .parameters import ClusterInfo, ClusterParameters
from .platform.parameters import PlatformStatus


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
class Required:
    """A referenced cluster as Crossplane read it (a Cluster claim or an XCluster)."""

    resource: dict[str, Any]
    where: str  # how to name it in a message: "Cluster platform in namespace team-a"
    xr_name: str  # the XCluster's own name (a claim's spec.resourceRef.name; "" until bound)
    api_version: str

    @property
    def status(self) -> dict[str, Any]:
        return _mapping(self.resource.get("status"))

    @property
    def info(self) -> ClusterInfo:
        """What this version of Paved knows of its status.cluster; never a crash on odd data."""
        return read_status(ClusterInfo, self.status.get("cluster")) or ClusterInfo()


@dataclass(frozen=True)
class Cluster:
    """A referenced cluster as its XR reports it, with the parameters the API server accepted."""

    where: str
    xr_name: str
    api_version: str
    parameters: ClusterParameters
    info: ClusterInfo
    platform: PlatformStatus
    ready: bool


def where(xr: Composite[Any], name: str) -> str:
    """How the cluster `name` that `xr` references is named in messages."""
    return requirement(xr).where(name)


def lookup(
    xr: Composite[Any], out: Desired, name: str, *, field: str, requirement_name: str
) -> Required | None:
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
        namespace = f" in namespace {wanted.namespace}" if wanted.namespace else ""
        raise ComposeError(field, f"no {wanted.kind} named {name}{namespace}")
    resource = found[0]
    spec = _mapping(resource.get("spec"))
    xr_name = _mapping(spec.get("resourceRef")).get("name") if wanted.kind == "Cluster" else name
    api_version = resource.get("apiVersion")
    return Required(
        resource=resource,
        where=wanted.where(name),
        xr_name=xr_name if isinstance(xr_name, str) else "",
        api_version=api_version if isinstance(api_version, str) else xr.api_version,
    )


def find(
    xr: Composite[Any], out: Desired, name: str, *, field: str, requirement_name: str
) -> Cluster | None:
    """Like `lookup`, read through the XCluster's models; invalid parameters are a FATAL."""
    required = lookup(xr, out, name, field=field, requirement_name=requirement_name)
    if required is None:
        return None
    spec = _mapping(required.resource.get("spec"))
    try:
        parameters = ClusterParameters.model_validate(spec.get("parameters") or {})
    except ValidationError:
        raise ComposeError(field, f"{required.where} has invalid spec.parameters") from None
    status = required.status
    return Cluster(
        where=required.where,
        xr_name=required.xr_name,
        api_version=required.api_version,
        parameters=parameters,
        info=required.info,
        platform=read_status(PlatformStatus, status.get("platform")) or PlatformStatus(),
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
