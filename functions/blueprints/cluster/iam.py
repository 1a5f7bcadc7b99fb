"""IAM roles: the control plane's, the nodes', and the EBS CSI driver's (via EKS Pod Identity)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from functions.kit import Composite, Desired, dns_label
from functions.resources import iam
from functions.resources.regions import partition

from .parameters import ClusterParameters
from .stages import ADDONS, CONTROL_PLANE, NODES

CLUSTER_ROLE_POLICIES = {"cluster-role-policy": "AmazonEKSClusterPolicy"}
NODE_ROLE_POLICIES = {
    "node-role-worker-policy": "AmazonEKSWorkerNodePolicy",
    "node-role-ecr-policy": "AmazonEC2ContainerRegistryReadOnly",
    "node-role-cni-policy": "AmazonEKS_CNI_Policy",
}
EBS_CSI_ROLE_POLICIES = {"ebs-csi-role-policy": "service-role/AmazonEBSCSIDriverPolicy"}
IAM_ROLE_NAME_MAX = 64


def role_name(xr: Composite[ClusterParameters], role_key: str) -> str:
    """The IAM role's name, unique in the account (where IAM names live) and stable forever.

    Claim mode: `<xr>-<role>`; the cluster-scoped XR's name already carries a hash of the claim's
    namespace and name, and these names are what existing clusters have. Namespaced mode:
    `<namespace>-<xr>-<role>`, so `team-a/platform` and `team-b/platform` never share a role.
    Once a role exists its name is read back from it: a role cannot be renamed (ForceNew), so a
    namespaced cluster composed before namespaces were part of the name keeps its roles.
    """
    observed = xr.observed.get(role_key)
    if observed is not None:
        name = observed.get("metadata", "annotations", "crossplane.io/external-name")
        if isinstance(name, str) and name:
            return name
    if xr.namespace is None:
        return xr.resource_name(role_key)
    return dns_label(xr.namespace, xr.name, role_key, max_len=IAM_ROLE_NAME_MAX)


def managed_policy_arn(region: str, name: str) -> str:
    return f"arn:{partition(region)}:iam::aws:policy/{name}"


@dataclass(frozen=True)
class RoleSpec:
    """An IAM role a service assumes, with the AWS managed policies attached to it."""

    key: str
    service: str  # the service principal allowed to assume it
    description: str
    policies: dict[str, str]  # attachment key -> AWS managed policy name
    stage: str

    @property
    def keys(self) -> list[str]:
        """The role's composition resource name and its policy attachments'."""
        return [self.key, *self.policies]


def roles(cluster_name: str) -> tuple[RoleSpec, ...]:
    return (
        RoleSpec(
            "cluster-role",
            "eks.amazonaws.com",
            f"EKS control plane of {cluster_name}",
            CLUSTER_ROLE_POLICIES,
            CONTROL_PLANE,
        ),
        RoleSpec(
            "node-role",
            "ec2.amazonaws.com",
            f"EKS nodes of {cluster_name}",
            NODE_ROLE_POLICIES,
            NODES,
        ),
        RoleSpec(
            "ebs-csi-role",
            iam.PODS,
            f"EBS CSI driver of {cluster_name}",
            EBS_CSI_ROLE_POLICIES,
            ADDONS,
        ),
    )


def compose(xr: Composite[ClusterParameters], out: Desired, cluster_name: str) -> list[str]:
    """Add the roles and their policy attachments; returns their composition resource names.

    Who needs each role to be deleted (the cluster, the node groups, the EBS CSI driver) keeps
    it, and its policies, with a Usage.
    """
    keys: list[str] = []
    for spec in roles(cluster_name):
        out.add(spec.key, role(xr, spec), stage=spec.stage)
        for attachment_key, policy in spec.policies.items():
            out.add(
                attachment_key, attachment(xr, attachment_key, spec.key, policy), stage=spec.stage
            )
        keys += spec.keys
    return keys


def role(xr: Composite[ClusterParameters], spec: RoleSpec) -> dict[str, Any]:
    return iam.role(
        xr,
        spec.key,
        service=spec.service,
        description=spec.description,
        external_name=role_name(xr, spec.key),
    )


def attachment(
    xr: Composite[ClusterParameters], key: str, role_key: str, policy: str
) -> dict[str, Any]:
    return iam.attachment(
        xr, key, role_key=role_key, policy_arn=managed_policy_arn(xr.params.region, policy)
    )
