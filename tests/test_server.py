"""`paved serve` as Crossplane meets it: a real process, real gRPC, both protocol versions.

Plus the server's hot path (the response cache), its metrics and logs, and secrets staying out
of both.
"""

from __future__ import annotations

import json
import logging
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
import structlog
from crossplane.function.proto.v1 import run_function_pb2 as fnv1
from server.serving import as_v1beta1, serving, start
from support.compose import load_xr, replay, with_parameters

from functions import simulate
from functions.kit import Blueprint
from functions.kit.params import CommonParameters
from functions.runner import REDACTED, FunctionRunner
from functions.server import free_port

BUCKET = load_xr("bucket/claim.yaml")


SENTINEL = "s3ntinel-Pa55word-do-not-log"


@pytest.fixture
def captured_logs() -> Iterator[list[dict[str, Any]]]:
    """Every log line at every level (other tests may have configured a filtering logger)."""
    previous = structlog.get_config()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.DEBUG))
    try:
        with structlog.testing.capture_logs() as logs:
            yield logs
    finally:
        structlog.configure(**previous)


def _xr(kind: str, name: str) -> dict[str, Any]:
    return {
        "kind": kind,
        "metadata": {"name": name},
        "spec": {"parameters": {"region": "eu-west-1"}},
    }


def _fatal(rsp: Any) -> list[str]:
    return [r.message for r in rsp.results if r.severity == fnv1.SEVERITY_FATAL]


def _without_region() -> dict[str, Any]:
    xr = load_xr("bucket/claim.yaml")
    del xr["spec"]["parameters"]["region"]
    return xr


BAD_REQUESTS = {
    "spec.parameters.region": simulate.request(_without_region()),
    "metadata.name": simulate.request({**BUCKET, "metadata": {"labels": {"a": "b"}}}),
    "kind": simulate.request({**BUCKET, "kind": "XTeapot"}),
    "input": simulate.request(BUCKET, input_={"responseTTLSeconds": "soon"}),
    "spec.parameters": simulate.request(
        {**BUCKET, "spec": {"parameters": ["not", "an", "object"]}}
    ),
}


# -- the real server ----------------------------------------------------------------------------


def test_serves_v1_and_v1beta1_over_real_grpc_and_survives_bad_input() -> None:
    req = simulate.fully_observed(FunctionRunner().run, BUCKET)
    req.meta.tag = "steady"
    expected = FunctionRunner().run(req)
    with serving("--insecure") as served, served.channel() as channel:
        v1, v1beta1 = served.v1(channel), served.v1beta1(channel)
        assert v1.RunFunction(req, timeout=10) == expected
        beta = v1beta1.RunFunction(as_v1beta1(req), timeout=10)
        assert beta.SerializeToString(deterministic=True) == expected.SerializeToString(
            deterministic=True
        )
        for field_path, bad in BAD_REQUESTS.items():
            for stub, message in ((v1, bad), (v1beta1, as_v1beta1(bad))):
                messages = _fatal(stub.RunFunction(message, timeout=10))
                assert len(messages) == 1
                assert field_path in messages[0]
        # Still serving, and still right.
        assert v1.RunFunction(req, timeout=10) == expected
        assert served.stop() == 0


def test_serving_without_tls_needs_insecure() -> None:
    served = start(ready=None)
    assert served.process.wait(timeout=20) != 0
    served.wait_for("--insecure")
    assert "TLS" in served.output


def test_python_dash_m_functions_serves() -> None:
    with serving("--insecure", module=True) as served:
        rsp = served.run(simulate.request(BUCKET, tag="m"))
        assert rsp.meta.tag == "m"
        assert not _fatal(rsp)
        assert served.stop() == 0


def test_metrics_count_requests_by_blueprint_and_severity_and_cache_hits() -> None:
    metrics_address = f"127.0.0.1:{free_port()}"
    req = simulate.fully_observed(FunctionRunner().run, BUCKET)
    with serving("--insecure", f"--metrics-address={metrics_address}") as served:
        served.run(req)
        served.run(req)
        served.run(BAD_REQUESTS["spec.parameters.region"])
        with urllib.request.urlopen(f"http://{metrics_address}/metrics", timeout=5) as rsp:
            text = rsp.read().decode()
    assert 'paved_requests_total{blueprint="XBucket",severity="normal"} 2' in text
    assert 'paved_requests_total{blueprint="XBucket",severity="fatal"} 1' in text
    assert 'paved_request_duration_seconds_count{blueprint="XBucket"} 3' in text
    assert 'paved_request_duration_seconds_bucket{blueprint="XBucket",le="+Inf"} 3' in text
    assert 'paved_cache_requests_total{result="hit"} 1' in text
    assert 'paved_cache_requests_total{result="miss"} 2' in text


def test_two_workers_share_one_port_and_stop_cleanly_on_sigterm() -> None:
    metrics_address = f"127.0.0.1:{free_port()}"
    args = ("--insecure", "--workers=2", f"--metrics-address={metrics_address}")
    with serving(*args, ready='"msg": "workers started"') as served:
        served.wait_for('"msg": "serving"', count=2)
        for index in range(20):
            with served.channel() as channel:  # a new connection each time: spread over workers
                rsp = served.v1(channel).RunFunction(simulate.request(BUCKET, tag=str(index)))
                assert rsp.meta.tag == str(index)
        with urllib.request.urlopen(f"http://{metrics_address}/metrics", timeout=5) as rsp:
            text = rsp.read().decode()
        assert 'paved_requests_total{blueprint="XBucket",severity="normal"} 20' in text
        assert served.stop() == 0
    assert served.output.count('"msg": "stopped"') == 2


# -- the hot path: the response cache ----------------------------------------------------------


def test_a_cached_response_is_the_composed_response_with_the_current_tag() -> None:
    runner = FunctionRunner()
    req = simulate.fully_observed(runner.run, BUCKET)
    req.meta.tag = "first"
    first = runner.run_bytes(req.SerializeToString())
    assert fnv1.RunFunctionResponse.FromString(first) == runner.run(req)
    assert runner.run_bytes(req.SerializeToString()) == first  # byte-identical repeat
    req.meta.tag = "second"
    again = fnv1.RunFunctionResponse.FromString(runner.run_bytes(req.SerializeToString()))
    assert again == runner.run(req)
    assert again.meta.tag == "second"


def test_the_cache_keys_on_content_not_on_map_order() -> None:
    runner = FunctionRunner()
    xr, observed = BUCKET, simulate.fully_observed(runner.run, BUCKET).observed.resources
    items = {
        k: simulate.ObservedResource(simulate.lookup(r.resource), dict(r.connection_details))
        for k, r in observed.items()
    }
    forward = simulate.request(xr, items)
    backward = fnv1.RunFunctionRequest()
    backward.observed.composite.CopyFrom(forward.observed.composite)
    for key in reversed(list(forward.observed.resources)):
        backward.observed.resources[key].CopyFrom(forward.observed.resources[key])
    runner.run_bytes(forward.SerializeToString())
    hits = len(runner.cache) if runner.cache else 0
    assert fnv1.RunFunctionResponse.FromString(
        runner.run_bytes(backward.SerializeToString())
    ) == runner.run(forward)
    assert runner.cache is not None and len(runner.cache) == hits + (
        0 if backward.SerializeToString() == forward.SerializeToString() else 1
    )


def test_a_changed_request_is_composed_again() -> None:
    runner = FunctionRunner()
    first = fnv1.RunFunctionResponse.FromString(
        runner.run_bytes(simulate.request(BUCKET).SerializeToString())
    )
    changed = with_parameters(BUCKET, region="us-west-2")
    second = fnv1.RunFunctionResponse.FromString(
        runner.run_bytes(simulate.request(changed).SerializeToString())
    )
    assert first != second
    assert "us-west-2" in str(second.desired)


def test_internal_errors_are_not_cached() -> None:
    calls = []

    def flaky(_xr: Any, _out: Any) -> None:
        calls.append(1)
        raise RuntimeError("transient")

    blueprint = Blueprint("XFlaky", "Flaky", "", CommonParameters, CommonParameters, flaky)
    runner = FunctionRunner({"XFlaky": blueprint})
    data = simulate.request(_xr("XFlaky", "f")).SerializeToString()
    for _ in range(2):
        assert _fatal(fnv1.RunFunctionResponse.FromString(runner.run_bytes(data)))
    assert len(calls) == 2


def test_the_cache_is_bounded_in_bytes() -> None:
    runner = FunctionRunner(cache_bytes=20_000)
    for index in range(50):
        xr = {**BUCKET, "metadata": {**BUCKET["metadata"], "resourceVersion": str(index)}}
        runner.run_bytes(simulate.request(xr).SerializeToString())
    assert runner.cache is not None
    assert 0 < runner.cache.size_bytes <= 20_000


def test_a_request_that_does_not_parse_gets_a_fatal_result() -> None:
    rsp = fnv1.RunFunctionResponse.FromString(FunctionRunner().run_bytes(b"\xff\xff\xff"))
    assert "not a valid RunFunctionRequest" in _fatal(rsp)[0]


@pytest.mark.parametrize(
    ("flag", "input_", "expected"), [(60, None, 60), (30, None, 30), (30, 90, 90)]
)
def test_response_ttl_from_the_server_default_or_the_input(
    flag: int, input_: int | None, expected: int
) -> None:
    extra = {} if input_ is None else {"input_": {"responseTTLSeconds": input_}}
    req = simulate.request(BUCKET, **extra)
    rsp = fnv1.RunFunctionResponse.FromString(
        FunctionRunner(ttl_seconds=flag).run_bytes(req.SerializeToString())
    )
    assert rsp.meta.ttl.seconds == expected


# -- secrets and logs --------------------------------------------------------------------------


def _with_sentinel_details(req: fnv1.RunFunctionRequest) -> fnv1.RunFunctionRequest:
    for resource in req.observed.resources.values():
        resource.connection_details["password"] = SENTINEL.encode()
        resource.connection_details["kubeconfig"] = f"apiVersion: v1\ntoken: {SENTINEL}".encode()
    return req


def test_secrets_never_appear_in_results_or_logs(captured_logs: list[dict[str, Any]]) -> None:
    def leaky(xr: Any, _out: Any) -> None:
        details = xr.observed["db"].connection_details
        raise ValueError(f"cannot parse {details['password']!r} or {details['password'].decode()}")

    blueprint = Blueprint("XLeaky", "Leaky", "", CommonParameters, CommonParameters, leaky)
    runner = FunctionRunner({"XLeaky": blueprint})
    observed = {"db": simulate.ObservedResource({"kind": "Thing"}, {"password": SENTINEL.encode()})}
    req = simulate.request(_xr("XLeaky", "l"), observed)
    rsp = runner.run(req)
    logs = captured_logs
    assert SENTINEL not in str(rsp.results)
    assert REDACTED in _fatal(rsp)[0]
    assert SENTINEL not in json.dumps(logs, default=str)
    assert logs and all(line.get("xr") == "XLeaky l" for line in logs)


def test_secrets_stay_out_of_the_real_servers_logs_and_results() -> None:
    runner = FunctionRunner()
    steady = _with_sentinel_details(simulate.fully_observed(runner.run, BUCKET))
    broken = _with_sentinel_details(simulate.fully_observed(runner.run, BUCKET))
    broken.observed.composite.resource["spec"]["parameters"]["region"] = SENTINEL
    with serving("--insecure", "--debug") as served:
        ok, bad = served.run(steady), served.run(broken)
        assert served.stop() == 0
    for rsp in (ok, bad):
        assert SENTINEL not in str(rsp.results) + str(rsp.conditions)
    assert _fatal(bad)
    assert "composing failed" in served.output
    assert SENTINEL not in served.output


def test_every_log_line_of_a_request_names_the_xr(captured_logs: list[dict[str, Any]]) -> None:
    runner = FunctionRunner()
    steady = replay(BUCKET)[-1].request
    captured_logs.clear()
    runner.run(steady)
    runner.run(BAD_REQUESTS["spec.parameters.region"])
    assert [line["event"] for line in captured_logs] == ["composed", "composing failed"]
    assert all(line["xr"].startswith("XBucket ") for line in captured_logs)
