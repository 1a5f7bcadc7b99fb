"""Who may use the cluster: EKS access entries with access policies, and OIDC sign-in."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from functions.kit import ComposeError, Composite, short_hash
from functions.resources.kinds import (
    ACCESS_ENTRY,
    ACCESS_POLICY_ASSOCIATION,
    IDENTITY_PROVIDER_CONFIG,
)
from functions.resources.regions import partition

from .keys import CLUSTER_KEY
from .parameters import ClusterParameters, Oidc

# Deleting an access entry deletes its policy associations with it (EKS DeleteAccessEntry); the
# association's own delete then finds nothing left to do.
ENTRY_ANY_ORDER = "EKS deletes an access entry's policy associations with it"
POLICIES = {"admin": "AmazonEKSClusterAdminPolicy", "viewer": "AmazonEKSViewPolicy"}


@dataclass(frozen=True)
class Principal:
    arn: str
    role: str  # admin | viewer

    @property
    def key(self) -> str:
        # Keyed by the principal, not its role: turning a viewer into an admin changes the
        # policy association, it does not delete and recreate the access entry.
        return f"access-{short_hash(self.arn, length=8)}"

    @property
    def policy_key(self) -> str:
        return f"{self.key}-policy"


def principals(params: ClusterParameters) -> list[Principal]:
    found: dict[str, str] = {}
    result = []
    for role, arns in (("admin", params.access.admins), ("viewer", params.access.viewers)):
        field = f"spec.parameters.access.{role}s"
        for i, arn in enumerate(arns):
            if arn in found:
                raise ComposeError(
                    f"{field}[{i}]", f"{arn} is already listed in access.{found[arn]}"
                )
            found[arn] = f"{role}s"
            result.append(Principal(arn, role))
    return result


def access_entry(xr: Composite[ClusterParameters], principal: Principal) -> dict[str, Any]:
    return xr.shape.managed(
        ACCESS_ENTRY,
        xr.resource_name(principal.key),
        {
            "region": xr.params.region,
            "clusterNameRef": xr.ref(CLUSTER_KEY),
            "principalArn": principal.arn,
            "type": "STANDARD",
            "tags": xr.tags(),
        },
    )


def policy_association(xr: Composite[ClusterParameters], principal: Principal) -> dict[str, Any]:
    region = xr.params.region
    policy = f"arn:{partition(region)}:eks::aws:cluster-access-policy/{POLICIES[principal.role]}"
    return xr.shape.managed(
        ACCESS_POLICY_ASSOCIATION,
        xr.resource_name(principal.policy_key),
        {
            "region": region,
            "clusterNameRef": xr.ref(CLUSTER_KEY),
            "principalArn": principal.arn,
            "policyArn": policy,
            "accessScope": {"type": "cluster"},
        },
    )


def identity_provider_config(xr: Composite[ClusterParameters], oidc: Oidc) -> dict[str, Any]:
    return xr.shape.managed(
        IDENTITY_PROVIDER_CONFIG,
        xr.resource_name("oidc-identity-provider"),
        {
            "region": xr.params.region,
            "clusterNameRef": xr.ref(CLUSTER_KEY),
            "oidc": {
                "issuerUrl": oidc.issuer_url,
                "clientId": oidc.client_id,
                "usernameClaim": oidc.username_claim,
                "usernamePrefix": oidc.username_prefix,
                "groupsClaim": oidc.groups_claim,
                "groupsPrefix": oidc.groups_prefix,
            },
            "tags": xr.tags(),
        },
        external_name="oidc",
    )
