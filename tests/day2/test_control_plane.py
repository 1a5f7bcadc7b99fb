"""The simulator reconciles the way Crossplane does (facts `_crossplane`, crossplane/crossplane
internal/controller/apiextensions/composite and internal/xfn), so the day-2 tests can trust it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from crossplane.function.proto.v1 import run_function_pb2 as fnv1

from functions import simulate

XR = {
    "apiVersion": "platform.paved.dev/v1alpha1",
    "kind": "XThing",
    "metadata": {"name": "thing", "namespace": "team-a"},
    "spec": {"parameters": {}},
}


def _configmap(name: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}}


def _function(
    compose: Callable[[fnv1.RunFunctionRequest, fnv1.RunFunctionResponse], None],
) -> simulate.Run:
    def run(req: fnv1.RunFunctionRequest) -> fnv1.RunFunctionResponse:
        rsp = fnv1.RunFunctionResponse()
        compose(req, rsp)
        return rsp

    return run


def test_a_composed_resource_missing_from_the_desired_state_is_deleted() -> None:
    def compose(req: fnv1.RunFunctionRequest, rsp: fnv1.RunFunctionResponse) -> None:
        rsp.desired.resources["b" if req.observed.resources else "a"].resource.update(
            _configmap("x")
        )

    rounds = simulate.replay(_function(compose), XR)

    assert rounds[1].deleted == ["a"]
    assert set(rounds[-1].observed) == {"b"}


def test_a_fatal_result_applies_nothing_and_deletes_nothing() -> None:
    def compose(req: fnv1.RunFunctionRequest, rsp: fnv1.RunFunctionResponse) -> None:
        if req.observed.resources:
            rsp.results.add(severity=fnv1.SEVERITY_FATAL, message="spec.parameters.x: no")
            return
        rsp.desired.resources["a"].resource.update(_configmap("a"))
        rsp.desired.resources["a"].ready = fnv1.READY_TRUE

    plane = simulate.ControlPlane(dict(XR))
    plane.reconcile(_function(compose))
    refused = plane.reconcile(_function(compose))

    assert refused.fatal and refused.deleted == []
    assert set(plane.observed) == {"a"}


def test_required_resources_are_fetched_until_the_requirements_settle() -> None:
    cluster = {
        "apiVersion": "platform.paved.dev/v1alpha1",
        "kind": "XCluster",
        "metadata": {"name": "platform", "namespace": "team-a"},
    }
    calls = []

    def compose(req: fnv1.RunFunctionRequest, rsp: fnv1.RunFunctionResponse) -> None:
        calls.append({k: len(v.items) for k, v in req.required_resources.items()})
        rsp.requirements.resources["cluster"].CopyFrom(
            fnv1.ResourceSelector(
                api_version="platform.paved.dev/v1alpha1",
                kind="XCluster",
                match_name="platform",
                namespace="team-a",
            )
        )

    plane = simulate.ControlPlane(dict(XR), world=[cluster])
    plane.reconcile(_function(compose))

    assert calls == [{}, {"cluster": 1}]


def test_a_required_resource_that_does_not_exist_comes_back_empty() -> None:
    seen = []

    def compose(req: fnv1.RunFunctionRequest, rsp: fnv1.RunFunctionResponse) -> None:
        seen.append(dict(req.required_resources))
        rsp.requirements.resources["cluster"].CopyFrom(
            fnv1.ResourceSelector(api_version="v1", kind="XCluster", match_name="nope")
        )

    simulate.ControlPlane(dict(XR), world=[]).reconcile(_function(compose))

    assert len(seen) == 2 and not seen[1]["cluster"].items


def test_the_xr_is_ready_when_the_function_says_so_or_every_resource_is_ready() -> None:
    ready = fnv1.RunFunctionResponse()
    ready.desired.resources["a"].ready = fnv1.READY_TRUE
    held = fnv1.RunFunctionResponse()
    held.CopyFrom(ready)
    held.desired.composite.ready = fnv1.READY_FALSE
    unspecified = fnv1.RunFunctionResponse()
    unspecified.desired.resources["a"].ready = fnv1.READY_UNSPECIFIED

    assert simulate.xr_is_ready(ready)
    assert not simulate.xr_is_ready(held)
    assert not simulate.xr_is_ready(unspecified)


def test_an_existing_composed_resource_keeps_its_name() -> None:
    def compose(req: fnv1.RunFunctionRequest, rsp: fnv1.RunFunctionResponse) -> None:
        name = "renamed" if req.observed.resources else "original"
        rsp.desired.resources["a"].resource.update(_configmap(name))

    final = simulate.replay(_function(compose), XR)[-1]

    assert final.observed["a"].resource["metadata"]["name"] == "original"


def test_the_xr_carries_the_functions_conditions_and_crossplanes_ready_and_synced() -> None:
    def compose(req: fnv1.RunFunctionRequest, rsp: fnv1.RunFunctionResponse) -> None:
        rsp.conditions.add(
            type="NetworkReady", status=fnv1.STATUS_CONDITION_FALSE, reason="Creating"
        )
        rsp.desired.composite.ready = fnv1.READY_FALSE

    plane = simulate.ControlPlane(dict(XR))
    plane.reconcile(_function(compose))
    conditions = {c["type"]: c for c in plane.xr["status"]["conditions"]}

    assert conditions["NetworkReady"]["status"] == "False"
    assert conditions["Ready"]["reason"] == "Creating"
    assert conditions["Synced"]["status"] == "True"


def test_the_xr_references_what_it_composes() -> None:
    def compose(req: fnv1.RunFunctionRequest, rsp: fnv1.RunFunctionResponse) -> None:
        rsp.desired.resources["a"].resource.update(_configmap("a"))

    namespaced = simulate.ControlPlane(dict(XR))
    namespaced.reconcile(_function(compose))
    legacy = simulate.ControlPlane({**XR, "metadata": {"name": "thing"}})
    legacy.reconcile(_function(compose))

    ref = {"apiVersion": "v1", "kind": "ConfigMap", "name": "a"}
    assert namespaced.xr["spec"]["crossplane"]["resourceRefs"] == [ref]
    assert legacy.xr["spec"]["resourceRefs"] == [ref]
