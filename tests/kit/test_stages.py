"""The kit's declared API on the toy blueprint: lazy builders, stages, deletion order, removals."""

from __future__ import annotations

import pytest
from crossplane.function.proto.v1 import run_function_pb2 as fnv1
from kit.toy import BUILT, RUNNER, run, settled, toy
from support.compose import fatal_messages, status
from support.crds import crds_available, validate

from functions import simulate
from functions.kit.checks import assert_well_formed, compose, problems

XR = toy()


def _conditions(rsp: fnv1.RunFunctionResponse) -> dict[str, tuple[int, str, str]]:
    return {c.type: (c.status, c.reason, c.message) for c in rsp.conditions}


def _warnings(rsp: fnv1.RunFunctionResponse) -> list[str]:
    return [r.message for r in rsp.results if r.severity == fnv1.SEVERITY_WARNING]


def test_a_builder_runs_only_when_its_resource_is_emitted() -> None:
    BUILT.clear()
    rsp = run(XR)
    assert sorted(rsp.desired.resources) == ["key", "network"]
    assert BUILT == {"network": 1, "key": 1}  # cluster and nodes were gated: never built


def test_each_stage_gets_a_condition_and_progress_names_the_first_pending_one() -> None:
    rsp = run(XR)
    assert _conditions(rsp) == {
        "NetworkReady": (
            fnv1.STATUS_CONDITION_FALSE,
            "Creating",
            "waiting for network: being created; key: being created",
        ),
        "ControlPlaneReady": (
            fnv1.STATUS_CONDITION_FALSE,
            "Creating",
            "waiting for cluster: waiting for network, key",
        ),
        "NodesReady": (
            fnv1.STATUS_CONDITION_FALSE,
            "Creating",
            "waiting for nodes-default: waiting for cluster",
        ),
    }
    progress = status(rsp)["progress"]
    assert progress["stage"] == "Network"
    assert progress["waitingFor"][2] == {
        "resource": "cluster",
        "reason": "waiting for network, key",
        "stage": "ControlPlane",
    }

    final = run(XR, settled(XR))
    assert {t: c[:2] for t, c in _conditions(final).items()} == dict.fromkeys(
        ("NetworkReady", "ControlPlaneReady", "NodesReady"),
        (fnv1.STATUS_CONDITION_TRUE, "Available"),
    )
    assert status(final)["progress"] == {"ready": 6, "total": 6, "waitingFor": []}


def test_uses_composes_a_usage_once_both_sides_are_ready_in_both_modes() -> None:
    for xr, kind in ((XR, "ClusterUsage"), (toy("team-a"), "Usage")):
        observed = settled(xr)
        usage = simulate.desired_resources(run(xr, observed))["usage-cluster-by-nodes-default"]
        name = "toy-usage-cluster-by-nodes-default"
        assert usage["kind"] == kind
        assert usage["metadata"]["name"] == name
        assert usage["spec"] == {
            "of": {
                "apiVersion": observed["cluster"].resource["apiVersion"],
                "kind": "Cluster",
                "resourceRef": {"name": "toy-cluster"},
            },
            "by": {
                "apiVersion": observed["nodes-default"].resource["apiVersion"],
                "kind": "NodeGroup",
                "resourceRef": {"name": "toy-nodes-default"},
            },
            "replayDeletion": True,
        }
        if crds_available():
            assert validate(usage) == []
    # Not before: a Usage of something that does not exist yet would block nothing.
    assert "usage-network-by-cluster" not in run(XR).desired.resources


@pytest.mark.parametrize("namespace", [None, "team-a"])
def test_an_observed_resource_no_longer_planned_is_kept_with_a_warning(
    namespace: str | None,
) -> None:
    """E.g. composed by an earlier Paved version under another key: dropping it deletes it."""
    xr = toy(namespace)
    observed = settled(xr)
    observed["legacy-bucket"] = simulate.observe(
        "legacy-bucket",
        {
            "apiVersion": "s3.aws.upbound.io/v1beta2",
            "kind": "Bucket",
            "metadata": {"name": "toy-legacy"},
            "spec": {"forProvider": {"region": "eu-west-1"}},
        },
    )
    rsp = run(xr, observed)
    kept = simulate.desired_resources(rsp)["legacy-bucket"]
    assert kept["spec"] == {"forProvider": {"region": "eu-west-1"}}
    assert "status" not in kept
    assert _warnings(rsp) == [
        "kept legacy-bucket: observed but no longer planned by XToy; kept so that it is not "
        "deleted (a blueprint must remove it explicitly)"
    ]
    assert status(rsp)["progress"]["kept"] == [
        {
            "resource": "legacy-bucket",
            "reason": _warnings(rsp)[0].removeprefix("kept legacy-bucket: "),
        }
    ]


@pytest.mark.parametrize("namespace", [None, "team-a"])
def test_an_explicit_removal_drops_the_resource_and_its_usages(namespace: str | None) -> None:
    xr = toy(namespace, pools=["default", "batch"])
    observed = settled(xr)
    assert "usage-cluster-by-nodes-batch" in observed
    rsp = run(toy(namespace, pools=["default"]), observed)
    desired = simulate.desired_resources(rsp)
    assert "nodes-batch" not in desired
    assert "usage-cluster-by-nodes-batch" not in desired
    assert "usage-cluster-by-nodes-default" in desired
    notes = [r.message for r in rsp.results if r.severity == fnv1.SEVERITY_NORMAL]
    assert notes == [
        "removing nodes-batch: its pool was removed",
        "removing usage-cluster-by-nodes-batch: what it protected is removed",
    ]
    assert not _warnings(rsp)


def test_adding_and_removing_the_same_key_is_a_bug() -> None:
    from kit.toy import ToyParameters

    from functions.kit import Desired
    from functions.kit.composite import Composite

    out = Desired(Composite.from_request(simulate.request(XR), ToyParameters))
    out.add("a", {})
    with pytest.raises(ValueError, match="both added and removed"):
        out.remove("a", "why")


def test_the_toy_is_well_formed_at_every_stage() -> None:
    for round_ in simulate.replay(RUNNER.run, toy(pools=["a", "b"])):
        assert_well_formed(compose(RUNNER.blueprints["XToy"], round_.request))


def test_the_check_names_what_is_missing() -> None:
    from functions.kit import Blueprint, CommonParameters, Composite, Desired, Model

    def careless(xr: Composite[CommonParameters], out: Desired) -> None:
        thing = {"apiVersion": "v1", "kind": "ConfigMap"}
        out.add("network", thing, stage="Network")
        out.add("cluster", thing, after=["network", "netwrk"])
        out.add("nodes", thing, stage="Nodes", after=["cluster"], uses=["cluster", "klaster"])
        out.delete_in_any_order("gone", "typo")

    blueprint = Blueprint("XToy", "Toy", "", CommonParameters, Model, careless)
    found = problems(compose(blueprint, simulate.request(XR)))
    assert found == [
        "cluster: no stage (out.add(..., stage=...))",
        "cluster: comes after 'netwrk', which is not planned",
        "network: cluster come after it but it has no deletion-order rule "
        "(uses=[...] on a user, or delete_in_any_order='why')",
        "usage-klaster-by-nodes: uses names 'klaster', which is not planned",
        "gone: delete_in_any_order for a resource that is not planned",
    ]
    with pytest.raises(AssertionError, match="XToy is not well formed"):
        assert_well_formed(compose(blueprint, simulate.request(XR)))


def test_usages_in_a_cycle_are_named() -> None:
    from functions.kit import Blueprint, CommonParameters, Composite, Desired, Model

    def circular(xr: Composite[CommonParameters], out: Desired) -> None:
        thing = {"apiVersion": "v1", "kind": "ConfigMap"}
        out.add("a", thing, stage="S", uses=["b"])
        out.add("b", thing, stage="S", uses=["c"])
        out.add("c", thing, stage="S", uses=["a"])

    blueprint = Blueprint("XToy", "Toy", "", CommonParameters, Model, circular)
    (found,) = problems(compose(blueprint, simulate.request(XR)))
    assert found.startswith("deletion order has a cycle: ")
    cycle = found.removeprefix("deletion order has a cycle: ").split(" -> ")
    assert cycle[0] == cycle[-1] and set(cycle) == {"a", "b", "c"}
    # In deletion order: a goes before b (a uses b), b before c, c before a.
    assert " -> ".join(cycle) in ("a -> b -> c -> a", "b -> c -> a -> b", "c -> a -> b -> c")


def test_status_is_written_through_the_models_by_alias() -> None:
    rsp = run(XR, settled(XR))
    toy_status = status(rsp)["toy"]
    assert set(toy_status) == {"clusterArn", "keyArn"}
    assert not fatal_messages(rsp)
