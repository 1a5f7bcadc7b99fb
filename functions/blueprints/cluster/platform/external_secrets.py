"""External Secrets Operator: Kubernetes Secrets from AWS Secrets Manager, reading only the
secrets under this cluster's prefix, through a Pod Identity role; and a ClusterSecretStore."""

from __future__ import annotations

from typing import Any

from functions.kit import CLAIM_NAME_LABEL, CLAIM_NAMESPACE_LABEL, Composite
from functions.resources.regions import partition

from .build import OBJECT_ANY_ORDER, Platform

COMPONENT = "external_secrets"
SERVICE_ACCOUNT = ("external-secrets", "external-secrets")
STORE_KEY = "external-secrets-store"
STORE_NAME = "aws-secrets-manager"


def secrets_prefix(xr: Composite[Any]) -> str:
    """`<namespace>/<name>/` of the cluster as its team knows it (the claim's, in claim mode)."""
    configured = xr.params.platform.external_secrets.secrets_prefix
    if configured:
        return str(configured)
    if xr.namespace:
        return f"{xr.namespace}/{xr.name}/"
    if CLAIM_NAME_LABEL in xr.labels:
        return f"{xr.labels.get(CLAIM_NAMESPACE_LABEL, '')}/{xr.labels[CLAIM_NAME_LABEL]}/"
    return f"{xr.name}/"


def iam_policy(region: str, prefix: str) -> dict[str, Any]:
    secrets = f"arn:{partition(region)}:secretsmanager:{region}:*:secret:{prefix}*"
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ReadSecretsUnderPrefix",
                "Effect": "Allow",
                "Action": [
                    "secretsmanager:DescribeSecret",
                    "secretsmanager:GetResourcePolicy",
                    "secretsmanager:GetSecretValue",
                    "secretsmanager:ListSecretVersionIds",
                ],
                "Resource": secrets,
            },
            {
                # Secrets under a customer managed key: decrypt through Secrets Manager only.
                "Sid": "DecryptThroughSecretsManager",
                "Effect": "Allow",
                "Action": "kms:Decrypt",
                "Resource": "*",
                "Condition": {
                    "StringEquals": {"kms:ViaService": f"secretsmanager.{region}.amazonaws.com"}
                },
            },
        ],
    }


def compose(platform: Platform, cluster_name: str, *, store: bool) -> None:
    """`store`: compose the ClusterSecretStore (not while uninstalling)."""
    xr = platform.xr
    association = platform.pod_identity(
        COMPONENT,
        SERVICE_ACCOUNT,
        iam_policy(xr.params.region, secrets_prefix(xr)),
        f"External Secrets Operator of EKS cluster {cluster_name}",
    )
    _, service_account = SERVICE_ACCOUNT
    values = {
        "installCRDs": True,
        "serviceAccount": {"create": True, "name": service_account},
    }
    key = platform.release(COMPONENT, values, after=[association])
    if not store:
        return
    platform.object(
        COMPONENT,
        STORE_KEY,
        cluster_secret_store(xr.params.region),
        after=[key],
        derive_readiness=True,
        any_order=OBJECT_ANY_ORDER,
    )


def cluster_secret_store(region: str) -> dict[str, Any]:
    # No auth block: the operator's SDK uses its Pod Identity credentials.
    return {
        "apiVersion": "external-secrets.io/v1",
        "kind": "ClusterSecretStore",
        "metadata": {"name": STORE_NAME},
        "spec": {"provider": {"aws": {"service": "SecretsManager", "region": region}}},
    }
