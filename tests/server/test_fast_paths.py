"""The hot paths' shortcuts build exactly what the straightforward code builds."""

from __future__ import annotations

import gc
import subprocess
import sys
from collections import OrderedDict
from typing import Any

from crossplane.function.proto.v1 import run_function_pb2 as fnv1
from google.protobuf import struct_pb2
from hypothesis import given, settings
from hypothesis import strategies as st

from functions import bench, simulate
from functions.blueprints import BLUEPRINTS
from functions.runner import FunctionRunner
from functions.structs import Composed, ResourceMemo, fill_struct

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


def test_memoised_entries_are_protobufs_own_bytes_whether_they_hit_or_not() -> None:
    memo = ResourceMemo(max_bytes=64 * 4096)
    resources = [
        Composed("small", {"kind": "Thing", "spec": {"size": 1, "tags": ["a"]}}, True),
        # Over 1/64 of the memo: not kept.
        Composed("large", {"kind": "Thing", "data": {"blob": "x" * 5000}}, False),
        Composed("unmarshallable", {"kind": "Thing", "spec": OrderedDict(a=1)}, True),
    ]

    def expected(name: str, resource: dict[str, Any], ready: bool) -> bytes:
        state = fnv1.State()
        state.resources[name].ready = fnv1.READY_TRUE if ready else fnv1.READY_FALSE
        state.resources[name].resource.update(resource)
        return state.SerializeToString(deterministic=True)

    for _ in range(2):  # the second pass hits the memo
        parts = memo.entries(resources)
        for name, resource, ready, _ in resources:
            assert b"".join(parts[name]) == expected(name, resource, ready)
            assert b"".join(memo.entry(name, resource, ready)) == expected(name, resource, ready)
    assert len(memo) == 1


def test_a_fingerprinted_resource_is_built_only_when_it_is_not_memoised() -> None:
    """The kit's Usages: keyed on the few names that make their content, built on a miss."""
    memo = ResourceMemo(max_bytes=64 * 4096)
    builds: list[int] = []

    def build() -> dict[str, Any]:
        builds.append(1)
        return {"kind": "Usage", "spec": {"of": {"name": "a"}, "by": {"name": "b"}}}

    usage = Composed("usage", build, True, ("Usage", "a", "b"))
    first, again = memo.entries([usage]), memo.entries([usage])
    assert len(builds) == 1
    assert b"".join(first["usage"]) == b"".join(again["usage"])
    assert b"".join(first["usage"]) == b"".join(ResourceMemo(0).entry("usage", build(), True))


def test_a_compose_leaves_no_reference_cycles() -> None:
    """Why the server may collect the young generation rarely: a compose's garbage is freed by
    reference counting alone, so nothing waits for the cycle collector."""
    requests = _rounds()
    runner = FunctionRunner(cache_bytes=0)
    for req in requests:
        runner.run(req)
    gc.collect()
    gc.disable()
    try:
        for req in requests:
            runner.run(req)
        assert gc.collect() == 0
    finally:
        gc.enable()


def test_the_server_freezes_what_it_loaded_at_start_and_collects_rarely() -> None:
    script = (
        "import gc; from functions.server import tune_garbage_collector, GC_YOUNG_THRESHOLD\n"
        "tune_garbage_collector()\n"
        "print(gc.get_freeze_count() > 10000, gc.get_threshold()[0] == GC_YOUNG_THRESHOLD)"
    )
    ran = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert ran.stdout.split() == ["True", "True"]
