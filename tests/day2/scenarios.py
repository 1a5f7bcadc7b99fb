"""Running XRs for the day-2 tests: every blueprint in both modes, from the examples.

Plus, per blueprint, what a spec change may remove on purpose (everything else a running XR has
must stay composed: Crossplane deletes what the function stops returning).
"""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import yaml
from support.database import CLUSTER_STATUS
from support.transitions import Removal, Scenario

from functions import simulate
from functions.kit.names import dns_label, short_hash

REPO = Path(__file__).resolve().parents[2]


def _example(path: str) -> dict[str, Any]:
    return yaml.safe_load((REPO / "examples" / path).read_text())


def _namespaced(document: dict[str, Any], namespace: str = "team-a") -> dict[str, Any]:
    """The namespaced XR (XRD v2) with the example's parameters."""
    kind = document["kind"] if document["kind"].startswith("X") else "X" + document["kind"]
    return {
        "apiVersion": document["apiVersion"],
        "kind": kind,
        "metadata": {"name": document["metadata"]["name"], "namespace": namespace},
        "spec": {"parameters": copy.deepcopy(document["spec"]["parameters"])},
    }


def _as_claim(document: dict[str, Any]) -> dict[str, Any]:
    if document["kind"].startswith("X"):
        document = {**document, "kind": document["kind"][1:]}
    return simulate.claim_to_xr(document)


def platform_cluster(kind: str, name: str = "platform", **status: Any) -> dict[str, Any]:
    """The Cluster a database is placed on, as the API server holds it (XR or claim)."""
    return {
        "apiVersion": "platform.paved.dev/v1alpha1",
        "kind": kind,
        "metadata": {"name": name, "namespace": "team-a"},
        "status": {"cluster": {**CLUSTER_STATUS, "name": name, **status}},
    }


# A second cluster in the namespace, for moving a database (network.clusterRef.name).
OTHER_CLUSTER_STATUS = {
    "vpcId": "vpc-0ffffffffffff0001",
    "privateSubnetIds": ["subnet-0ffffffffffff0011", "subnet-0ffffffffffff0012"],
    "nodeSecurityGroupId": "sg-0ffffffffffff0099",
}


def _host(kind: str, name: str = "platform") -> dict[str, Any]:
    """The dedicated host Cluster tenants run on, as Crossplane hands it to them (Ready)."""
    host = copy.deepcopy(_example("cluster/required-host.yaml"))
    host["metadata"]["name"] = name
    if kind == "XCluster":
        host["kind"] = "XCluster"
        host["spec"].pop("resourceRef", None)
    return host


OWN_KEY = "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555"

_BUCKET = _example("bucket/claim.yaml")
_CLUSTER = _example("cluster/claim.yaml")
_DATABASE = _example("database/claim-postgres.yaml")
_DATABASE_ON_CLUSTER = _example("database/xr-postgres.yaml")

SCENARIOS: dict[str, Scenario] = {
    scenario.name: scenario
    for scenario in (
        Scenario("bucket-claim", _as_claim(_BUCKET)),
        Scenario("bucket-namespaced", _namespaced(_BUCKET)),
        Scenario("cluster-claim", _as_claim(_CLUSTER)),
        Scenario("cluster-namespaced", _namespaced(_CLUSTER)),
        *(
            Scenario(
                f"tenant-{isolation}-{mode}",
                (_as_claim if mode == "claim" else _namespaced)(
                    _example(f"cluster/claim-{isolation}.yaml")
                ),
                (_host(kind), _host(kind, "other")),
            )
            for isolation in ("vcluster", "namespace")
            for mode, kind in (("claim", "Cluster"), ("namespaced", "XCluster"))
        ),
        Scenario("database-claim", _as_claim(_DATABASE)),
        Scenario(
            "database-own-key-claim",
            _as_claim(
                {
                    **_DATABASE,
                    "spec": {
                        **_DATABASE["spec"],
                        "parameters": {**_DATABASE["spec"]["parameters"], "kmsKeyArn": OWN_KEY},
                    },
                }
            ),
        ),
        Scenario("database-namespaced", _namespaced(_DATABASE)),
        Scenario(
            "database-on-cluster-claim",
            _as_claim(_DATABASE_ON_CLUSTER),
            (
                platform_cluster("Cluster"),
                platform_cluster("Cluster", "other", **OTHER_CLUSTER_STATUS),
            ),
        ),
        Scenario(
            "database-on-cluster-namespaced",
            _namespaced(_DATABASE_ON_CLUSTER),
            (
                platform_cluster("XCluster"),
                platform_cluster("XCluster", "other", **OTHER_CLUSTER_STATUS),
            ),
        ),
    )
}


def blueprint_of(scenario: str) -> str:
    """bucket, cluster, tenant (a vcluster or namespace Cluster) or database."""
    return scenario.split("-")[0]


# -- what a change removes on purpose ----------------------------------------------------------


def _bucket_removal(key: str, before: dict[str, Any], after: dict[str, Any]) -> bool:
    """Turning a feature off removes what implements it."""
    if key == "lifecycle":
        return not any((after.get("lifecycle") or {}).values())
    if key == "tls-policy":
        return after.get("enforceTls") is False
    if key == "public-access-block":
        return after.get("blockPublicAccess") is False
    return False


def _pool_names(parameters: dict[str, Any]) -> set[str]:
    return {pool["name"] for pool in parameters.get("nodePools") or [{"name": "default"}]}


def _principals(parameters: dict[str, Any]) -> set[str]:
    access = parameters.get("access") or {}
    return set(access.get("admins") or []) | set(access.get("viewers") or [])


def _turned_off(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """Platform components switched off (`platform.<component>.enabled: false`), kebab-cased."""
    old, new = before.get("platform") or {}, after.get("platform") or {}
    return [
        re.sub(r"(?<!^)(?=[A-Z])", "-", name).lower()
        for name in old
        if (old.get(name) or {}).get("enabled", True)
        and (new.get(name) or {}).get("enabled") is False
    ]


def _cluster_removal(key: str, before: dict[str, Any], after: dict[str, Any]) -> bool:
    """A removed node pool, access principal or OIDC provider goes (with its Usages).

    A pool renamed or replaced in the same change is not a removal: its node group stays until
    its successor is Ready, so the cluster never runs without that capacity (issue 8.8).
    """
    removed_pools = _pool_names(before) - _pool_names(after)
    if _pool_names(after) - _pool_names(before):
        removed_pools = set()
    for pool in removed_pools:
        node_group = f"nodes-{pool}"
        is_usage_of_it = key.startswith("usage-") and (
            key.endswith(f"-by-{node_group}") or key.startswith(f"usage-{node_group}-by-")
        )
        if key == node_group or is_usage_of_it:
            return True
    for component in _turned_off(before, after):
        if key == component or key.startswith(f"{component}-"):
            return True
        if key.startswith("usage-") and (
            key.endswith(f"-by-{component}") or key.startswith(f"usage-{component}-by-")
        ):
            return True
    removed = {f"access-{short_hash(arn, length=8)}" for arn in _principals(before)} - {
        f"access-{short_hash(arn, length=8)}" for arn in _principals(after)
    }
    if re.sub(r"-policy$", "", key) in removed:
        return True
    return key == "oidc-identity-provider" and not after.get("oidc")


def _tenant_removal(key: str, before: dict[str, Any], after: dict[str, Any]) -> bool:
    """A tenant's admins or viewers binding goes when nobody is left in it (with its Usages)."""
    return any(
        key == binding or (key.startswith("usage-") and key.endswith(f"-by-{binding}"))
        for binding in ("admins", "viewers")
        if not (after.get("access") or {}).get(binding)
    )


def _ingress_key(cidr: str) -> str:
    return dns_label("ingress", cidr.replace(".", "-").replace("/", "-"))


def _database_removal(key: str, before: dict[str, Any], after: dict[str, Any]) -> bool:
    """A CIDR no longer allowed loses its ingress rule."""
    before_cidrs = set((before.get("network") or {}).get("allowedCidrs") or [])
    after_cidrs = set((after.get("network") or {}).get("allowedCidrs") or [])
    return key in {_ingress_key(cidr) for cidr in before_cidrs - after_cidrs}


EXPLICIT_REMOVALS: dict[str, Removal] = {
    "bucket": _bucket_removal,
    "cluster": _cluster_removal,
    "tenant": _tenant_removal,
    "database": _database_removal,
}
