"""A toy blueprint written the way the kit wants blueprints written, for the kit's own tests.

XToy composes a network, a key, a cluster on both, and nodes on the cluster, in three stages; the
cluster and nodes are built lazily, deletion order is declared with `uses`, and node pools the
developer removes are removed explicitly.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from crossplane.function.proto.v1 import run_function_pb2 as fnv1
from pydantic import Field

from functions import simulate
from functions.kit import Blueprint, CommonParameters, Composite, Desired, Model
from functions.kit.params import IMMUTABLE
from functions.kit.shapes import aws
from functions.runner import FunctionRunner

VPC = aws("ec2", "VPC", "v1beta1")
KEY = aws("kms", "Key", "v1beta1")
CLUSTER = aws("eks", "Cluster", "v1beta2")
NODE_GROUP = aws("eks", "NodeGroup", "v1beta2")

BUILT: Counter[str] = Counter()  # how often each builder ran


class ToyParameters(CommonParameters):
    pools: list[str] = Field(default_factory=lambda: ["default"], description="Node pools.")
    size: str = Field(default="small", description="Cluster size.", json_schema_extra=IMMUTABLE)


class ToyInfo(Model):
    cluster_arn: str | None = Field(default=None, description="The cluster's ARN.")
    key_arn: str | None = Field(default=None, description="The key's ARN.")


class ToyStatus(Model):
    toy: ToyInfo | None = None


def pool_key(pool: str) -> str:
    return f"nodes-{pool}"


def compose(xr: Composite[ToyParameters], out: Desired) -> None:
    p = xr.params
    region = {"region": p.region}

    def built(key: str, kind: Any, spec: dict[str, Any]) -> dict[str, Any]:
        BUILT[key] += 1
        return xr.shape.managed(kind, xr.resource_name(key), {**region, **spec})

    out.add("network", built("network", VPC, {"cidrBlock": "10.0.0.0/16"}), stage="Network")
    out.add(
        "key",
        lambda: built("key", KEY, {}),
        stage="Network",
        delete_in_any_order="AWS keeps a deleted key for 30 days",
    )
    out.add(
        "cluster",
        lambda: built("cluster", CLUSTER, {"kmsKeyArnRef": xr.ref("key")}),
        stage="ControlPlane",
        after=["network", "key"],
        uses=["network"],
    )
    for pool in p.pools:
        out.add(
            pool_key(pool),
            lambda pool=pool: built(
                pool_key(pool), NODE_GROUP, {"clusterNameRef": xr.ref("cluster")}
            ),
            stage="Nodes",
            after=["cluster"],
            uses=["cluster"],
        )
    out.remove_unplanned(lambda key: key.startswith("nodes-"), "its pool was removed")

    cluster = xr.observed.get("cluster")
    key = xr.observed.get("key")
    out.status_model(
        ToyStatus(
            toy=ToyInfo(
                cluster_arn=cluster.actual_text("arn") if cluster else None,
                key_arn=key.actual_text("arn") if key else None,
            )
        )
    )


BLUEPRINT = Blueprint("XToy", "Toy", "A toy.", ToyParameters, ToyStatus, compose)
RUNNER = FunctionRunner(blueprints={"XToy": BLUEPRINT})


def toy(namespace: str | None = None, **parameters: Any) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": "toy"}
    if namespace:
        metadata["namespace"] = namespace
    return {
        "apiVersion": "platform.paved.dev/v1alpha1",
        "kind": "XToy",
        "metadata": metadata,
        "spec": {"parameters": {"region": "eu-west-1", **parameters}},
    }


def run(
    xr: dict[str, Any], observed: dict[str, simulate.ObservedResource] | None = None
) -> fnv1.RunFunctionResponse:
    return RUNNER.run(simulate.request(xr, observed))


def settled(xr: dict[str, Any]) -> dict[str, simulate.ObservedResource]:
    """Everything the toy composes, observed and Ready."""
    return simulate.observed_resources(simulate.replay(RUNNER.run, xr)[-1].request)
