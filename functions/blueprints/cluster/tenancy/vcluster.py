"""A vCluster tenant: a virtual cluster (vCluster chart) in a fenced namespace of the host.

The tenant is admin of its vCluster. Its API server signs in through the organisation's OIDC
provider; it is reached through a load balancer of the host (AWS Load Balancer Controller,
internal by default), whose name the Release learns once AWS assigned it, so the exported
kubeconfig names the real server. That kubeconfig is read back (an observe-only Object) and
becomes the connection details and the vCluster's own helm and kubernetes ProviderConfigs.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from functions.kit import (
    CONNECTION_SECRET_NAMESPACE,
    Composite,
    Desired,
    Observed,
    ProviderConfigRef,
)
from functions.resources.kinds import HELM_PROVIDER_CONFIG, HELM_RELEASE, KUBERNETES_PROVIDER_CONFIG
from functions.resources.kubernetes import kubernetes_object

from .. import providers, stages
from ..host import Cluster
from ..parameters import ClusterParameters, Quota
from ..providers import PROVIDER_CONFIG_ANY_ORDER, provider_config_name
from . import namespace as tenant
from .objects import binding, report_tenant, subjects, tenant_namespace

CHART = {"name": "vcluster", "repository": "https://charts.loft.sh", "version": "0.36.1"}
# Its own key: what an XR has composed tells its isolation (see refuse_isolation_change).
NAMESPACE = "vcluster-namespace"
RELEASE = "vcluster"  # one per namespace: its Service is "vcluster", its kubeconfig "vc-vcluster"
KUBECONFIG_SECRET = f"vc-{RELEASE}"
KUBECONFIG_KEY = "kubeconfig"
OBSERVE = ["Observe"]
LOAD_BALANCER = {
    "service.beta.kubernetes.io/aws-load-balancer-type": "external",
    "service.beta.kubernetes.io/aws-load-balancer-nlb-target-type": "ip",
    "service.beta.kubernetes.io/aws-load-balancer-scheme": "internal",
}


# The Objects that read the vCluster's Service and kubeconfig only observe: deleting them deletes
# nothing. What is composed into the vCluster holds the Release and the kubeconfig with Usages.
OBSERVED_ANY_ORDER = (
    "only observe-only Objects come after it; what is composed into the vCluster holds it with "
    "a Usage"
)


def compose(xr: Composite[ClusterParameters], out: Desired, host: Cluster) -> None:
    namespace = tenant_namespace(xr)
    config = str(host.info.provider_config_name)
    out.add(
        NAMESPACE,
        kubernetes_object(xr, NAMESPACE, tenant.namespace_manifest(xr, namespace), config),
        stage=stages.NAMESPACE,
    )
    hostname = api_hostname(xr)
    out.add(
        RELEASE,
        lambda: release(xr, host, namespace, config, hostname),
        stage=stages.VCLUSTER,
        after=[NAMESPACE],
        # Uninstalled (its hooks, its load balancer's Service) while its namespace is there.
        uses=[NAMESPACE],
        delete_in_any_order=OBSERVED_ANY_ORDER,
    )
    out.add(
        "api-service",
        lambda: kubernetes_object(
            xr,
            "api-service",
            _reference("v1", "Service", RELEASE, namespace),
            config,
            managementPolicies=OBSERVE,
        ),
        stage=stages.VCLUSTER,
        after=[RELEASE],
        delete_in_any_order="it only observes the Service",
    )
    # The kubeconfig is read once it names the real server: after the Release learned it.
    out.add(
        "kubeconfig",
        lambda: kubeconfig_reader(xr, namespace, config),
        stage=stages.VCLUSTER,
        after=[RELEASE, "api-service"],
        delete_in_any_order=OBSERVED_ANY_ORDER,
    )
    for config_key, kind in (
        ("helm-provider-config", HELM_PROVIDER_CONFIG),
        ("kubernetes-provider-config", KUBERNETES_PROVIDER_CONFIG),
    ):
        out.add(
            config_key,
            partial(provider_config, xr, kind),
            stage=stages.VCLUSTER,
            after=["kubeconfig"],
            delete_in_any_order=PROVIDER_CONFIG_ANY_ORDER,
        )
    compose_access(xr, out, host)
    tenant.protect_host(xr, out, host, NAMESPACE)
    report(xr, out, host, namespace, hostname)


def release(
    xr: Composite[ClusterParameters],
    host: Cluster,
    namespace: str,
    config: str,
    hostname: str | None,
) -> dict[str, Any]:
    return xr.shape.managed(
        HELM_RELEASE,
        xr.resource_name("vcluster"),
        {
            "chart": dict(CHART),
            "namespace": namespace,
            "skipCreateNamespace": True,
            "values": values(xr, host, hostname),
        },
        provider_config=_provider_config(config),
    )


def values(xr: Composite[ClusterParameters], host: Cluster, hostname: str | None) -> dict[str, Any]:
    quota = xr.params.quota or Quota()
    control_plane: dict[str, Any] = {
        "service": {"annotations": dict(LOAD_BALANCER), "spec": {"type": "LoadBalancer"}},
    }
    oidc = host.parameters.oidc
    if oidc is not None:
        control_plane["distro"] = {
            "k8s": {
                "apiServer": {
                    "extraArgs": [
                        f"--oidc-issuer-url={oidc.issuer_url}",
                        f"--oidc-client-id={oidc.client_id}",
                        f"--oidc-username-claim={oidc.username_claim}",
                        f"--oidc-groups-claim={oidc.groups_claim}",
                        f"--oidc-username-prefix={oidc.username_prefix}",
                        f"--oidc-groups-prefix={oidc.groups_prefix}",
                    ]
                }
            }
        }
    result: dict[str, Any] = {
        "controlPlane": control_plane,
        "policies": {
            "resourceQuota": {
                "enabled": True,
                "quota": {
                    "requests.cpu": quota.cpu,
                    "requests.memory": quota.memory,
                    "count/pods": quota.pods,
                    "requests.storage": quota.storage,
                    "services.nodeports": 0,
                },
            },
            "limitRange": {
                "enabled": True,
                "default": dict(tenant.DEFAULT_LIMIT),
                "defaultRequest": dict(tenant.DEFAULT_REQUEST),
            },
            "networkPolicy": {"enabled": True},
        },
    }
    if hostname:
        control_plane["proxy"] = {"extraSANs": [hostname]}
        result["exportKubeConfig"] = {"server": f"https://{hostname}"}
    return result


def api_hostname(xr: Composite[ClusterParameters]) -> str | None:
    """The load balancer AWS gave the vCluster's API, once known; then never forgotten."""
    service = xr.observed.get("api-service")
    ingress = _path(
        service, "status", "atProvider", "manifest", "status", "loadBalancer", "ingress"
    )
    if isinstance(ingress, list) and ingress and isinstance(ingress[0], dict):
        hostname = ingress[0].get("hostname") or ingress[0].get("ip")
        if isinstance(hostname, str) and hostname:
            return hostname
    # Status missing (restore, adoption): what the Release was last told.
    server = _path(
        xr.observed.get("vcluster"), "spec", "forProvider", "values", "exportKubeConfig", "server"
    )
    return server.removeprefix("https://") if isinstance(server, str) and server else None


def kubeconfig_reader(
    xr: Composite[ClusterParameters], namespace: str, config: str
) -> dict[str, Any]:
    """Observes the kubeconfig Secret vCluster writes and publishes it as connection details."""
    return kubernetes_object(
        xr,
        "kubeconfig",
        _reference("v1", "Secret", KUBECONFIG_SECRET, namespace),
        config,
        managementPolicies=OBSERVE,
        connectionDetails=[
            {
                **_reference("v1", "Secret", KUBECONFIG_SECRET, namespace)["metadata"],
                "apiVersion": "v1",
                "kind": "Secret",
                "fieldPath": "data.config",
                "toConnectionSecretKey": KUBECONFIG_KEY,
            }
        ],
        writeConnectionSecretToRef=_secret_ref(xr),
    )


def provider_config(xr: Composite[ClusterParameters], kind: Any) -> dict[str, Any]:
    """The vCluster's own ProviderConfig, named after the XR like a dedicated cluster's."""
    ref = _secret_ref(xr)
    return providers.provider_config(
        xr, kind, (ref.get("namespace", xr.namespace or ""), ref["name"])
    )


def compose_access(xr: Composite[ClusterParameters], out: Desired, host: Cluster) -> None:
    """Inside the vCluster: admins are cluster-admin, viewers view, signed in through OIDC."""
    oidc = host.parameters.oidc
    if oidc is None:
        return
    prefixes = (oidc.groups_prefix, oidc.username_prefix)
    for key, role, entries in (
        ("admins", "cluster-admin", xr.params.access.admins),
        ("viewers", "view", xr.params.access.viewers),
    ):
        if entries:
            manifest = binding(
                "ClusterRoleBinding", f"tenant-{key}", role, subjects(entries, prefixes)
            )
            out.add(
                key,
                partial(kubernetes_object, xr, key, manifest, provider_config_name(xr)),
                stage=stages.ACCESS,
                after=["kubernetes-provider-config"],
                # Deleted inside the vCluster: through its API server, with its kubeconfig.
                uses=[RELEASE, "kubeconfig"],
            )


def report(
    xr: Composite[ClusterParameters],
    out: Desired,
    host: Cluster,
    namespace: str,
    hostname: str | None,
) -> None:
    endpoint = f"https://{hostname}" if hostname else None
    ready_to_deploy = out.is_ready("kubernetes-provider-config")
    report_tenant(
        xr,
        out,
        host,
        namespace,
        endpoint=endpoint,
        ready=ready_to_deploy and out.is_ready(RELEASE),
        waiting_for="the vCluster and its kubeconfig",
        provider_config_name=provider_config_name(xr) if ready_to_deploy else None,
    )
    reader = xr.observed.get("kubeconfig")
    kubeconfig = reader.connection_details.get(KUBECONFIG_KEY) if reader else None
    out.connection(
        kubeconfig=kubeconfig or None, endpoint=endpoint, server=endpoint, namespace=namespace
    )


def _reference(api_version: str, kind: str, name: str, namespace: str) -> dict[str, Any]:
    return {
        "apiVersion": api_version,
        "kind": kind,
        "metadata": {"name": name, "namespace": namespace},
    }


def _secret_ref(xr: Composite[ClusterParameters]) -> dict[str, str]:
    name = f"{xr.name}-vcluster-kubeconfig"[:253]
    if xr.shape.namespaced:
        return {"name": name}
    return {"name": name, "namespace": CONNECTION_SECRET_NAMESPACE}


def _provider_config(name: str) -> ProviderConfigRef:
    return ProviderConfigRef(name, "ProviderConfig")


def _path(observed: Observed | None, *path: str) -> Any:
    return observed.get(*path) if observed is not None else None
