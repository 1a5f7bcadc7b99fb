"""EKS managed addons, and the EBS CSI driver's AWS identity through EKS Pod Identity."""

from __future__ import annotations

from typing import Any

from functions.kit import Composite
from functions.resources.kinds import ADDON, POD_IDENTITY_ASSOCIATION

from .parameters import ClusterParameters

# Installed right after the control plane: nodes cannot become Ready without a CNI.
BEFORE_NODES = ("vpc-cni", "kube-proxy")
# Installed once nodes exist: their pods need somewhere to run before the addon turns ACTIVE.
AFTER_NODES = ("coredns", "eks-pod-identity-agent")
EBS_CSI = "aws-ebs-csi-driver"
EBS_CSI_SERVICE_ACCOUNT = ("kube-system", "ebs-csi-controller-sa")


def key(addon: str) -> str:
    return f"addon-{addon}"


def addon(xr: Composite[ClusterParameters], name: str) -> dict[str, Any]:
    # No addonVersion: EKS installs the default version for the cluster's Kubernetes version.
    # OVERWRITE: a new cluster never fails on an addon (or its config) that already exists.
    return xr.shape.managed(
        ADDON,
        xr.resource_name(key(name)),
        {
            "region": xr.params.region,
            "clusterNameRef": xr.shape.ref(xr.resource_name("eks-cluster")),
            "addonName": name,
            "resolveConflictsOnCreate": "OVERWRITE",
            "resolveConflictsOnUpdate": "OVERWRITE",
            "tags": xr.tags(),
        },
    )


def ebs_csi_pod_identity(xr: Composite[ClusterParameters]) -> dict[str, Any]:
    namespace, service_account = EBS_CSI_SERVICE_ACCOUNT
    return xr.shape.managed(
        POD_IDENTITY_ASSOCIATION,
        xr.resource_name("ebs-csi-pod-identity"),
        {
            "region": xr.params.region,
            "clusterNameRef": xr.shape.ref(xr.resource_name("eks-cluster")),
            "namespace": namespace,
            "serviceAccount": service_account,
            "roleArnRef": xr.shape.ref(xr.resource_name("ebs-csi-role")),
            "tags": xr.tags(),
        },
    )
