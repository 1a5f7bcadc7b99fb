"""EKS managed add-on versions Paved composes, per Kubernetes minor version: one table, one source.

Source: the Amazon EKS User Guide's "latest version of the Amazon EKS add-on type for each
Kubernetes version" tables, as published on docs.amazonaws.cn/eks/latest/userguide (the snapshot
that lists Kubernetes 1.34 with vpc-cni v1.20.4-eksbuild.1):
- vpc-cni:    https://docs.amazonaws.cn/eks/latest/userguide/pod-networking.html
- kube-proxy: https://docs.amazonaws.cn/eks/latest/userguide/managing-kube-proxy.html
- coredns:    https://docs.aws.amazon.com/eks/latest/userguide/managing-coredns.html
eks-pod-identity-agent and aws-ebs-csi-driver have no per-Kubernetes table in the guide (one build
serves every supported version); the builds below are the ones `aws eks describe-addon` reported on
running 1.32 and 1.33 clusters (public upgrade logs found with the code search). Each can be
overridden per cluster with `spec.parameters.addonVersions`.

Refresh: `aws eks describe-addon-versions --addon-name <name> --kubernetes-version <minor>
--query 'addons[].addonVersions[?compatibilities[?defaultVersion]].addonVersion'`.
"""

from __future__ import annotations

import re

VPC_CNI = "vpc-cni"
KUBE_PROXY = "kube-proxy"
COREDNS = "coredns"
POD_IDENTITY_AGENT = "eks-pod-identity-agent"
EBS_CSI_DRIVER = "aws-ebs-csi-driver"

_VPC_CNI = "v1.20.4-eksbuild.1"
_POD_IDENTITY_AGENT = "v1.3.8-eksbuild.2"
_EBS_CSI_DRIVER = "v1.48.0-eksbuild.2"

ADDON_VERSIONS: dict[str, dict[str, str]] = {
    "1.31": {
        VPC_CNI: _VPC_CNI,
        KUBE_PROXY: "v1.31.13-eksbuild.2",
        COREDNS: "v1.11.4-eksbuild.24",
        POD_IDENTITY_AGENT: _POD_IDENTITY_AGENT,
        EBS_CSI_DRIVER: _EBS_CSI_DRIVER,
    },
    "1.32": {
        VPC_CNI: _VPC_CNI,
        KUBE_PROXY: "v1.32.9-eksbuild.2",
        COREDNS: "v1.11.4-eksbuild.24",
        POD_IDENTITY_AGENT: _POD_IDENTITY_AGENT,
        EBS_CSI_DRIVER: _EBS_CSI_DRIVER,
    },
    "1.33": {
        VPC_CNI: _VPC_CNI,
        KUBE_PROXY: "v1.33.5-eksbuild.2",
        COREDNS: "v1.12.4-eksbuild.1",
        POD_IDENTITY_AGENT: _POD_IDENTITY_AGENT,
        EBS_CSI_DRIVER: _EBS_CSI_DRIVER,
    },
    "1.34": {
        VPC_CNI: _VPC_CNI,
        KUBE_PROXY: "v1.34.1-eksbuild.2",
        COREDNS: "v1.12.4-eksbuild.1",
        POD_IDENTITY_AGENT: _POD_IDENTITY_AGENT,
        EBS_CSI_DRIVER: _EBS_CSI_DRIVER,
    },
}

# v1.20.4-eksbuild.1: what EKS accepts as an add-on version.
ADDON_VERSION_PATTERN = r"^v\d+\.\d+\.\d+(-[a-z0-9.]+)?-eksbuild\.\d+$"
_PARTS = re.compile(r"^v(\d+)\.(\d+)\.(\d+)(?:-[a-z0-9.]+)?-eksbuild\.(\d+)$")


def version_key(version: str) -> tuple[int, int, int, int] | None:
    """A sortable form of an add-on version, or None if it is not one."""
    match = _PARTS.match(version)
    if match is None:
        return None
    major, minor, patch, build = (int(part) for part in match.groups())
    return major, minor, patch, build


def newer(a: str, b: str) -> bool:
    """Whether add-on version `a` is newer than `b` (False when either cannot be read)."""
    key_a, key_b = version_key(a), version_key(b)
    return key_a is not None and key_b is not None and key_a > key_b
