"""The kit's staging rules, on a tiny blueprint: a network, a cluster after it, nodes after that."""

from __future__ import annotations

from typing import Any

from crossplane.function.proto.v1 import run_function_pb2 as fnv1
from support.compose import fatal_messages, status

from functions import simulate
from functions.kit import Blueprint, CommonParameters, Composite, Desired, Model
from functions.kit.shapes import aws
from functions.runner import FunctionRunner

THING = aws("ec2", "VPC", "v1beta1")


def compose(xr: Composite[CommonParameters], out: Desired) -> None:
    def thing(key: str) -> dict[str, Any]:
        return xr.shape.managed(THING, xr.resource_name(key), {"region": xr.params.region})

    out.add("network", thing("network"))
    out.add("cluster", thing("cluster"), after=["network"])
    out.add("nodes", thing("nodes"), after=["cluster"])
    out.status(stage="done" if out.is_ready("nodes") else "composing")


class NoStatus(Model):
    pass


BLUEPRINT = Blueprint("XThing", "Thing", "test", CommonParameters, NoStatus, compose)
RUNNER = FunctionRunner(blueprints={"XThing": BLUEPRINT})
XR = {
    "apiVersion": "platform.paved.dev/v1alpha1",
    "kind": "XThing",
    "metadata": {"name": "thing"},
    "spec": {"parameters": {"region": "eu-west-1"}},
}


def _observed(*keys: str, ready: bool = True) -> dict[str, simulate.ObservedResource]:
    desired = simulate.desired_resources(RUNNER.run(simulate.request(XR, _all_observed())))
    return {key: simulate.observe(key, desired[key], ready=ready) for key in keys}


def _all_observed() -> dict[str, simulate.ObservedResource]:
    return {
        key: simulate.observe(
            key,
            {
                "apiVersion": "ec2.aws.upbound.io/v1beta1",
                "kind": "VPC",
                "spec": {"forProvider": {}},
            },
        )
        for key in ("network", "cluster", "nodes")
    }


def _run(observed: dict[str, simulate.ObservedResource]) -> fnv1.RunFunctionResponse:
    rsp = RUNNER.run(simulate.request(XR, observed))
    assert not fatal_messages(rsp)
    return rsp


def test_a_gated_resource_waits_for_what_it_comes_after() -> None:
    rsp = _run({})
    assert list(rsp.desired.resources) == ["network"]
    assert status(rsp)["progress"] == {
        "ready": 0,
        "total": 3,
        "waitingFor": [
            {"resource": "network", "reason": "being created"},
            {"resource": "cluster", "reason": "waiting for network"},
            {"resource": "nodes", "reason": "waiting for cluster"},
        ],
    }


def test_the_xr_is_held_not_ready_while_stages_are_pending() -> None:
    rsp = _run(_observed("network"))
    assert sorted(rsp.desired.resources) == ["cluster", "network"]
    assert rsp.desired.resources["network"].ready == fnv1.READY_TRUE
    assert rsp.desired.resources["cluster"].ready == fnv1.READY_FALSE
    assert rsp.desired.composite.ready == fnv1.READY_FALSE


def test_an_observed_resource_is_emitted_even_when_its_gate_regresses() -> None:
    """Dropping it would make Crossplane delete it: an unready network must not delete nodes."""
    observed = {**_observed("cluster", "nodes"), **_observed("network", ready=False)}
    rsp = _run(observed)
    assert sorted(rsp.desired.resources) == ["cluster", "network", "nodes"]
    assert rsp.desired.resources["network"].ready == fnv1.READY_FALSE
    waiting = status(rsp)["progress"]["waitingFor"]
    assert waiting == [{"resource": "network", "reason": "Creating"}]


def test_everything_ready() -> None:
    rsp = _run(_observed("network", "cluster", "nodes"))
    assert status(rsp)["progress"] == {"ready": 3, "total": 3, "waitingFor": []}
    assert status(rsp)["stage"] == "done"
    assert rsp.desired.composite.ready == fnv1.READY_UNSPECIFIED


def test_a_resource_without_conditions_is_ready_once_observed() -> None:
    secret = simulate.observe(
        "s", {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}}
    )
    managed = simulate.observe(
        "m",
        {"apiVersion": "ec2.aws.upbound.io/v1beta1", "kind": "VPC", "spec": {"forProvider": {}}},
    )
    del managed.resource["status"]
    req = simulate.request(XR, {"s": secret, "m": managed})
    from functions.kit.observed import Observed

    assert Observed(req.observed.resources["s"]).ready
    assert not Observed(req.observed.resources["m"]).ready


def test_hold_keeps_everything_observed_as_it_is_and_composes_nothing_new() -> None:
    def waiting(xr: Composite[CommonParameters], out: Desired) -> None:
        out.hold("waiting for the network team")

    runner = FunctionRunner(
        blueprints={
            "XThing": Blueprint("XThing", "Thing", "t", CommonParameters, NoStatus, waiting)
        }
    )
    observed = _observed("network")
    rsp = runner.run(simulate.request(XR, observed))

    assert list(rsp.desired.resources) == ["network"]
    kept = simulate.desired_resources(rsp)["network"]
    assert kept["spec"] == observed["network"].resource["spec"]
    assert "status" not in kept
    assert rsp.desired.composite.ready == fnv1.READY_FALSE
    assert status(rsp)["progress"]["waitingFor"] == [
        {"resource": "", "reason": "waiting for the network team"}
    ]
    assert [(r.severity, r.message) for r in rsp.results] == [
        (fnv1.SEVERITY_NORMAL, "waiting for the network team")
    ]
