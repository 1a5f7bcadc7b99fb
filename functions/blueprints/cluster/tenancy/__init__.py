"""Tenants: a Cluster that is a namespace or a vCluster on a dedicated host Cluster.

Stages: wait (hold) until the host is Ready and reports its ProviderConfig -> the tenant's
namespace on the host -> what isolates it (quota, limits, network policy) and who may use it;
for a vCluster, its Helm release -> its API endpoint and kubeconfig -> ProviderConfigs for it ->
access inside it. A Usage keeps the host from being deleted while the tenant's namespace exists;
deleting a tenant never touches the host itself.
"""

from __future__ import annotations

from functions.kit import ComposeError, Composite, Desired

from ..host import Cluster, find
from ..parameters import DEDICATED_ONLY, ClusterParameters
from . import namespace, vcluster
from .namespace import HOST_USAGE_KEY

HOST_FIELD = "spec.parameters.host.clusterRef.name"


def compose(xr: Composite[ClusterParameters], out: Desired) -> None:
    p = xr.params
    validate(p)
    assert p.host is not None  # validate() guarantees it
    host = find(xr, out, p.host.cluster_ref.name, field=HOST_FIELD, requirement_name="host")
    if host is None:
        _hold(out, f"waiting for Crossplane to read the host Cluster {p.host.cluster_ref.name}")
        return
    check_host(xr, host)
    refuse_host_change(xr, host)
    if not host.ready or not host.info.provider_config_name or not host.info.endpoint:
        _hold(out, f"waiting for the host Cluster {p.host.cluster_ref.name} to be Ready")
        return
    # The kit keeps whatever is observed but no longer planned; a binding nobody is listed in
    # goes, so removing the last admin revokes the access.
    out.remove_unplanned(lambda key: key in ("admins", "viewers"), "nobody is listed any more")
    if p.isolation == "namespace":
        namespace.compose(xr, out, host)
    else:
        vcluster.compose(xr, out, host)


def validate(p: ClusterParameters) -> None:
    """The XRD's CEL rules, again for XRs that bypass the API server."""
    for name, field in ClusterParameters.model_fields.items():
        if field.alias in DEDICATED_ONLY and name in p.model_fields_set:
            raise ComposeError(
                f"spec.parameters.{field.alias}",
                f"is only for isolation dedicated; a {p.isolation} tenant runs on its host's",
            )
    if p.host is None:
        raise ComposeError("spec.parameters.host", f"is required for isolation {p.isolation}")
    for role in ("admins", "viewers"):
        for i, subject in enumerate(getattr(p.access, role)):
            if not subject.startswith(("group:", "user:")):
                raise ComposeError(
                    f"spec.parameters.access.{role}[{i}]",
                    f"{subject!r}: a {p.isolation} tenant's access is an OIDC subject of the "
                    "host's identity provider, group:<name> or user:<name>",
                )


def check_host(xr: Composite[ClusterParameters], host: Cluster) -> None:
    p = xr.params
    if host.parameters.isolation != "dedicated":
        raise ComposeError(
            HOST_FIELD, f"the host must be a dedicated Cluster, not a {host.parameters.isolation}"
        )
    if host.parameters.region != p.region:
        raise ComposeError(
            "spec.parameters.region",
            f"the host Cluster is in {host.parameters.region}; a tenant lives in its host's region",
        )
    if p.isolation == "vcluster" and not host.parameters.platform.load_balancer_controller.enabled:
        raise ComposeError(
            HOST_FIELD,
            "the host Cluster does not run the AWS Load Balancer Controller, which makes the load "
            "balancer a vCluster's API is reached through (set "
            "spec.parameters.platform.loadBalancerController.enabled on the host)",
        )
    needs_oidc = p.isolation == "namespace" or p.access.admins or p.access.viewers
    if needs_oidc and host.parameters.oidc is None:
        raise ComposeError(
            HOST_FIELD,
            "the host Cluster has no oidc: tenants sign in through the host's OpenID Connect "
            "identity provider (set spec.parameters.oidc on the host)",
        )


def refuse_host_change(xr: Composite[ClusterParameters], host: Cluster) -> None:
    """A tenant runs where its namespace is: pointing it at another host would create it there
    and orphan the namespace, and everything in it, on the first one."""
    usage = xr.observed.get(HOST_USAGE_KEY)
    running_on = usage.text("spec", "of", "resourceRef", "name") if usage is not None else None
    if running_on and host.xr_name and running_on != host.xr_name:
        raise ComposeError(
            HOST_FIELD,
            f"this tenant runs on the XCluster {running_on}; moving it to {host.where} would "
            "leave its namespace and everything in it behind. Create a new Cluster instead",
        )


def _hold(out: Desired, reason: str) -> None:
    out.hold(reason)
    out.condition("HostReady", False, "WaitingForHost", reason)
