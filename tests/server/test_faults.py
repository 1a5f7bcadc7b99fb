"""Faults: whatever arrives, the answer is well-formed and the server keeps serving.

Malformed and mutated requests get a FATAL result with a clear message (or RESOURCE_EXHAUSTED for
an oversize message); cancelled calls leave nothing behind; SIGTERM drains in-flight calls.
"""

from __future__ import annotations

import contextlib
import copy
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from crossplane.function.proto.v1 import run_function_pb2 as fnv1
from grpc_health.v1 import health_pb2, health_pb2_grpc
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from server.serving import REPO, Served, serving
from support.compose import load_xr

from functions import bench, simulate
from functions.blueprints import BLUEPRINTS
from functions.runner import FunctionRunner
from functions.server import free_port

CLAIMS = {
    kind: load_xr(path)
    for kind, path in (
        ("XBucket", "bucket/claim.yaml"),
        ("XDatabase", "database/claim-postgres.yaml"),
        ("XCluster", "cluster/claim.yaml"),
    )
    if kind in BLUEPRINTS and (REPO / "examples" / path).exists()
}
HEALTHY = simulate.request(CLAIMS["XBucket"], tag="healthy")
RUNNER = FunctionRunner()


@pytest.fixture(scope="module")
def served() -> Iterator[Served]:
    with serving("--insecure") as server:
        yield server
        assert server.stop() == 0


def _well_formed(rsp: fnv1.RunFunctionResponse) -> None:
    fatal = [r for r in rsp.results if r.severity == fnv1.SEVERITY_FATAL]
    for result in fatal:
        assert result.message.strip()
    if fatal:
        assert len(fatal) == 1
        assert not set(rsp.desired.resources) - set(HEALTHY.desired.resources)  # nothing partial
    assert rsp.meta.ttl.seconds > 0


def _still_serving(served: Served) -> None:
    rsp = served.run(HEALTHY, timeout=10)
    assert rsp.meta.tag == "healthy"
    assert not [r for r in rsp.results if r.severity == fnv1.SEVERITY_FATAL]


# -- mutated requests -------------------------------------------------------------------------

JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**53), 2**53)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=40),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)
PATHS = [
    (),
    ("kind",),
    ("apiVersion",),
    ("metadata",),
    ("metadata", "name"),
    ("metadata", "namespace"),
    ("metadata", "labels"),
    ("spec",),
    ("spec", "parameters"),
    ("spec", "parameters", "region"),
    ("spec", "parameters", "tags"),
    ("spec", "parameters", "deletionPolicy"),
    ("spec", "parameters", "providerConfigName"),
    ("status",),
    ("status", "progress"),
]


def _mutate(xr: dict[str, Any], path: tuple[str, ...], value: Any, delete: bool) -> dict[str, Any]:
    xr = copy.deepcopy(xr)
    if not path:
        return value if isinstance(value, dict) else {"unexpected": value}
    target = xr
    for key in path[:-1]:
        if not isinstance(target.get(key), dict):
            target[key] = {}
        target = target[key]
    if delete:
        target.pop(path[-1], None)
    else:
        target[path[-1]] = value
    return xr


MUTATIONS = st.tuples(st.sampled_from(sorted(CLAIMS)), st.sampled_from(PATHS), JSON, st.booleans())


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(MUTATIONS)
def test_mutated_composites_get_a_well_formed_answer_in_process(mutation: Any) -> None:
    kind, path, value, delete = mutation
    req = simulate.request(_mutate(CLAIMS[kind], path, value, delete))
    _well_formed(fnv1.RunFunctionResponse.FromString(RUNNER.run_bytes(req.SerializeToString())))


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(mutation=MUTATIONS)
def test_mutated_composites_over_grpc_and_the_server_keeps_serving(
    served: Served, mutation: Any
) -> None:
    kind, path, value, delete = mutation
    req = simulate.request(_mutate(CLAIMS[kind], path, value, delete))
    _well_formed(served.run(req, timeout=10))
    _still_serving(served)


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=400))
def test_random_bytes_get_a_well_formed_answer(data: bytes) -> None:
    _well_formed(fnv1.RunFunctionResponse.FromString(RUNNER.run_bytes(data)))


# -- hostile shapes ---------------------------------------------------------------------------


def _nested(depth: int) -> dict[str, Any]:
    value: dict[str, Any] = {"leaf": True}
    for _ in range(depth):
        value = {"deeper": value}
    return value


def test_huge_strings(served: Served) -> None:
    huge = "x" * 1_000_000
    region = simulate.request(CLAIMS["XBucket"])
    region.observed.composite.resource["spec"]["parameters"]["region"] = huge
    rsp = served.run(region, timeout=20)
    _well_formed(rsp)
    assert "spec.parameters.region" in rsp.results[0].message
    assert len(rsp.results[0].message) < 5_000  # the value is not echoed back
    one_huge_tag = simulate.request(CLAIMS["XBucket"])
    one_huge_tag.observed.composite.resource["spec"]["parameters"]["tags"] = {"team": huge}
    rsp = served.run(one_huge_tag, timeout=20)
    _well_formed(rsp)
    assert "spec.parameters.tags.team: string should have at most 256" in rsp.results[0].message
    # More tags than AWS allows on a resource: refused before anything is built.
    tags = simulate.request(CLAIMS["XBucket"])  # the bucket and its key both carry the tags
    tags.observed.composite.resource["spec"]["parameters"]["tags"] = {
        f"tag-{i}": "x" * 250 for i in range(9_000)
    }
    rsp = served.run(tags, timeout=20)
    _well_formed(rsp)
    assert "spec.parameters.tags: value error, 9000 tags, 8956 too many" in rsp.results[0].message
    # Each tag valid, and copied into every resource: too big for a server's send limit.
    tags.observed.composite.resource["spec"]["parameters"]["tags"] = {
        f"tag-{i}": "x" * 250 for i in range(44)
    }
    small = FunctionRunner(max_response_bytes=10_000)
    rsp = fnv1.RunFunctionResponse.FromString(small.run_bytes(tags.SerializeToString()))
    _well_formed(rsp)
    assert "over the server's" in rsp.results[0].message
    name = simulate.request(CLAIMS["XBucket"])
    name.observed.composite.resource["metadata"]["name"] = huge
    _well_formed(served.run(name, timeout=20))  # composed or refused, but answered
    _still_serving(served)


def test_deep_nesting_beyond_protobufs_limit_is_a_fatal_result(served: Served) -> None:
    for depth in (10, 35, 60, 150):
        req = simulate.request(CLAIMS["XBucket"])
        req.observed.composite.resource["spec"]["parameters"]["tags"] = _nested(depth)
        rsp = served.run(req, timeout=10)
        _well_formed(rsp)
        assert rsp.results and rsp.results[0].severity == fnv1.SEVERITY_FATAL
    _still_serving(served)


def test_non_utf8_connection_details_and_strings(served: Served) -> None:
    req = simulate.fully_observed(RUNNER.run, CLAIMS["XBucket"])
    for resource in req.observed.resources.values():
        resource.connection_details["password"] = b"\xff\xfe\x00\xc3\x28 not utf-8"
    rsp = served.run(req, timeout=10)
    _well_formed(rsp)
    assert not [r for r in rsp.results if r.severity == fnv1.SEVERITY_FATAL]
    # A string field holding invalid UTF-8: only a hand-made message can carry one.
    broken = req.SerializeToString().replace(b"team-assets", b"team-\xff\xfeets", 1)
    with served.channel() as channel:
        call = channel.unary_unary(
            "/apiextensions.fn.proto.v1.FunctionRunnerService/RunFunction",
            request_serializer=None,
            response_deserializer=fnv1.RunFunctionResponse.FromString,
        )
        answer = call(broken, timeout=10)
    assert "not a valid RunFunctionRequest" in answer.results[0].message
    _still_serving(served)


def test_a_message_over_4_mb_is_resource_exhausted(served: Served) -> None:
    req = simulate.request(CLAIMS["XBucket"])
    req.observed.resources["blob"].resource["data"] = {"big": "x" * (5 * 1024 * 1024)}
    with pytest.raises(grpc.RpcError) as refused:
        served.run(req, timeout=20)
    assert refused.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    _still_serving(served)


def test_cancelled_calls_leave_nothing_behind(served: Served) -> None:
    req = simulate.fully_observed(RUNNER.run, CLAIMS[max(CLAIMS)])
    with served.channel() as channel:
        stub = served.v1(channel)
        futures = [stub.RunFunction.future(req, timeout=10) for _ in range(100)]
        for future in futures:
            future.cancel()
        for _ in range(20):
            stub.RunFunction.future(req, timeout=0.0001)  # deadlines that expire mid-call
    time.sleep(0.5)
    started = time.perf_counter()
    _still_serving(served)
    assert time.perf_counter() - started < 2


# -- SIGTERM ----------------------------------------------------------------------------------

# The real serve_async with a function that takes SECONDS, so a call is surely in flight.
SLOW_SERVER = textwrap.dedent(
    """
    import asyncio, sys
    from crossplane.function import logging, response
    from functions.server import serve_async

    class Slow:
        async def RunFunction(self, req, context):
            await asyncio.sleep(float(sys.argv[2]))
            return response.to(req)

    logging.configure()
    grace = float(sys.argv[3])
    health = sys.argv[4] if len(sys.argv) > 4 else None
    serving = serve_async(
        Slow(), sys.argv[1], tls_certs_dir=None, insecure=True, grace_seconds=grace,
        health_address=health,
    )
    asyncio.run(serving)
    """
)


@contextlib.contextmanager
def _slow_server(
    seconds: float, grace: float, *health: str
) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    address = f"127.0.0.1:{free_port()}"
    process = subprocess.Popen(
        [sys.executable, "-c", SLOW_SERVER, address, str(seconds), str(grace), *health],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert process.stdout is not None
        for line in process.stdout:
            if '"serving"' in line:
                break
        yield address, process
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_sigterm_drains_in_flight_calls_and_exits_zero() -> None:
    with (
        _slow_server(1.5, grace=5) as (address, process),
        grpc.insecure_channel(address) as channel,
    ):
        stub = served_stub(channel)
        in_flight = [stub.RunFunction.future(simulate.request({}, tag=str(i))) for i in range(5)]
        time.sleep(0.3)
        process.send_signal(signal.SIGTERM)
        started = time.perf_counter()
        assert [f.result(timeout=10).meta.tag for f in in_flight] == [str(i) for i in range(5)]
        assert process.wait(timeout=10) == 0
        assert time.perf_counter() - started < 5


def test_sigterm_cancels_what_outlives_the_grace_period_and_exits_on_time() -> None:
    with _slow_server(30, grace=1) as (address, process), grpc.insecure_channel(address) as channel:
        in_flight = served_stub(channel).RunFunction.future(simulate.request({}), timeout=20)
        time.sleep(0.3)
        process.send_signal(signal.SIGTERM)
        started = time.perf_counter()
        assert process.wait(timeout=10) == 0
        assert 0.9 < time.perf_counter() - started < 6  # the 1 s grace, not the call's 30 s
        with pytest.raises(grpc.RpcError):
            in_flight.result(timeout=10)


def test_probes_see_not_serving_from_sigterm_until_the_drain_ends() -> None:
    health_address = f"127.0.0.1:{free_port()}"
    with (
        _slow_server(2, 5, health_address) as (address, process),
        grpc.insecure_channel(address) as channel,
        grpc.insecure_channel(health_address) as probe,
    ):
        check = health_pb2_grpc.HealthStub(probe).Check
        request = health_pb2.HealthCheckRequest()
        assert check(request, timeout=5).status == health_pb2.HealthCheckResponse.SERVING
        in_flight = served_stub(channel).RunFunction.future(simulate.request({}), timeout=20)
        time.sleep(0.3)
        process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 1.5  # the call in flight takes 2 s: still draining then
        while check(request, timeout=5).status == health_pb2.HealthCheckResponse.SERVING:
            assert time.monotonic() < deadline, "still SERVING after SIGTERM"
            time.sleep(0.05)
        assert check(request, timeout=5).status == health_pb2.HealthCheckResponse.NOT_SERVING
        in_flight.result(timeout=10)
        assert process.wait(timeout=10) == 0


def served_stub(channel: grpc.Channel) -> Any:
    from crossplane.function.proto.v1 import run_function_pb2_grpc as grpcv1

    return grpcv1.FunctionRunnerServiceStub(channel)


def _churned(count: int) -> list[bytes]:
    workload = bench.largest(bench.workloads())
    return workload.churned(count)


def test_sigterm_on_paved_serve_finishes_every_call_in_flight_or_queued() -> None:
    """Measured: SIGTERM cancelled 60-97 % of calls in flight. Now every accepted call finishes."""
    requests = _churned(40)  # each one a full compose: they queue for the compose thread
    args = ("--insecure", "--grace-period=5", "--max-recv-message-size=16")
    with serving(*args, "--max-concurrent-calls=64") as served:
        with served.channel() as channel:
            call = channel.unary_unary(
                bench.METHOD, request_serializer=None, response_deserializer=None
            )
            futures = [call.future(payload, timeout=20) for payload in requests]
            futures[0].result(timeout=20)
            served.process.send_signal(signal.SIGTERM)
            started = time.perf_counter()
            answers = [fnv1.RunFunctionResponse.FromString(f.result(timeout=20)) for f in futures]
            assert served.process.wait(timeout=10) == 0
            assert time.perf_counter() - started < 5
        for answer in answers:
            _well_formed(answer)
            assert not [r for r in answer.results if r.severity == fnv1.SEVERITY_FATAL]
    assert '"draining"' in served.output and '"stopped"' in served.output
