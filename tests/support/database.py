"""XDatabase examples and helpers the database tests share: given these XRs, this steady state."""

from __future__ import annotations

from typing import Any

from functions import simulate
from support.compose import load_xr, namespaced, with_parameters

POSTGRES = load_xr("database/claim-postgres.yaml")
MYSQL = load_xr("database/claim-mysql.yaml")
ON_CLUSTER = load_xr("database/xr-postgres.yaml")  # namespaced, network.clusterRef: platform
ON_CLUSTER_CLAIM = simulate.claim_to_xr({**ON_CLUSTER, "kind": "Database"})

NODE_SG = "sg-0c0ffee0c0ffee000"
CLUSTER_STATUS = {
    "name": "platform",
    "endpoint": "https://0123456789ABCDEF.gr7.eu-west-1.eks.amazonaws.com",
    "version": "1.33",
    "oidcIssuerUrl": "https://oidc.eks.eu-west-1.amazonaws.com/id/0123456789ABCDEF",
    "vpcId": "vpc-0c1a2b3c4d5e6f708",
    "privateSubnetIds": ["subnet-0c1a2b3c4d5e60011", "subnet-0c1a2b3c4d5e60012"],
    "publicSubnetIds": ["subnet-0c1a2b3c4d5e60021", "subnet-0c1a2b3c4d5e60022"],
    "nodeSecurityGroupId": NODE_SG,
    "region": "eu-west-1",
}


def cluster(kind: str = "XCluster", namespace: str = "team-a", **status_: Any) -> dict[str, Any]:
    """The XCluster (or Cluster claim) the database is placed next to, as Crossplane reads it."""
    return {
        "apiVersion": "platform.paved.dev/v1alpha1",
        "kind": kind,
        "metadata": {"name": "platform", "namespace": namespace},
        "status": {"cluster": {**CLUSTER_STATUS, **status_}},
    }


REQUIRED = {"cluster": [cluster()]}
REQUIRED_CLAIM = {"cluster": [cluster("Cluster")]}

# (xr, required resources) by example and mode.
EXAMPLES: dict[str, tuple[dict[str, Any], dict[str, list[dict[str, Any]]] | None]] = {
    "claim-postgres": (POSTGRES, None),
    "namespaced-postgres": (namespaced(POSTGRES), None),
    "claim-mysql": (MYSQL, None),
    "namespaced-mysql": (namespaced(MYSQL, "team-b"), None),
    "namespaced-on-cluster": (ON_CLUSTER, REQUIRED),
    "claim-on-cluster": (ON_CLUSTER_CLAIM, REQUIRED_CLAIM),
}


def engine(xr: dict[str, Any], name: str) -> dict[str, Any]:
    """The same XR with another engine at that engine's default version."""
    changed = with_parameters(xr, engine=name)
    changed["spec"]["parameters"].pop("version", None)
    return changed


def for_provider(resources: dict[str, dict[str, Any]], key: str) -> dict[str, Any]:
    return resources[key]["spec"]["forProvider"]
