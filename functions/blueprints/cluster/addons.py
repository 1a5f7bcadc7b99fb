"""EKS managed addons, and the EBS CSI driver's AWS identity through EKS Pod Identity."""

from __future__ import annotations

import json
from typing import Any

from functions.kit import ComposeError, Composite, Observed
from functions.resources import eks_addons
from functions.resources.kinds import ADDON, POD_IDENTITY_ASSOCIATION

from .control_plane import reported_version
from .keys import CLUSTER_KEY
from .parameters import ClusterParameters

# Installed right after the control plane: nodes cannot become Ready without a CNI.
BEFORE_NODES = ("vpc-cni", "kube-proxy")
# Installed once nodes exist: their pods need somewhere to run before the addon turns ACTIVE.
AFTER_NODES = ("coredns", "eks-pod-identity-agent")
EBS_CSI = "aws-ebs-csi-driver"
EBS_CSI_SERVICE_ACCOUNT = ("kube-system", "ebs-csi-controller-sa")


def key(addon: str) -> str:
    return f"addon-{addon}"


# Add-on configuration (the add-on's own JSON schema, `aws eks describe-addon-configuration`).
# The VPC CNI enforces NetworkPolicies only with its network policy agent on: without it the
# tenants' and in-cluster databases' default-deny policies would be accepted and ignored.
CONFIGURATION: dict[str, dict[str, str]] = {"vpc-cni": {"enableNetworkPolicy": "true"}}


def addon(xr: Composite[ClusterParameters], name: str) -> dict[str, Any]:
    # OVERWRITE: a new cluster never fails on an addon (or its config) that already exists.
    for_provider: dict[str, Any] = {
        "region": xr.params.region,
        "clusterNameRef": xr.ref(CLUSTER_KEY),
        "addonName": name,
        "addonVersion": addon_version(xr, name),
        "resolveConflictsOnCreate": "OVERWRITE",
        "resolveConflictsOnUpdate": "OVERWRITE",
        "tags": xr.tags(),
    }
    if name in CONFIGURATION:
        for_provider["configurationValues"] = json.dumps(CONFIGURATION[name], sort_keys=True)
    return xr.shape.managed(ADDON, xr.resource_name(key(name)), for_provider)


def addon_version(xr: Composite[ClusterParameters], name: str) -> str:
    """The version to compose: the developer's pin, else Paved's table for the version the
    control plane *reports* running, so a cluster upgrade upgrades add-ons only after the control
    plane; never older than what runs (EKS cannot downgrade an add-on)."""
    observed = xr.observed.get(key(name))
    running = _observed_version(observed)
    pinned = xr.params.addon_versions.get(name)
    if pinned is not None:
        if running is not None and eks_addons.newer(running, pinned):
            field = "spec.parameters.addonVersions." + _camel(name)
            raise ComposeError(field, f"{name} runs {running}; EKS cannot downgrade it to {pinned}")
        return pinned
    minor = reported_version(xr)
    if minor not in eks_addons.ADDON_VERSIONS:
        if running is not None:
            # The control plane's version is unknown (no status): keep what runs.
            return running
        minor = xr.params.version
    wanted = eks_addons.ADDON_VERSIONS[minor][name]
    if running is not None and eks_addons.newer(running, wanted):
        return running
    return wanted


def _observed_version(observed: Observed | None) -> str | None:
    """What the add-on runs: its status, else its spec (late-initialized by the provider)."""
    if observed is None:
        return None
    for version in (
        observed.at_provider("addonVersion"),
        observed.get("spec", "forProvider", "addonVersion"),
    ):
        if isinstance(version, str) and eks_addons.version_key(version) is not None:
            return version
    return None


def _camel(name: str) -> str:
    first, *rest = name.split("-")
    return first + "".join(part.title() for part in rest)


def ebs_csi_pod_identity(xr: Composite[ClusterParameters]) -> dict[str, Any]:
    namespace, service_account = EBS_CSI_SERVICE_ACCOUNT
    return xr.shape.managed(
        POD_IDENTITY_ASSOCIATION,
        xr.resource_name("ebs-csi-pod-identity"),
        {
            "region": xr.params.region,
            "clusterNameRef": xr.ref(CLUSTER_KEY),
            "namespace": namespace,
            "serviceAccount": service_account,
            "roleArnRef": xr.ref("ebs-csi-role"),
            "tags": xr.tags(),
        },
    )
