"""Staging the platform, its deletion order and its status.

Stages, each waiting for the one before to be Ready:
1. the cluster is ready to deploy into (ProviderConfigs, nodes, coredns, the default
   StorageClass); the components' IAM roles already exist (they need nothing);
2. the load balancer controller (its webhook intercepts every Service, so it serves first);
3. every other Release;
4. what needs a chart's CRDs (Kyverno policies, ClusterIssuer, ClusterSecretStore), each once
   its chart's Release is Ready;
5. the bootstrap Application, once the rest of the platform is Ready.

Deletion runs the other way: Applications, then the load balancer controller (it deletes the
load balancers it made), then the rest, then the nodes and the cluster.
"""

from __future__ import annotations

from typing import Any

from functions.kit import Composite, Desired
from functions.resources.kinds import (
    ADDON,
    HELM_RELEASE,
    KUBERNETES_OBJECT,
    POD_IDENTITY_ASSOCIATION,
    ROLE,
    ROLE_POLICY_ATTACHMENT,
)

from .. import addons
from ..control_plane import cluster_name
from ..parameters import ClusterParameters
from ..usages import Use
from . import (
    argocd,
    cert_manager,
    cloudnative_pg,
    external_secrets,
    kyverno,
    load_balancer_controller,
    metrics_server,
    monitoring,
)
from .build import Platform, release_key

# Objects that need their component's Release (its CRDs, its controller) to be deleted: while any
# is still there, the Release of a component being removed stays.
DEPENDENTS = {
    "argocd": (argocd.BOOTSTRAP_KEY,),
    "kyverno": ("kyverno-policy-",),
    "cert_manager": (cert_manager.ISSUER_KEY,),
    "external_secrets": (external_secrets.STORE_KEY,),
}
APPLICATIONS = (argocd.BOOTSTRAP_KEY, argocd.HUB_BOOTSTRAP_KEY)
STATUS_NAMES = {
    "argocd": "argocd",
    "kyverno": "kyverno",
    "load_balancer_controller": "loadBalancerController",
    "cert_manager": "certManager",
    "external_secrets": "externalSecrets",
    "metrics_server": "metricsServer",
    "monitoring": "monitoring",
    "cloudnative_pg": "cloudnativePg",
}


def compose(
    xr: Composite[ClusterParameters],
    out: Desired,
    *,
    ready_to_deploy: list[str],
    pools: list[str],
    pod_identity_agent: str,
) -> list[tuple[str, Use, Use]]:
    """Add every enabled component; returns the platform's deletion order (Usages)."""
    settings = xr.params.platform
    argocd.validate(settings.argocd, xr.observed.get(argocd.HUB_CLUSTER_KEY))
    kyverno.validate(settings.kyverno.policies)
    name = cluster_name(xr)
    platform = Platform(xr, out, ready_to_deploy, pools, pod_identity_agent)

    if settings.load_balancer_controller.enabled:
        platform.first = [load_balancer_controller.compose(platform, name)]
    if settings.cert_manager.enabled:
        cert_manager.compose(platform)
    if settings.kyverno.enabled:
        kyverno.compose(platform)
    if settings.external_secrets.enabled:
        external_secrets.compose(platform, name)
    if settings.metrics_server.enabled:
        metrics_server.compose(platform)
    monitoring_key = monitoring.compose(platform) if settings.monitoring.enabled else None
    if settings.cloudnative_pg.enabled:
        cloudnative_pg.compose(platform, monitoring=monitoring_key)
    if settings.argocd.enabled:
        # The team's workloads arrive on a finished platform: policies first, then workloads.
        rest = [key for keys in platform.keys.values() for key in keys]
        argocd.compose(platform, name, workloads_after=rest)

    _volumes_before_their_driver(platform)
    _load_balancers_last(platform)
    _uninstall_after_dependents(platform)
    report(platform)
    return platform.usages


def _volumes_before_their_driver(platform: Platform) -> None:
    """The EBS CSI driver, with its AWS identity, deletes the volumes of the workloads the
    Applications delete: it goes after them."""
    driver: list[Use] = [
        (ADDON, addons.key(addons.EBS_CSI)),
        (POD_IDENTITY_ASSOCIATION, "ebs-csi-pod-identity"),
        (ROLE, "ebs-csi-role"),
        (ROLE_POLICY_ATTACHMENT, "ebs-csi-role-policy"),
    ]
    for keys in platform.keys.values():
        for app in (key for key in keys if key in APPLICATIONS):
            for of in driver:
                platform.use(of, (KUBERNETES_OBJECT, app))


def _load_balancers_last(platform: Platform) -> None:
    """Applications go first (their load balancers with them), then the controller that deletes
    those load balancers in AWS, then the rest of the platform."""
    controller = release_key("load_balancer_controller")
    if controller not in platform.keys.get("load_balancer_controller", []):
        return
    for component, keys in platform.keys.items():
        for key in keys:
            if key in APPLICATIONS:
                platform.use((HELM_RELEASE, controller), (KUBERNETES_OBJECT, key))
            elif component != "load_balancer_controller" and key == release_key(component):
                platform.use((HELM_RELEASE, key), (HELM_RELEASE, controller))


def _uninstall_after_dependents(platform: Platform) -> None:
    """A component turned off: its Objects are deleted first, its Release once they are gone
    (deleting the Release first would take the CRDs and controller its Objects need)."""
    xr = platform.xr
    for component, prefixes in DEPENDENTS.items():
        key = release_key(component)
        if key in platform.keys.get(component, []) or key not in xr.observed:
            continue
        dependents = [observed for observed in xr.observed if observed.startswith(prefixes)]
        if dependents:
            platform.add(component, key, xr.observed[key].as_desired(), [])
            platform.out.note(
                f"{key}: uninstalled once {', '.join(sorted(dependents))} "
                f"{'is' if len(dependents) == 1 else 'are'} deleted"
            )


def report(platform: Platform) -> None:
    """status.platform.<component>: {version, ready}, and the PlatformReady condition."""
    xr, out = platform.xr, platform.out
    settings = xr.params.platform
    status: dict[str, Any] = {}
    for component, status_name in STATUS_NAMES.items():
        if not getattr(settings, component).enabled:
            continue
        keys = platform.keys.get(component, [])
        release = release_key(component)
        version = None
        if release in keys:
            observed = xr.observed.get(release)
            installed = observed.at_provider("version") if observed else None
            version = str(installed) if installed else platform.version(component)
        status[status_name] = {
            "version": version,
            "ready": bool(keys) and all(_ready(out, key) for key in keys),
        }
        if version is None:
            del status[status_name]["version"]
    if status:
        out.status(platform=status)

    waiting = [key for keys in platform.keys.values() for key in keys if not _ready(out, key)]
    if not waiting:
        out.condition("PlatformReady", True, "Available")
        return
    details = "; ".join(f"{k}: {out.waiting.get(k, 'not ready')}" for k in waiting[:3])
    more = f" and {len(waiting) - 3} more" if len(waiting) > 3 else ""
    out.condition("PlatformReady", False, "Creating", f"waiting for {details}{more}")


def _ready(out: Desired, key: str) -> bool:
    return key in out.resources and out.resources[key].ready
