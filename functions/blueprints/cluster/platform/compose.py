"""Staging the platform, its deletion order and its status.

Everything here is in the kit's stage `Platform` (its `PlatformReady` condition). Within it, each
step waits for the one before to be Ready:
1. the cluster is ready to deploy into (ProviderConfigs, nodes, coredns, the default
   StorageClass); the components' IAM roles come with the cluster, their Pod Identity
   associations once the agent runs;
2. the load balancer controller (its webhook intercepts every Service, so it serves first);
3. every other Release;
4. what needs a chart's CRDs (Kyverno policies, ClusterIssuer, ClusterSecretStore), each once
   its chart's Release is Ready;
5. the bootstrap Application, once the rest of the platform is Ready.

Deletion runs the other way: Applications, then the load balancer controller (it deletes the
load balancers it made), then the rest, then the nodes and the cluster.
"""

from __future__ import annotations

from functions.kit import Composite, Desired

from .. import addons
from ..control_plane import cluster_name
from ..parameters import ClusterParameters, ClusterStatus
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
from .build import STAGE, Platform, release_key
from .parameters import ComponentStatus, PlatformStatus

# Objects that need their component's Release (its CRDs, its controller) to be deleted: while any
# is still there, the Release of a component being removed stays.
DEPENDENTS = {
    "argocd": (argocd.BOOTSTRAP_KEY,),
    "kyverno": ("kyverno-policy-",),
    "cert_manager": (cert_manager.ISSUER_KEY,),
    "external_secrets": (external_secrets.STORE_KEY,),
}
APPLICATIONS = (argocd.BOOTSTRAP_KEY, argocd.HUB_BOOTSTRAP_KEY)
# Every component, by its name in the parameters and in status.platform (the model's alias).
STATUS_NAMES = {name: field.alias or name for name, field in PlatformStatus.model_fields.items()}
RELEASES = tuple(release_key(component) for component in STATUS_NAMES)


def is_platform_key(key: str) -> bool:
    """Whether composition resource `key` is the platform's (a component's Release or one of
    its resources: `kyverno`, `kyverno-policy-...`, `argocd-hub-role`...)."""
    return key in RELEASES or key.startswith(tuple(f"{release}-" for release in RELEASES))


def compose(
    xr: Composite[ClusterParameters],
    out: Desired,
    *,
    ready_to_deploy: list[str],
    pools: list[str],
    pod_identity_agent: str,
) -> None:
    """Add every enabled component, in the Platform stage, with its deletion order."""
    settings = xr.params.platform
    argocd.validate(settings.argocd, xr.observed.get(argocd.HUB_CLUSTER_KEY))
    kyverno.validate(settings.kyverno.policies)
    name = cluster_name(xr)
    platform = Platform(xr, out, ready_to_deploy, pools, pod_identity_agent)
    # Turned off, the component goes: its objects first, its Release once they are gone.
    installed = {c for c in STATUS_NAMES if getattr(settings, c).enabled or _uninstalling(xr, c)}
    out.remove_unplanned(is_platform_key, "turned off in spec.parameters.platform")
    for component in sorted(installed):
        turned_off = not getattr(settings, component).enabled or (
            component == "argocd" and settings.argocd.mode != "local"
        )
        if turned_off and _uninstalling(xr, component):
            out.note(f"{release_key(component)}: uninstalled once its objects are deleted")

    if "load_balancer_controller" in installed:
        platform.first = [load_balancer_controller.compose(platform, name)]
    if "cert_manager" in installed:
        cert_manager.compose(platform, issuer=settings.cert_manager.enabled)
    if "kyverno" in installed:
        kyverno.compose(platform, policies=settings.kyverno.enabled)
    if "external_secrets" in installed:
        external_secrets.compose(platform, name, store=settings.external_secrets.enabled)
    if "metrics_server" in installed:
        metrics_server.compose(platform)
    monitoring_key = monitoring.compose(platform) if "monitoring" in installed else None
    if "cloudnative_pg" in installed:
        cloudnative_pg.compose(platform, monitoring=monitoring_key)
    if "argocd" in installed:
        # The team's workloads arrive on a finished platform: policies first, then workloads.
        rest = [key for keys in platform.keys.values() for key in keys]
        argocd.compose(
            platform, name, workloads_after=rest, uninstalling=_uninstalling(xr, "argocd")
        )

    _volumes_before_their_driver(platform)
    _load_balancers_last(platform)
    report(platform)


def _uninstalling(xr: Composite[ClusterParameters], component: str) -> bool:
    """Turned off (or Argo CD moved to a hub) while objects that need its Release remain."""
    if component not in DEPENDENTS or release_key(component) not in xr.observed:
        return False
    return any(key.startswith(DEPENDENTS[component]) for key in xr.observed)


def _volumes_before_their_driver(platform: Platform) -> None:
    """The EBS CSI driver, with its AWS identity, deletes the volumes of the workloads the
    Applications delete: it goes after them."""
    driver = [
        addons.key(addons.EBS_CSI),
        "ebs-csi-pod-identity",
        "ebs-csi-role",
        "ebs-csi-role-policy",
    ]
    for keys in platform.keys.values():
        for app in (key for key in keys if key in APPLICATIONS):
            for used in driver:
                platform.use(used, app)


def _load_balancers_last(platform: Platform) -> None:
    """Applications go first (their load balancers with them), then the controller that deletes
    those load balancers in AWS, then the rest of the platform."""
    controller = release_key("load_balancer_controller")
    if controller not in platform.keys.get("load_balancer_controller", []):
        return
    for component, keys in platform.keys.items():
        for key in keys:
            if key in APPLICATIONS:
                platform.use(controller, key)
            elif component != "load_balancer_controller" and key == release_key(component):
                platform.use(key, controller)


def report(platform: Platform) -> None:
    """status.platform.<component>: {version, ready} of every enabled component."""
    xr, out = platform.xr, platform.out
    settings = xr.params.platform
    components: dict[str, ComponentStatus] = {}
    for component in STATUS_NAMES:
        if not getattr(settings, component).enabled:
            continue
        keys = platform.keys.get(component, [])
        release = release_key(component)
        version = None
        if release in keys:
            observed = xr.observed.get(release)
            installed = observed.at_provider("version") if observed else None
            version = str(installed) if installed else platform.version(component)
        components[component] = ComponentStatus(
            version=version, ready=bool(keys) and all(_ready(out, key) for key in keys)
        )
    if components:
        out.status_model(ClusterStatus(platform=PlatformStatus(**components)))

    if not platform.keys:
        # Nothing in the Platform stage: the kit has no stage to report on.
        out.condition(f"{STAGE}Ready", True, "Available", "no platform component is enabled")


def _ready(out: Desired, key: str) -> bool:
    return key in out.resources and out.resources[key].ready
