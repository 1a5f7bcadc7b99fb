"""IAM roles: the control plane's, the nodes', and the EBS CSI driver's (via EKS Pod Identity)."""

from __future__ import annotations

import json
from typing import Any

from functions.kit import Composite, Desired, dns_label
from functions.resources.arns import partition
from functions.resources.kinds import ROLE, ROLE_POLICY_ATTACHMENT

from .parameters import ClusterParameters

CLUSTER_ROLE_POLICIES = {"cluster-role-policy": "AmazonEKSClusterPolicy"}
NODE_ROLE_POLICIES = {
    "node-role-worker-policy": "AmazonEKSWorkerNodePolicy",
    "node-role-ecr-policy": "AmazonEC2ContainerRegistryReadOnly",
    "node-role-cni-policy": "AmazonEKS_CNI_Policy",
}
EBS_CSI_ROLE_POLICIES = {"ebs-csi-role-policy": "service-role/AmazonEBSCSIDriverPolicy"}
IAM_ROLE_NAME_MAX = 64


def principal_tags(xr: Composite[ClusterParameters]) -> dict[str, str]:
    """Only Paved's identifying tags: on an IAM role, tags are principal tags that IAM policies
    can grant access by (ABAC), so a developer's tags must not reach them."""
    return {k: v for k, v in xr.tags().items() if k.startswith("paved.dev/")}


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


def trust_policy(service: str, *, tag_session: bool = False) -> str:
    actions = ["sts:AssumeRole", "sts:TagSession"] if tag_session else "sts:AssumeRole"
    policy = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": actions}],
    }
    return json.dumps(policy, sort_keys=True)


def compose(xr: Composite[ClusterParameters], out: Desired, cluster_name: str) -> list[str]:
    """Add the roles and their policy attachments; returns their composition resource names."""
    keys: list[str] = []
    roles = (
        (
            "cluster-role",
            "eks.amazonaws.com",
            False,
            f"EKS control plane of {cluster_name}",
            CLUSTER_ROLE_POLICIES,
        ),
        (
            "node-role",
            "ec2.amazonaws.com",
            False,
            f"EKS nodes of {cluster_name}",
            NODE_ROLE_POLICIES,
        ),
        # Pod Identity sessions are tagged, so the trust policy must allow sts:TagSession.
        (
            "ebs-csi-role",
            "pods.eks.amazonaws.com",
            True,
            f"EBS CSI driver of {cluster_name}",
            EBS_CSI_ROLE_POLICIES,
        ),
    )
    for role_key, service, tag_session, description, policies in roles:
        out.add(
            role_key,
            xr.shape.managed(
                ROLE,
                xr.resource_name(role_key),
                {
                    "assumeRolePolicy": trust_policy(service, tag_session=tag_session),
                    "description": description,
                    "tags": principal_tags(xr),
                },
                external_name=role_name(xr, role_key),
            ),
        )
        keys.append(role_key)
        for attachment_key, policy in policies.items():
            out.add(attachment_key, attachment(xr, attachment_key, role_key, policy))
            keys.append(attachment_key)
    return keys


def attachment(
    xr: Composite[ClusterParameters], key: str, role_key: str, policy: str
) -> dict[str, Any]:
    return xr.shape.managed(
        ROLE_POLICY_ATTACHMENT,
        xr.resource_name(key),
        {
            "policyArn": managed_policy_arn(xr.params.region, policy),
            "roleRef": xr.shape.ref(xr.resource_name(role_key)),
        },
    )
