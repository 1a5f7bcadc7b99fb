"""The server's view of observed resources reads exactly what the full parse would.

`functions.kit.wire` parses observed resources two levels deep and leaves deeper objects
serialized until read; whatever a blueprint reads must come out as from
`RunFunctionRequest.FromString`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from crossplane.function.proto.v1 import run_function_pb2 as fnv1
from google.protobuf import struct_pb2
from hypothesis import given, settings
from hypothesis import strategies as st
from support.compose import EXAMPLE_XRS, example_id, replay_example

from functions import bench
from functions.kit import wire
from functions.kit.observed import Observed, lookup
from functions.runner import FunctionRunner

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**40), 2**40),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=8),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=12,
)
RESOURCES = st.dictionaries(
    st.sampled_from(["apiVersion", "kind", "metadata", "spec", "status"]), VALUES
)


def _paths(value: Any, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every path into `value`, and one past each leaf (absent)."""
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, inner in value.items():
            found += _paths(inner, (*prefix, key))
        found.append((*prefix, "absent"))
    elif prefix:
        found.append((*prefix, "below-a-leaf"))
    return found


def _both(resource: dict[str, Any]) -> tuple[Observed, struct_pb2.Struct]:
    full = fnv1.Resource()
    full.resource.update(resource)
    lean = wire.ObservedResource.FromString(full.SerializeToString())
    return Observed(lean), full.resource


def _condition(full: struct_pb2.Struct, type_: str) -> Any:
    conditions = lookup(full, "status", "conditions")
    if not isinstance(conditions, list):
        return None
    return next((c for c in conditions if isinstance(c, dict) and c.get("type") == type_), None)


@settings(max_examples=300, deadline=None)
@given(RESOURCES)
def test_every_path_reads_as_the_full_parse_does(resource: dict[str, Any]) -> None:
    observed, full = _both(resource)
    assert observed.get() == lookup(full)
    for path in _paths(resource):
        assert observed.get(*path) == lookup(full, *path), path


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.fixed_dictionaries(
                {"type": st.sampled_from(["Ready", "Synced", 3]), "status": VALUES}
            ),
            VALUES,
        ),
        max_size=3,
    ),
    st.booleans(),
)
def test_readiness_and_conditions_read_as_the_full_parse_does(
    conditions: list[Any], managed: bool
) -> None:
    resource = {
        "status": {"conditions": conditions},
        "spec": {"forProvider": {}} if managed else {},
    }
    observed, full = _both(resource)
    ready = _condition(full, "Ready")
    assert observed.condition("Ready") == ready
    if ready is not None:
        assert observed.ready == (ready.get("status") == "True")
    else:
        assert observed.ready == (not managed)


def test_what_the_server_parses_is_the_request() -> None:
    """Every observed resource of the largest example, through the server's parse."""
    request = bench.largest(bench.workloads()).request
    data = request.SerializeToString()
    lean = wire.parse_request(data)
    assert fnv1.RunFunctionRequest.FromString(lean.SerializeToString()) == request
    assert lean.meta == request.meta and lean.desired == request.desired
    assert lean.observed.composite == request.observed.composite
    assert set(lean.observed.resources) == set(request.observed.resources)
    for key, resource in request.observed.resources.items():
        observed = Observed(lean.observed.resources[key])
        assert observed.get() == lookup(resource.resource)
        assert observed.ready == Observed(resource).ready
        assert dict(observed.connection_details) == dict(resource.connection_details)


def test_an_object_that_does_not_parse_is_unknown_and_noted() -> None:
    outer = wire.ObservedResource()
    status = outer.resource.fields["status"].struct_value.fields["atProvider"]
    status.struct_value = b"\xff\xff"  # not a Struct
    notes: list[str] = []
    observed = Observed(outer, "thing", notes)
    assert observed.at_provider("arn") is None
    assert notes == [
        "observed thing: status.atProvider is not a valid protobuf Struct; treated as unknown"
    ]


@pytest.mark.parametrize("mode", ["claim", "namespaced"])
@pytest.mark.parametrize("path", EXAMPLE_XRS, ids=example_id)
def test_what_the_api_server_adds_to_observed_objects_changes_nothing_composed(
    path: Path, mode: str
) -> None:
    """Every reconcile of every example, its observed resources as Crossplane reads them from the
    API server (managedFields, owner, labels, finalizers...), through the server's parse: the
    same response."""
    runner = FunctionRunner(cache_bytes=0)
    for round_ in replay_example(path, mode):
        stored = bench.as_crossplane_reads_it(round_.request).SerializeToString()
        assert fnv1.RunFunctionResponse.FromString(runner.run_bytes(stored)) == round_.response
