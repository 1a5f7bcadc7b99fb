"""`paved bench`: the real server over gRPC on loopback, against an empty function's floor.

Each scenario sends the same request bytes to an echo floor (an empty function served by the
SDK's own runtime) and to Paved, so the ratio shows what composing costs on top of gRPC, the
request's parsing and the response's serialization:
- full compose: every request differs (its resourceVersion), so the response cache never hits;
- steady state: the identical request again, as Crossplane sends it when nothing changed.
Requests are fully observed: every composed resource exists with provider-shaped status, built by
the reconcile replay. A workers run compares throughput of 1 and 2 server processes.
"""

from __future__ import annotations

import asyncio
import contextlib
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import yaml
from crossplane.function import response
from crossplane.function.proto.v1 import run_function_pb2 as fnv1
from crossplane.function.proto.v1 import run_function_pb2_grpc as grpcv1

from functions import simulate
from functions.blueprints import BLUEPRINTS
from functions.runner import FunctionRunner
from functions.server import V1_SERVICE, free_port

METHOD = f"/{V1_SERVICE}/RunFunction"
EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
# A few MB of headroom over the SDK's default so the largest fully observed states fit.
MESSAGE_LIMIT_MB = 16


# -- the workloads ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Workload:
    kind: str
    example: str
    request: fnv1.RunFunctionRequest

    @property
    def resources(self) -> int:
        return len(self.request.observed.resources)

    def steady(self) -> bytes:
        return self.request.SerializeToString(deterministic=True)

    def changing(self, count: int) -> list[bytes]:
        """`count` requests differing only in the XR's resourceVersion: each one a full compose."""
        variants = []
        req = fnv1.RunFunctionRequest()
        req.CopyFrom(self.request)
        metadata = req.observed.composite.resource.fields["metadata"].struct_value
        for index in range(count):
            metadata.fields["resourceVersion"].string_value = str(100000 + index)
            req.meta.tag = f"bench-{index}"
            variants.append(req.SerializeToString(deterministic=True))
        return variants


def _example_documents() -> Iterator[tuple[str, dict[str, Any]]]:
    for path in sorted(EXAMPLES.rglob("*.yaml")):
        try:
            documents = list(yaml.safe_load_all(path.read_text()))
        except yaml.YAMLError:
            continue
        for document in documents:
            # Only Paved's XRs and claims: examples also hold observed provider resources
            # (an s3 Bucket is kind Bucket too).
            if isinstance(document, dict) and str(document.get("apiVersion", "")).startswith(
                "platform.paved.dev/"
            ):
                yield str(path.relative_to(EXAMPLES.parent)), document


def workloads() -> dict[str, Workload]:
    """One fully observed request per blueprint with an example, by XR kind."""
    claim_kinds = {b.claim_kind: b.kind for b in BLUEPRINTS.values()}
    runner = FunctionRunner(cache_bytes=0)
    found: dict[str, Workload] = {}
    for path, document in _example_documents():
        kind = claim_kinds.get(str(document.get("kind")), document.get("kind"))
        if kind not in BLUEPRINTS or kind in found:
            continue
        xr = simulate.as_xr(document, set(claim_kinds))
        rounds = simulate.replay(runner.run, xr)
        if rounds[-1].fatal:
            continue
        found[kind] = Workload(kind, path, rounds[-1].request)
    return found


def largest(found: dict[str, Workload]) -> Workload:
    return max(found.values(), key=lambda w: (w.resources, w.kind))


# -- servers ----------------------------------------------------------------------------------


class Echo(grpcv1.FunctionRunnerServiceServicer):
    """An empty function: the floor."""

    async def RunFunction(
        self, req: fnv1.RunFunctionRequest, _context: grpc.aio.ServicerContext
    ) -> fnv1.RunFunctionResponse:
        return response.to(req)


def serve_echo(address: str) -> None:
    from crossplane.function import logging, runtime

    logging.configure(logging.Level.DISABLED)
    limit = MESSAGE_LIMIT_MB * 1024 * 1024
    runtime.serve(
        Echo(),
        address,
        creds=None,
        insecure=True,
        options=[
            ("grpc.max_receive_message_length", limit),
            ("grpc.max_send_message_length", limit),
        ],
    )


@contextlib.contextmanager
def server(command: list[str], address: str, probe: bytes) -> Iterator[subprocess.Popen[bytes]]:
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_ready(address, probe, process)
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_ready(address: str, probe: bytes, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}: {process.args}")
        try:
            with _channel(address) as channel:
                _call(channel)(probe, timeout=2)
            return
        except grpc.RpcError:
            time.sleep(0.1)
    raise RuntimeError(f"server at {address} did not answer within 30s")


def paved_command(address: str, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "functions",
        "serve",
        "--insecure",
        f"--address={address}",
        f"--max-recv-message-size={MESSAGE_LIMIT_MB}",
        *extra,
    ]


def echo_command(address: str) -> list[str]:
    return [sys.executable, "-m", "functions.bench", "echo", address]


# -- clients ----------------------------------------------------------------------------------


def _options() -> list[tuple[str, Any]]:
    limit = MESSAGE_LIMIT_MB * 1024 * 1024
    return [
        ("grpc.max_receive_message_length", limit),
        ("grpc.max_send_message_length", limit),
        # One connection per channel object: the workers run needs several connections.
        ("grpc.use_local_subchannel_pool", 1),
    ]


def _channel(address: str) -> grpc.Channel:
    return grpc.insecure_channel(address, options=_options())


def _call(channel: Any) -> Any:
    # Bytes in, bytes out: the client doesn't parse or build messages while it measures.
    return channel.unary_unary(METHOD, request_serializer=None, response_deserializer=None)


@dataclass(frozen=True)
class Measurement:
    name: str
    requests: int
    p50_ms: float
    p99_ms: float
    per_second: float


def measure(name: str, address: str, requests: list[bytes], warmup: int = 30) -> Measurement:
    """Sequential calls, one at a time: latency, and the throughput of one client."""
    with _channel(address) as channel:
        call = _call(channel)
        for payload in requests[:warmup]:
            _check(call(payload, timeout=30))
        timings = []
        started = time.perf_counter()
        for payload in requests:
            before = time.perf_counter()
            call(payload, timeout=30)
            timings.append(time.perf_counter() - before)
        elapsed = time.perf_counter() - started
    timings.sort()
    return Measurement(
        name,
        len(timings),
        statistics.median(timings) * 1000,
        timings[min(len(timings) - 1, int(len(timings) * 0.99))] * 1000,
        len(timings) / elapsed,
    )


def _check(payload: bytes) -> None:
    rsp = fnv1.RunFunctionResponse.FromString(payload)
    fatal = [r.message for r in rsp.results if r.severity == fnv1.SEVERITY_FATAL]
    if fatal:
        raise RuntimeError(f"the benchmark request failed: {fatal[0]}")


async def _throughput(
    address: str, requests: list[bytes], seconds: float, concurrency: int
) -> float:
    channels = [
        grpc.aio.insecure_channel(address, options=[*_options(), ("paved.bench.channel", index)])
        for index in range(concurrency)
    ]
    calls = [_call(channel) for channel in channels]
    done = 0
    deadline = time.perf_counter() + seconds

    async def client(index: int) -> None:
        nonlocal done
        position = index
        while time.perf_counter() < deadline:
            await calls[index](requests[position % len(requests)], timeout=30)
            position += concurrency
            done += 1

    for index in range(concurrency):  # connect every channel before the clock starts
        await calls[index](requests[0], timeout=30)
    started = time.perf_counter()
    deadline = started + seconds
    await asyncio.gather(*(client(index) for index in range(concurrency)))
    elapsed = time.perf_counter() - started
    for channel in channels:
        await channel.close()
    return done / elapsed


def throughput(address: str, requests: list[bytes], seconds: float, concurrency: int = 16) -> float:
    """Requests per second with `concurrency` calls in flight on as many connections."""
    return asyncio.run(_throughput(address, requests, seconds, concurrency))


# -- the run ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Report:
    rows: list[tuple[Measurement, Measurement]]  # (measurement, its floor)
    workers: tuple[float, float] | None
    largest: Workload

    def table(self) -> str:
        lines = [
            "| scenario | requests | p50 ms | p99 ms | req/s (1 client) | p50 / floor |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        for row, floor in self.rows:
            ratio = row.p50_ms / floor.p50_ms
            lines.append(
                f"| {row.name} | {row.requests} | {row.p50_ms:.3f} | {row.p99_ms:.3f} "
                f"| {row.per_second:.0f} | {ratio:.2f}x |"
            )
        if self.workers:
            one, two = self.workers
            lines.append("")
            lines.append(
                f"Workers ({self.largest.kind} full compose, 16 concurrent calls): "
                f"1 worker {one:.0f} req/s, 2 workers {two:.0f} req/s, {two / one:.2f}x"
            )
        return "\n".join(lines)


def run(requests: int = 400, workers_seconds: float = 5.0, workers: bool = True) -> Report:
    from crossplane.function import logging

    logging.configure(logging.Level.DISABLED)  # the in-process replay that builds the workloads
    found = workloads()
    if not found:
        raise RuntimeError("no blueprint example composes: nothing to benchmark")
    chosen = [found[k] for k in ("XBucket",) if k in found]
    big = largest(found)
    if big not in chosen:
        chosen.append(big)
    rows: list[tuple[Measurement, Measurement]] = []
    echo_address = f"127.0.0.1:{free_port()}"
    paved_address = f"127.0.0.1:{free_port()}"
    probe = chosen[0].steady()
    with (
        server(echo_command(echo_address), echo_address, probe),
        server(paved_command(paved_address), paved_address, probe),
    ):
        for workload in chosen:
            label = f"{workload.kind} ({workload.resources} resources)"
            steady = workload.steady()
            floor = measure(f"echo floor, {label} request", echo_address, [steady] * requests)
            full = measure(f"{label} full compose", paved_address, workload.changing(requests))
            same = measure(f"{label} steady state", paved_address, [steady] * requests)
            rows += [(floor, floor), (full, floor), (same, floor)]
    measured_workers = None
    if workers:
        variants = big.changing(2000)
        rates = []
        for count in (1, 2):
            address = f"127.0.0.1:{free_port()}"
            # No cache: every request is a full compose whatever the client sends twice.
            command = paved_command(address, f"--workers={count}", "--cache-size-mb=0")
            with server(command, address, probe):
                throughput(address, variants[:200], 0.5)
                rates.append(throughput(address, variants, workers_seconds))
        measured_workers = (rates[0], rates[1])
    return Report(rows, measured_workers, big)


if __name__ == "__main__":
    if sys.argv[1:2] == ["echo"]:
        serve_echo(sys.argv[2])
