"""A namespace tenant: a namespace on the host, fenced by quota, limits and network policy,
used by the developers' OIDC groups and users through the host's API server."""

from __future__ import annotations

from typing import Any

import yaml

from functions.kit import Composite, CompositeRef, Desired, Used, protect_composite
from functions.resources.kinds import KUBERNETES_OBJECT
from functions.resources.kubernetes import kubernetes_object

from ..host import Cluster
from ..parameters import ClusterParameters, Quota
from ..stages import ACCESS, NAMESPACE
from .objects import binding, report_tenant, subjects, tenant_namespace

# Workloads of a tenant: baseline enforced, restricted reported (audit log and kubectl warnings).
POD_SECURITY = {
    "pod-security.kubernetes.io/enforce": "baseline",
    "pod-security.kubernetes.io/enforce-version": "latest",
    "pod-security.kubernetes.io/audit": "restricted",
    "pod-security.kubernetes.io/warn": "restricted",
}
# A container that asks for nothing gets this, so quotas on requests never refuse it outright.
DEFAULT_REQUEST = {"cpu": "100m", "memory": "128Mi"}
DEFAULT_LIMIT = {"cpu": "1", "memory": "512Mi"}


HOST_USAGE_KEY = "usage-host-by-namespace"
# Deleting the namespace deletes what is in it; their Objects then find nothing left to delete.
NAMESPACE_ANY_ORDER = (
    "deleting the namespace deletes the quota, limits, policies and bindings in it"
)


def compose(xr: Composite[ClusterParameters], out: Desired, host: Cluster) -> None:
    name = tenant_namespace(xr)
    config = str(host.info.provider_config_name)
    fenced = ["namespace"]
    out.add(
        "namespace",
        kubernetes_object(xr, "namespace", namespace_manifest(xr, name), config),
        stage=NAMESPACE,
        delete_in_any_order=NAMESPACE_ANY_ORDER,
    )
    for key, manifest in isolation_manifests(name, xr.params.quota or Quota()).items():
        out.add(key, kubernetes_object(xr, key, manifest, config), stage=NAMESPACE, after=fenced)
    compose_access(xr, out, host, name, config)
    protect_host(xr, out, host, "namespace")
    report(xr, out, host, name)


def namespace_manifest(xr: Composite[ClusterParameters], name: str) -> dict[str, Any]:
    labels = {**POD_SECURITY, "paved.dev/tenant": xr.name}
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels}}


def isolation_manifests(namespace: str, quota: Quota) -> dict[str, dict[str, Any]]:
    """Quota, default requests and limits, and a default-deny network with DNS and the
    namespace's own pods allowed: by composition resource name."""
    meta = {"namespace": namespace}
    return {
        "resource-quota": {
            "apiVersion": "v1",
            "kind": "ResourceQuota",
            "metadata": {"name": "tenant-quota", **meta},
            "spec": {
                "hard": {
                    "requests.cpu": quota.cpu,
                    "requests.memory": quota.memory,
                    "pods": str(quota.pods),
                    "requests.storage": quota.storage,
                    "services.loadbalancers": "0",
                    "services.nodeports": "0",
                }
            },
        },
        "limit-range": {
            "apiVersion": "v1",
            "kind": "LimitRange",
            "metadata": {"name": "tenant-defaults", **meta},
            "spec": {
                "limits": [
                    {
                        "type": "Container",
                        "defaultRequest": dict(DEFAULT_REQUEST),
                        "default": dict(DEFAULT_LIMIT),
                    }
                ]
            },
        },
        "network-default-deny": _policy("default-deny", namespace),
        "network-allow-namespace": _policy(
            "allow-same-namespace",
            namespace,
            ingress=[{"from": [{"podSelector": {}}]}],
            egress=[{"to": [{"podSelector": {}}]}],
        ),
        "network-allow-dns": _policy(
            "allow-dns",
            namespace,
            egress=[
                {
                    "to": [
                        {
                            "namespaceSelector": {
                                "matchLabels": {"kubernetes.io/metadata.name": "kube-system"}
                            },
                            "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
                        }
                    ],
                    "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}],
                }
            ],
        ),
    }


def _policy(
    name: str,
    namespace: str,
    *,
    ingress: list[dict[str, Any]] | None = None,
    egress: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """A NetworkPolicy over every pod of `namespace`, isolating both directions: what is not
    listed (nothing, for default-deny) is denied."""
    spec: dict[str, Any] = {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    if ingress:
        spec["ingress"] = ingress
    if egress:
        spec["egress"] = egress
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": name, "namespace": namespace},
        "spec": spec,
    }


def compose_access(
    xr: Composite[ClusterParameters], out: Desired, host: Cluster, namespace: str, config: str
) -> None:
    """RoleBindings of the built-in admin and view ClusterRoles to OIDC groups and users."""
    oidc = host.parameters.oidc
    assert oidc is not None  # checked: namespace tenants need the host's OIDC
    prefixes = (oidc.groups_prefix, oidc.username_prefix)
    for key, role, entries in (
        ("admins", "admin", xr.params.access.admins),
        ("viewers", "view", xr.params.access.viewers),
    ):
        if entries:
            manifest = binding(
                "RoleBinding", f"tenant-{key}", role, subjects(entries, prefixes), namespace
            )
            out.add(
                key,
                kubernetes_object(xr, key, manifest, config),
                stage=ACCESS,
                after=["namespace"],
            )


def protect_host(xr: Composite[ClusterParameters], out: Desired, host: Cluster, by: str) -> None:
    """The host cannot be deleted while this tenant's namespace (the Object `by`) exists."""
    protect_composite(
        out,
        HOST_USAGE_KEY,
        CompositeRef(host.api_version, "XCluster", host.xr_name),
        by=Used(by, KUBERNETES_OBJECT),
        reason=f"tenant {xr.name} runs in namespace {tenant_namespace(xr)} on it",
        after=[by],
    )


def report(xr: Composite[ClusterParameters], out: Desired, host: Cluster, namespace: str) -> None:
    ready = out.is_ready("namespace")
    report_tenant(
        xr,
        out,
        host,
        namespace,
        endpoint=host.info.endpoint,
        ready=ready,
        waiting_for="the namespace on the host",
    )
    # Once the namespace exists, even while its status is missing (a restore): the details come
    # from the host alone, and withholding them would empty the tenant's connection secret.
    if ready or xr.observed.get("namespace") is not None:
        ca = host.info.certificate_authority_data
        out.connection(
            kubeconfig=kubeconfig(xr, host, namespace),
            server=host.info.endpoint,
            endpoint=host.info.endpoint,
            namespace=namespace,
            **{"certificate-authority-data": ca},
        )


def kubeconfig(xr: Composite[ClusterParameters], host: Cluster, namespace: str) -> str:
    """Signs in through the host's OIDC provider (kubelogin): no static token to leak."""
    oidc = host.parameters.oidc
    assert oidc is not None
    cluster: dict[str, Any] = {"server": host.info.endpoint}
    if host.info.certificate_authority_data:
        cluster["certificate-authority-data"] = host.info.certificate_authority_data
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": host.info.name or host.xr_name, "cluster": cluster}],
        "users": [
            {
                "name": "oidc",
                "user": {
                    "exec": {
                        "apiVersion": "client.authentication.k8s.io/v1beta1",
                        "command": "kubectl",
                        "args": [
                            "oidc-login",
                            "get-token",
                            f"--oidc-issuer-url={oidc.issuer_url}",
                            f"--oidc-client-id={oidc.client_id}",
                        ],
                        "interactiveMode": "IfAvailable",
                    }
                },
            }
        ],
        "contexts": [
            {
                "name": namespace,
                "context": {
                    "cluster": host.info.name or host.xr_name,
                    "namespace": namespace,
                    "user": "oidc",
                },
            }
        ],
        "current-context": namespace,
    }
    return yaml.safe_dump(config, sort_keys=True)
