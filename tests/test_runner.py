"""The runner's contract with Crossplane: deterministic, FATAL on anything wrong, never partial."""

from __future__ import annotations

from typing import Any

import pytest
from crossplane.function.proto.v1 import run_function_pb2 as fnv1
from support.compose import RUNNER, fatal_messages, load_xr, replay

from functions import simulate
from functions.blueprints import BLUEPRINTS
from functions.kit import Blueprint
from functions.runner import FunctionRunner

XR = load_xr("bucket/xr.yaml")


def test_same_request_same_response_bytes() -> None:
    req = replay(XR)[-1].request
    first = RUNNER.run(req).SerializeToString(deterministic=True)
    again = (
        FunctionRunner().run(simulate.request(*_parts(req))).SerializeToString(deterministic=True)
    )
    assert first == again


def _parts(
    req: fnv1.RunFunctionRequest,
) -> tuple[dict[str, Any], dict[str, simulate.ObservedResource]]:
    xr = simulate.lookup(req.observed.composite.resource)
    observed = {
        key: simulate.ObservedResource(simulate.lookup(r.resource), dict(r.connection_details))
        for key, r in reversed(list(req.observed.resources.items()))
    }
    return xr, observed


def test_tag_and_ttl() -> None:
    req = simulate.request(XR, tag="abc")
    rsp = RUNNER.run(req)
    assert rsp.meta.tag == "abc"
    assert rsp.meta.ttl.seconds == 60
    assert FunctionRunner(ttl_seconds=5).run(req).meta.ttl.seconds == 5
    with_input = simulate.request(
        XR,
        input_={"apiVersion": "fn.paved.dev/v1alpha1", "kind": "Input", "responseTTLSeconds": 15},
    )
    assert RUNNER.run(with_input).meta.ttl.seconds == 15


def test_bad_input_is_fatal() -> None:
    req = simulate.request(
        XR, input_={"apiVersion": "fn.paved.dev/v1alpha1", "kind": "Input", "responseTTLSeconds": 0}
    )
    assert fatal_messages(RUNNER.run(req)) == [
        "input.responseTTLSeconds: input should be greater than or equal to 1"
    ]


@pytest.mark.parametrize(
    ("xr", "message"),
    [
        ({}, "kind: the request has no observed composite resource"),
        ({**XR, "kind": "XQueue"}, "kind: XQueue is not a kind Paved composes (it composes "),
        ({**XR, "metadata": {}}, "metadata.name: the composite resource has no name"),
        ({**XR, "metadata": "bucket"}, "metadata: must be an object"),
        ({**XR, "metadata": {"name": "b", "labels": ["x"]}}, "metadata.labels: must be an object"),
        ({**XR, "spec": {"parameters": "eu-west-1"}}, "spec.parameters: must be an object"),
        (
            {**XR, "spec": {"parameters": {"region": "eu-west-1", "tags": ["a"]}}},
            "spec.parameters.tags: input should be a valid dictionary",
        ),
    ],
)
def test_malformed_composites_get_a_fatal_result_naming_the_field(
    xr: dict[str, Any], message: str
) -> None:
    (fatal,) = fatal_messages(RUNNER.run(simulate.request(xr)))
    assert fatal.startswith(message)


def test_a_bug_in_a_blueprint_is_a_fatal_result_and_leaves_desired_state_alone() -> None:
    bucket = BLUEPRINTS["XBucket"]

    def broken(xr: Any, out: Any) -> None:
        bucket.compose(xr, out)
        raise RuntimeError("boom")

    runner = FunctionRunner(
        blueprints={"XBucket": Blueprint(**{**bucket.__dict__, "compose": broken})}
    )
    req = simulate.request(XR)
    req.desired.resources["earlier-step"].resource.update({"apiVersion": "v1", "kind": "ConfigMap"})
    rsp = runner.run(req)
    assert fatal_messages(rsp) == [
        "internal error composing XBucket team-a/team-assets: RuntimeError: boom"
    ]
    assert rsp.desired == req.desired


def test_earlier_pipeline_steps_are_kept() -> None:
    req = simulate.request(XR)
    req.desired.resources["earlier-step"].resource.update({"apiVersion": "v1", "kind": "ConfigMap"})
    rsp = RUNNER.run(req)
    assert "earlier-step" in rsp.desired.resources and "bucket" in rsp.desired.resources
