"""Managed node groups, one per pool, in the private subnets."""

from __future__ import annotations

import re
from typing import Any

from functions.kit import ComposeError, Composite
from functions.resources.kinds import NODE_GROUP

from .parameters import LABEL_KEY_PATTERN, ClusterParameters, NodePool

MAX_LABEL_KEY_LENGTH = 317  # a 253-character prefix, '/', a 63-character name
LABEL_VALUE_PATTERN = r"^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$"

TAINT_EFFECTS = {
    "NoSchedule": "NO_SCHEDULE",
    "PreferNoSchedule": "PREFER_NO_SCHEDULE",
    "NoExecute": "NO_EXECUTE",
}
# Graviton instance families carry a "g" right after the generation: m7g, c6gn, t4g, r8gd.
_GRAVITON = re.compile(r"^[a-z]+\d+g[a-z]*\.")


def key(pool: NodePool) -> str:
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
        architectures = {_architecture(t) for t in pool.instance_types}
        if len(architectures) > 1:
            raise ComposeError(
                f"{field}.instanceTypes",
                "mixes Graviton (arm64) and x86_64 instance types; use one pool for each",
            )
        if len(set(pool.instance_types)) != len(pool.instance_types):
            raise ComposeError(f"{field}.instanceTypes", "lists an instance type twice")
        for label, value in pool.labels.items():
            if not re.match(LABEL_KEY_PATTERN, label) or len(label) > MAX_LABEL_KEY_LENGTH:
                raise ComposeError(f"{field}.labels", f"{label!r} is not a Kubernetes label key")
            if not re.match(LABEL_VALUE_PATTERN, value):
                raise ComposeError(
                    f"{field}.labels.{label}", f"{value!r} is not a Kubernetes label value"
                )
        taint_keys = [(t.key, t.effect) for t in pool.taints]
        for j, taint in enumerate(taint_keys):
            if taint in taint_keys[:j]:
                raise ComposeError(f"{field}.taints[{j}]", f"{taint[0]}:{taint[1]} is listed twice")


def _architecture(instance_type: str) -> str:
    return "arm64" if _GRAVITON.match(instance_type) else "x86_64"


def ami_type(pool: NodePool) -> str:
    arch = _architecture(pool.instance_types[0])
    return "AL2023_ARM_64_STANDARD" if arch == "arm64" else "AL2023_x86_64_STANDARD"


def node_group(
    xr: Composite[ClusterParameters], pool: NodePool, private_subnet_keys: list[str]
) -> dict[str, Any]:
    p = xr.params
    for_provider: dict[str, Any] = {
        "region": p.region,
        "clusterNameRef": xr.shape.ref(xr.resource_name("eks-cluster")),
        "nodeRoleArnRef": xr.shape.ref(xr.resource_name("node-role")),
        "subnetIdRefs": [xr.shape.ref(xr.resource_name(k)) for k in private_subnet_keys],
        "version": p.version,
        "amiType": ami_type(pool),
        "capacityType": pool.capacity_type,
        "instanceTypes": list(pool.instance_types),
        "diskSize": pool.disk_size_gi_b,
        "scalingConfig": {"minSize": pool.min_size, "maxSize": pool.max_size},
        "updateConfig": {"maxUnavailablePercentage": 33},
        "labels": {**pool.labels, "paved.dev/node-pool": pool.name},
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
    return xr.shape.managed(
        NODE_GROUP,
        xr.resource_name(key(pool)),
        for_provider,
        # Only at creation: afterwards the cluster autoscaler (or Karpenter) owns the node count.
        init_provider={"scalingConfig": {"desiredSize": desired}},
        external_name=pool.name,
    )
