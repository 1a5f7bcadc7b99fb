"""IAM roles, policies and attachments, and EKS Pod Identity associations.

Every role Paved composes carries only Paved's identifying tags: on a role, tags are principal
tags that IAM policies can grant access by (ABAC), so a developer's tags must not reach them.
"""

from __future__ import annotations

import functools
import json
from typing import Any

from functions.kit import Composite, DeletionPolicy
from functions.resources.kinds import (
    POD_IDENTITY_ASSOCIATION,
    POLICY,
    ROLE,
    ROLE_POLICY_ATTACHMENT,
)

# EKS Pod Identity: the service principal pods' roles trust.
PODS = "pods.eks.amazonaws.com"


def principal_tags(xr: Composite[Any]) -> dict[str, str]:
    """Only Paved's identifying tags (`paved.dev/...`): what a role may carry."""
    return {k: v for k, v in xr.tags().items() if k.startswith("paved.dev/")}


@functools.cache
def trust_policy(service: str) -> str:
    """Who may assume the role: `service`. Pod Identity sessions are tagged, so a role pods
    assume must also allow sts:TagSession."""
    actions = ["sts:AssumeRole", "sts:TagSession"] if service == PODS else "sts:AssumeRole"
    policy = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": actions}],
    }
    return json.dumps(policy, sort_keys=True)


def role(
    xr: Composite[Any],
    key: str,
    *,
    service: str,
    description: str,
    external_name: str,
    deletion_policy: DeletionPolicy | None = None,
) -> dict[str, Any]:
    """A role `service` assumes, named `external_name` (IAM names are unique in the account)."""
    return xr.shape.managed(
        ROLE,
        xr.resource_name(key),
        {
            "assumeRolePolicy": trust_policy(service),
            "description": description,
            "tags": principal_tags(xr),
        },
        external_name=external_name,
        deletion_policy=deletion_policy,
    )


def policy(
    xr: Composite[Any],
    key: str,
    *,
    document: dict[str, Any] | str,
    description: str,
    external_name: str,
    deletion_policy: DeletionPolicy | None = None,
) -> dict[str, Any]:
    """A customer-managed policy holding `document` (compact JSON)."""
    text = (
        document
        if isinstance(document, str)
        else json.dumps(document, sort_keys=True, separators=(",", ":"))
    )
    return xr.shape.managed(
        POLICY,
        xr.resource_name(key),
        {"policy": text, "description": description, "tags": xr.tags()},
        external_name=external_name,
        deletion_policy=deletion_policy,
    )


def attachment(
    xr: Composite[Any],
    key: str,
    *,
    role_key: str,
    policy_key: str | None = None,
    policy_arn: str | None = None,
    deletion_policy: DeletionPolicy | None = None,
) -> dict[str, Any]:
    """Attaches a composed policy (`policy_key`) or a managed one (`policy_arn`) to a role."""
    attached = {"policyArnRef": xr.ref(policy_key)} if policy_key else {"policyArn": policy_arn}
    return xr.shape.managed(
        ROLE_POLICY_ATTACHMENT,
        xr.resource_name(key),
        {**attached, "roleRef": xr.ref(role_key)},
        deletion_policy=deletion_policy,
    )


def pod_identity_association(
    xr: Composite[Any],
    key: str,
    *,
    cluster: dict[str, Any],
    service_account: tuple[str, str],
    role_key: str,
    deletion_policy: DeletionPolicy | None = None,
) -> dict[str, Any]:
    """Lets `service_account` (namespace, name) of the cluster assume the role. `cluster` is
    `{"clusterNameRef": ...}` for a composed cluster or `{"clusterName": ...}` for another XR's."""
    namespace, name = service_account
    return xr.shape.managed(
        POD_IDENTITY_ASSOCIATION,
        xr.resource_name(key),
        {
            "region": xr.params.region,
            **cluster,
            "namespace": namespace,
            "serviceAccount": name,
            "roleArnRef": xr.ref(role_key),
            "tags": xr.tags(),
        },
        deletion_policy=deletion_policy,
    )
