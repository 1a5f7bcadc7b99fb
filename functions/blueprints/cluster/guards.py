"""XCluster guardrails across fields and against what is already composed.

Format rules live in the parameter models (and so in the XRD); what needs several fields, the
region, or the observed resources lives here. Each check raises one ComposeError naming the field;
what is composed is read from the observed resources' spec as well as their status, so a missing
status never lets a change through.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from functions.kit import ComposeError, Composite

from . import nodes
from .access import POLICIES, Principal
from .control_plane import composed_version
from .keys import CLUSTER_KEY
from .network import Layout
from .parameters import ClusterParameters, Oidc

# Oidc field -> the IdentityProviderConfig's forProvider.oidc field (all ForceNew).
OIDC_FIELDS = {
    "issuer_url": "issuerUrl",
    "client_id": "clientId",
    "username_claim": "usernameClaim",
    "username_prefix": "usernamePrefix",
    "groups_claim": "groupsClaim",
    "groups_prefix": "groupsPrefix",
}


def check_parameters(p: ClusterParameters) -> None:
    """Checks across fields of the parameters alone (of a dedicated cluster)."""
    for field, value in (("host", p.host), ("quota", p.quota)):
        if value is not None:
            raise ComposeError(
                f"spec.parameters.{field}", "is only for isolation vcluster and namespace"
            )
    for role in ("admins", "viewers"):
        for i, subject in enumerate(getattr(p.access, role)):
            if not subject.startswith("arn:"):
                raise ComposeError(
                    f"spec.parameters.access.{role}[{i}]",
                    f"{subject!r}: a dedicated cluster's access is an IAM role or user ARN; "
                    "sign in through OIDC groups with spec.parameters.oidc",
                )
    if not (p.endpoint.public or p.endpoint.private):
        raise ComposeError("spec.parameters.endpoint", "public and private cannot both be false")
    for i, cidr in enumerate(p.endpoint.public_cidrs):
        field = f"spec.parameters.endpoint.publicCidrs[{i}]"
        try:
            network = ipaddress.ip_network(cidr, strict=True)
        except ValueError as error:
            raise ComposeError(field, f"{cidr!r}: {error}") from None
        if network.version != 4:
            raise ComposeError(
                field, f"{cidr}: EKS accepts only IPv4 CIDRs for the public endpoint"
            )
    nodes.validate(p.node_pools)
    if len(set(p.logging)) != len(p.logging):
        raise ComposeError("spec.parameters.logging", "lists a log type twice")


def check_network(xr: Composite[ClusterParameters], net: Layout) -> None:
    """The VPC's CIDR and zones of a running cluster."""
    vpc = xr.observed.get("vpc")
    if vpc is not None:
        composed = _first_str(
            vpc.at_provider("cidrBlock"), vpc.get("spec", "forProvider", "cidrBlock")
        )
        if composed is not None and composed != xr.params.network.cidr:
            raise ComposeError(
                "spec.parameters.network.cidr",
                f"the VPC was created with {composed}; a VPC's CIDR cannot change (AWS would "
                "replace the VPC and everything in it, the cluster included)",
            )
    wanted = {zone.suffix for zone in net.zones}
    region = xr.params.region
    dropped = sorted(
        key.removeprefix("subnet-private-")
        for key in xr.observed
        if key.startswith("subnet-private-") and key.removeprefix("subnet-private-") not in wanted
    )
    if dropped:
        field = (
            "spec.parameters.network.availabilityZones"
            if xr.params.network.availability_zones is not None
            else "spec.parameters.network.zones"
        )
        zones = ", ".join(region + suffix for suffix in dropped)
        raise ComposeError(
            field,
            f"the cluster runs in {zones}: removing a zone is not supported, its subnets hold "
            "nodes, load balancers and the control plane's network interfaces, and EKS cannot move "
            "a control plane out of the zones it was created in; adding zones is",
        )


def check_oidc(xr: Composite[ClusterParameters]) -> None:
    """EKS replaces an identity provider config on any change, and a cluster has only one."""
    observed = xr.observed.get("oidc-identity-provider")
    oidc: Oidc | None = xr.params.oidc
    if observed is None or oidc is None:
        return  # not composed yet, or removed on purpose (an explicit removal drops it)
    composed = observed.get("spec", "forProvider", "oidc")
    if isinstance(composed, list) and composed:
        composed = composed[0]
    if not isinstance(composed, dict):
        return
    for attribute, field in OIDC_FIELDS.items():
        was: Any = composed.get(field)
        now = getattr(oidc, attribute)
        if was is not None and was != now:
            raise ComposeError(
                f"spec.parameters.oidc.{field}",
                f"is {was!r} on the running cluster: EKS cannot change an identity provider "
                "config, and a cluster has only one; remove oidc, wait until it is gone, then add "
                "the new one",
            )


def _first_str(*values: Any) -> str | None:
    """The first value that is an IPv4 CIDR; odd observed values are not evidence of a change."""
    for value in values:
        if not isinstance(value, str):
            continue
        try:
            ipaddress.IPv4Network(value)
        except ValueError:
            continue
        return str(value)
    return None


def check_upgrade(xr: Composite[ClusterParameters]) -> None:
    """EKS upgrades one minor version at a time and never downgrades: say so before AWS does."""
    running = composed_version(xr)
    if running is None:
        return
    wanted = xr.params.version
    current, target = _minor(running), _minor(wanted)
    if current is None or target is None:
        return
    if target < current:
        raise ComposeError(
            "spec.parameters.version",
            f"the cluster runs {running}; EKS cannot downgrade to {wanted}",
        )
    if target > current + 1:
        raise ComposeError(
            "spec.parameters.version",
            f"the cluster runs {running}; EKS upgrades one minor version at a time, "
            f"so {running[: running.index('.')]}.{current + 1} first",
        )


def _minor(version: str) -> int | None:
    major, _, minor = version.partition(".")
    return int(minor) if major == "1" and minor.isdigit() else None


def refuse_policy_changes(xr: Composite[ClusterParameters], found: list[Principal]) -> None:
    """EKS cannot change an access policy association's policy in place (policyArn is ForceNew:
    upjet would refuse the update forever), so moving a principal between admins and viewers is
    refused, naming the field, with the two steps that do it."""
    for principal in found:
        observed = xr.observed.get(principal.policy_key)
        running = observed.actual_text("policyArn") if observed is not None else None
        wanted = POLICIES[principal.role]
        if running is None or running.endswith("/" + wanted):
            continue
        listed = getattr(xr.params.access, f"{principal.role}s")
        other = "viewers" if principal.role == "admin" else "admins"
        raise ComposeError(
            f"spec.parameters.access.{principal.role}s[{listed.index(principal.arn)}]",
            f"{principal.arn} is one of the running cluster's {other}; EKS cannot change its "
            f"access policy in place. Remove it from access.{other} first, then add it to "
            f"access.{principal.role}s once that is applied",
        )


# What each isolation composes first: seen among the observed resources, it says what an XR is.
_COMPOSED_AS = (
    (CLUSTER_KEY, "dedicated"),
    ("vpc", "dedicated"),
    ("vcluster", "vcluster"),
    ("namespace", "namespace"),
)


def refuse_isolation_change(xr: Composite[ClusterParameters]) -> None:
    """A dedicated cluster cannot become a tenant or the other way round: refused, not rebuilt."""
    composed = next((isolation for key, isolation in _COMPOSED_AS if key in xr.observed), None)
    if composed is None:
        cluster = xr.status.get("cluster")
        composed = cluster.get("isolation") if isinstance(cluster, dict) else None
    if composed and composed != xr.params.isolation:
        raise ComposeError(
            "spec.parameters.isolation",
            f"this Cluster runs as {composed}; changing it to {xr.params.isolation} would delete "
            "it and everything in it. Create a new Cluster instead",
        )
