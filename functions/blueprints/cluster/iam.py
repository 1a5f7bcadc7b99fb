"""IAM roles: the control plane's, the nodes', and the EBS CSI driver's (via EKS Pod Identity)."""

from __future__ import annotations

import json
from typing import Any

from functions.kit import Composite, Desired
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
        name = xr.resource_name(role_key)
        out.add(
            role_key,
            xr.shape.managed(
                ROLE,
                name,
                {
                    "assumeRolePolicy": trust_policy(service, tag_session=tag_session),
                    "description": description,
                    "tags": xr.tags(),
                },
                external_name=name,
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
