"""AWS Load Balancer Controller: ALBs for Ingresses and NLBs for Services, with its own IAM role
bound to its service account by EKS Pod Identity."""

from __future__ import annotations

import functools
import json
from importlib import resources
from typing import Any

from functions.kit import Composite
from functions.resources.regions import partition

from .build import Platform, release_key

COMPONENT = "load_balancer_controller"
SERVICE_ACCOUNT = ("kube-system", "aws-load-balancer-controller")
# kubernetes-sigs/aws-load-balancer-controller v3.5.0 docs/install/iam_policy.json, unchanged
# (see data/SOURCES.md).
IAM_POLICY_FILE = "aws-load-balancer-controller-iam-policy.json"


@functools.cache
def _published_policy() -> str:
    return (resources.files(__package__) / "data" / IAM_POLICY_FILE).read_text()


def iam_policy(region: str) -> dict[str, Any]:
    """The controller's published policy, for the region's partition."""
    text = _published_policy()
    aws_partition = partition(region)
    if aws_partition != "aws":
        text = text.replace('"arn:aws:', f'"arn:{aws_partition}:')
    document: dict[str, Any] = json.loads(text)
    return document


@functools.cache
def iam_policy_json(region: str) -> str:
    """`iam_policy` as the IAM Policy's compact JSON, once per region (it is 10 KB)."""
    return json.dumps(iam_policy(region), sort_keys=True, separators=(",", ":"))


def compose(platform: Platform, cluster_name: str) -> str:
    xr = platform.xr
    association = platform.pod_identity(
        COMPONENT,
        SERVICE_ACCOUNT,
        iam_policy_json(xr.params.region),
        f"AWS Load Balancer Controller of EKS cluster {cluster_name}",
    )
    _, service_account = SERVICE_ACCOUNT
    values: dict[str, Any] = {
        "clusterName": cluster_name,
        "region": xr.params.region,
        "serviceAccount": {"create": True, "name": service_account},
    }
    # Set explicitly: the controller otherwise asks the instance metadata service, which
    # pods cannot reach on nodes with IMDSv2's hop limit of 1.
    vpc = vpc_id(xr)
    if vpc:
        values["vpcId"] = vpc
    return platform.release(COMPONENT, values, after=[association, "vpc"])


def vpc_id(xr: Composite[Any]) -> str | None:
    """The VPC's id; while it cannot be read, the one the release was installed with."""
    vpc = xr.observed.get("vpc")
    found = vpc.at_provider("id") if vpc else None
    if not found:
        installed = xr.observed.get(release_key(COMPONENT))
        found = installed.get("spec", "forProvider", "values", "vpcId") if installed else None
    return str(found) if found else None
