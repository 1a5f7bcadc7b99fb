"""The hot paths' shortcuts build exactly what the straightforward code builds."""

from __future__ import annotations

from typing import Any

from crossplane.function.proto.v1 import run_function_pb2 as fnv1
from google.protobuf import struct_pb2
from hypothesis import given, settings
from hypothesis import strategies as st

from functions import bench, simulate
from functions.blueprints import BLUEPRINTS
from functions.runner import FunctionRunner
from functions.structs import ResourceMemo, fill_struct

JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**53), 2**53)
    | st.floats(allow_nan=False)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4)
        | st.tuples(children, children)
        | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.text(max_size=8), JSON, max_size=6))
def test_fill_struct_is_struct_update(data: dict[str, Any]) -> None:
    expected, actual = struct_pb2.Struct(), struct_pb2.Struct()
    expected.update(data)
    fill_struct(actual, data)
    assert actual.SerializeToString(deterministic=True) == expected.SerializeToString(
        deterministic=True
    )


def _rounds() -> list[fnv1.RunFunctionRequest]:
    claim_kinds = {b.claim_kind for b in BLUEPRINTS.values()}
    runner = FunctionRunner(cache_bytes=0)
    requests = []
    for _, document in bench._example_documents():
        if document.get("kind") in claim_kinds | set(BLUEPRINTS):
            xr = simulate.as_xr(document, claim_kinds)
            requests += [round_.request for round_ in simulate.replay(runner.run, xr)]
    return requests


def test_spliced_responses_are_the_deterministic_serialization_of_the_response() -> None:
    """The runner assembles response bytes from memoised parts; they must be protobuf's own."""
    memoised, plain = FunctionRunner(cache_bytes=0), FunctionRunner(cache_bytes=0, memo_bytes=0)
    requests = _rounds()
    earlier_step = fnv1.RunFunctionRequest()
    earlier_step.CopyFrom(requests[-1])
    earlier_step.desired.resources["from-an-earlier-step"].resource.update({"kind": "ConfigMap"})
    earlier_step.desired.composite.resource.update({"status": {"earlier": True}})
    for req in [*requests, earlier_step]:
        for runner in (memoised, plain, memoised):  # the second memoised run hits the memo
            spliced = runner.run_bytes(req.SerializeToString())
            message = fnv1.RunFunctionResponse.FromString(spliced)
            assert spliced == message.SerializeToString(deterministic=True)
        assert spliced == plain.run_bytes(req.SerializeToString())
    assert memoised.memo is not None and len(memoised.memo) > 0


def test_the_resource_memo_is_bounded_in_bytes() -> None:
    memo = ResourceMemo(max_bytes=20_000)
    for index in range(200):
        memo.entry(f"resource-{index}", {"kind": "Thing", "spec": {"index": index}}, True)
    assert 0 < memo.size_bytes <= 20_000
    assert len(memo) < 200
