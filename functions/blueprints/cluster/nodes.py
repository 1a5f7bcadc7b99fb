"""Managed node groups, one per pool, in the private subnets, replaced by rolling when they must be.

EKS cannot change a node group's instance types, capacity type, disk size, AMI type or subnets
(the provider refuses: they are ForceNew). A pool whose immutable settings change gets a new node
group under a new name (`nodes-<pool>-<hash of those settings>`); the old one stays composed until
the new one is Ready, then it is dropped and EKS drains it. A pool that is removed or renamed keeps
its node group until every other pool's node group is Ready, so renaming never leaves the cluster
without nodes. What was composed is read from the observed node groups themselves (their spec,
which a missing status cannot hide), never from what the parameters say now.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from functions.kit import ComposeError, Composite, Observed, short_hash
from functions.resources.kinds import NODE_GROUP

from .keys import CLUSTER_KEY
from .parameters import NODE_POOL_LABEL, ClusterParameters, NodePool

TAINT_EFFECTS = {
    "NoSchedule": "NO_SCHEDULE",
    "PreferNoSchedule": "PREFER_NO_SCHEDULE",
    "NoExecute": "NO_EXECUTE",
}
# Graviton instance families carry a "g" right after the generation (m7g, c6gn, t4g, r8gd, x2gd),
# and a1 is the first Graviton. g5g is Graviton; g5, g4dn are x86 GPU instances.
_GRAVITON = re.compile(r"^([a-z]+\d+g[a-z]*|a1)\.")
# EKS quota "Managed node groups per cluster" (adjustable, default 30).
MAX_NODE_GROUPS = 30
ANY_ORDER = (
    "the add-ons that come after nodes are deleted with the cluster; what runs on the nodes "
    "(the platform's Releases) holds them with Usages"
)
# The node group fields EKS cannot change in place (provider-facts: NodeGroup immutable_fields).
IMMUTABLE_FIELDS = ("amiType", "capacityType", "diskSize", "instanceTypes", "subnetIdRefs")


def key(pool: NodePool) -> str:
    """The composition resource name a pool's first node group gets."""
    return f"nodes-{pool.name}"


def validate(pools: list[NodePool]) -> None:
    seen: dict[str, int] = {}
    for i, pool in enumerate(pools):
        field = f"spec.parameters.nodePools[{i}]"
        if pool.name in seen:
            raise ComposeError(
                f"{field}.name",
                f"{pool.name!r} is already the name of nodePools[{seen[pool.name]}]",
            )
        seen[pool.name] = i
        if pool.min_size > pool.max_size:
            raise ComposeError(
                f"{field}.minSize", f"{pool.min_size} is more than maxSize {pool.max_size}"
            )
        if (
            pool.desired_size is not None
            and not pool.min_size <= pool.desired_size <= pool.max_size
        ):
            raise ComposeError(
                f"{field}.desiredSize",
                f"{pool.desired_size} is outside minSize..maxSize "
                f"({pool.min_size}..{pool.max_size})",
            )
        architectures = {architecture(t) for t in pool.instance_types}
        if len(architectures) > 1:
            raise ComposeError(
                f"{field}.instanceTypes",
                "mixes Graviton (arm64) and x86_64 instance types; use one pool for each",
            )
        if len(set(pool.instance_types)) != len(pool.instance_types):
            raise ComposeError(f"{field}.instanceTypes", "lists an instance type twice")
        taint_keys = [(t.key, t.effect) for t in pool.taints]
        for j, taint in enumerate(taint_keys):
            if taint in taint_keys[:j]:
                raise ComposeError(f"{field}.taints[{j}]", f"{taint[0]}:{taint[1]} is listed twice")


def architecture(instance_type: str) -> str:
    return "arm64" if _GRAVITON.match(instance_type) else "x86_64"


def ami_type(pool: NodePool) -> str:
    arch = architecture(pool.instance_types[0])
    return "AL2023_ARM_64_STANDARD" if arch == "arm64" else "AL2023_x86_64_STANDARD"


# -- which node groups to compose ----------------------------------------------------------------


@dataclass(frozen=True)
class NodeGroupPlan:
    key: str  # composition resource name
    external_name: str  # the node group's name in EKS, unique in the cluster
    pool: NodePool
    # A replacement starts with as many nodes as the group it replaces runs, so draining the old
    # one does not leave the pool's pods without room.
    initial_size: int | None = None


@dataclass(frozen=True)
class Plan:
    groups: tuple[NodeGroupPlan, ...]  # one per pool, what the parameters ask for
    kept: tuple[tuple[str, str], ...]  # (key, why) observed node groups composed until replaced

    @property
    def keys(self) -> list[str]:
        return [g.key for g in self.groups]

    @property
    def all_keys(self) -> list[str]:
        return [*self.keys, *(key for key, _ in self.kept)]


def immutable_settings(
    xr: Composite[ClusterParameters], pool: NodePool, subnet_keys: list[str]
) -> dict[str, Any]:
    return {
        "amiType": ami_type(pool),
        "capacityType": pool.capacity_type,
        "diskSize": pool.disk_size_gib,
        "instanceTypes": list(pool.instance_types),
        "subnetIdRefs": sorted(xr.resource_name(k) for k in subnet_keys),
    }


def observed_settings(observed: Observed) -> dict[str, Any]:
    settings = {
        field: observed.get("spec", "forProvider", field) for field in IMMUTABLE_FIELDS[:-1]
    }
    refs = observed.get("spec", "forProvider", "subnetIdRefs")
    settings["subnetIdRefs"] = (
        sorted(str(r.get("name")) for r in refs if isinstance(r, dict))
        if isinstance(refs, list)
        else None
    )
    return settings


def observed_pool(observed_key: str, observed: Observed) -> str | None:
    """The pool an observed node group belongs to: its label, else its composition name."""
    labels = observed.get("spec", "forProvider", "labels")
    if isinstance(labels, dict) and isinstance(labels.get(NODE_POOL_LABEL), str):
        return str(labels[NODE_POOL_LABEL])
    match = re.match(r"^nodes-([a-z0-9-]+?)(-[0-9a-f]{6})?$", observed_key)
    return match.group(1) if match else None


def plan(xr: Composite[ClusterParameters], pools: list[NodePool], subnet_keys: list[str]) -> Plan:
    observed_groups: dict[str, list[str]] = {}
    # Every node group Paved composes is keyed nodes-<pool>[-<hash>] (see `key`).
    for observed_key in sorted(k for k in xr.observed if k.startswith("nodes-")):
        observed = xr.observed[observed_key]
        if observed.get("kind") != NODE_GROUP.kind:
            continue
        pool_name = observed_pool(observed_key, observed)
        if pool_name is not None:
            observed_groups.setdefault(pool_name, []).append(observed_key)

    groups: list[NodeGroupPlan] = []
    replacing: dict[str, str] = {}  # old key -> new key
    for pool in pools:
        wanted = immutable_settings(xr, pool, subnet_keys)
        candidates = observed_groups.get(pool.name, [])
        current = next((k for k in candidates if observed_settings(xr.observed[k]) == wanted), None)
        if current is not None:
            group_key = current
        elif not candidates:
            group_key = key(pool)
        else:
            digest = short_hash(json.dumps(wanted, sort_keys=True))
            group_key = f"{key(pool)}-{digest}"
        external = _external_name(xr, group_key, pool)
        initial = None
        if group_key not in xr.observed and candidates:
            sizes = [s for s in (_running_size(xr.observed[k]) for k in candidates) if s]
            if sizes:
                initial = min(max(max(sizes), pool.min_size), pool.max_size)
        groups.append(NodeGroupPlan(group_key, external, pool, initial))
        for old in candidates:
            if old != group_key:
                replacing[old] = group_key

    planned = {g.key for g in groups}
    every_pool_ready = all(_ready(xr, k) for k in planned)
    kept: list[tuple[str, str]] = []
    for pool_name, candidates in sorted(observed_groups.items()):
        for old in candidates:
            if old in planned:
                continue
            if old in replacing:
                new = replacing[old]
                if not _ready(xr, new):
                    kept.append((old, f"replaced by {new}, kept until it is Ready"))
            elif not every_pool_ready:
                kept.append(
                    (old, f"pool {pool_name} was removed; kept until every other pool is Ready")
                )
    if len(planned) + len(kept) > MAX_NODE_GROUPS:
        raise ComposeError(
            "spec.parameters.nodePools",
            f"replacing these node groups needs {len(planned) + len(kept)} at once; EKS allows "
            f"{MAX_NODE_GROUPS} per cluster: change fewer pools at a time",
        )
    return Plan(tuple(groups), tuple(kept))


def _running_size(observed: Observed) -> int | None:
    """How many nodes an observed node group runs (what the autoscaler last asked for)."""
    for path in (
        ("status", "atProvider", "scalingConfig", "desiredSize"),
        ("spec", "initProvider", "scalingConfig", "desiredSize"),
    ):
        size = observed.get(*path)
        if isinstance(size, int) and not isinstance(size, bool) and size >= 0:
            return size
    return None


def _ready(xr: Composite[ClusterParameters], group_key: str) -> bool:
    observed = xr.observed.get(group_key)
    return observed is not None and observed.ready


def _external_name(xr: Composite[ClusterParameters], group_key: str, pool: NodePool) -> str:
    observed = xr.observed.get(group_key)
    if observed is not None:
        name = observed.get("metadata", "annotations", "crossplane.io/external-name")
        if isinstance(name, str) and name:
            return name
    return pool.name + group_key.removeprefix(key(pool))


# -- the node group --------------------------------------------------------------------------


def node_group(
    xr: Composite[ClusterParameters],
    group: NodeGroupPlan,
    private_subnet_keys: list[str],
    version: str,
) -> dict[str, Any]:
    p = xr.params
    pool = group.pool
    for_provider: dict[str, Any] = {
        "region": p.region,
        "clusterNameRef": xr.ref(CLUSTER_KEY),
        "nodeRoleArnRef": xr.ref("node-role"),
        "subnetIdRefs": [xr.ref(k) for k in private_subnet_keys],
        "version": version,
        "amiType": ami_type(pool),
        "capacityType": pool.capacity_type,
        "instanceTypes": list(pool.instance_types),
        "diskSize": pool.disk_size_gib,
        "scalingConfig": {"minSize": pool.min_size, "maxSize": pool.max_size},
        "updateConfig": {"maxUnavailablePercentage": 33},
        "labels": {**pool.labels, NODE_POOL_LABEL: pool.name},
        "tags": xr.tags(),
    }
    if pool.taints:
        for_provider["taint"] = [
            {
                "key": t.key,
                **({"value": t.value} if t.value is not None else {}),
                "effect": TAINT_EFFECTS[t.effect],
            }
            for t in pool.taints
        ]
    desired = pool.desired_size if pool.desired_size is not None else pool.min_size
    if group.initial_size is not None:
        desired = group.initial_size
    return xr.shape.managed(
        NODE_GROUP,
        xr.resource_name(group.key),
        for_provider,
        # Only at creation: afterwards the cluster autoscaler (or Karpenter) owns the node count.
        init_provider={"scalingConfig": {"desiredSize": desired}},
        external_name=group.external_name,
    )


def kept_node_group(xr: Composite[ClusterParameters], group_key: str) -> dict[str, Any]:
    """An observed node group composed exactly as it is, until what replaces it is Ready."""
    return xr.observed[group_key].as_desired()
