"""`paved bench`: the real server over gRPC on loopback, as Crossplane calls it, against a floor.

The floor is an empty function (`response.to(req)`) served by the SDK's own runtime: gRPC, parsing
the request and serializing a response. Every scenario sends Paved and the floor the same bytes, one
call at a time on one connection, alternating between the two in small batches so that other work
on the machine weighs on both alike; the ratio of the p50s is what composing costs on top.

Requests are what Crossplane sends: fully observed (every composed resource present with
provider-shaped status, built by the reconcile replay), each composed resource as the API server
returns it to Crossplane (`simulate.apiserver`: labels, owner reference, finalizer, managedFields,
the providers' annotations and conditions), every map (each Struct's fields, the resources) in a
fresh random order on every call as Go's protobuf marshalling does, and tagged as Crossplane tags
them (the SHA-256 of the request's deterministic marshalling). For comparison, the largest
blueprint's churned composes are also measured with the replay's own objects, which carry only
what the providers report (a third of the bytes).

- steady state: the same state again and again (fresh map order each time);
- churned: the observed status changes on every call (resourceVersions, a condition's
  lastTransitionTime), so the response cache never hits; the composed resources stay the same;
- every resource changed: the XR's tags change on every call, so every taggable resource differs;
- byte-identical: the same bytes again (what Crossplane never sends, for comparison).

The replicas table runs N servers behind one client channel balancing round-robin over their
addresses, as Crossplane's channel does over a function's pods, with several calls in flight.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import random
import statistics
import struct
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import yaml
from crossplane.function import response
from crossplane.function.proto.v1 import run_function_pb2 as fnv1
from crossplane.function.proto.v1 import run_function_pb2_grpc as grpcv1
from google.protobuf import message as protobuf_message
from google.protobuf import struct_pb2

from functions import simulate
from functions.blueprints import BLUEPRINTS
from functions.kit.observed import lookup
from functions.runner import FunctionRunner
from functions.server import V1_SERVICE, free_port
from functions.structs import length_delimited

METHOD = f"/{V1_SERVICE}/RunFunction"
EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
# A few MB of headroom over the SDK's default so the largest fully observed states fit.
MESSAGE_LIMIT_MB = 16
TARGET_STEADY = 1.3
TARGET_COMPOSE = 3.0
# The comparison row whose observed objects lack what the API server adds to them.
REPLAYED = "objects as the replay observes them"


# -- requests as Crossplane sends them ---------------------------------------------------------


def go_marshal(message: protobuf_message.Message, rng: random.Random) -> bytes:
    """`message` serialized with every map's entries in a random order, as Go's marshalling does."""
    name = message.DESCRIPTOR.full_name
    if name == "google.protobuf.Struct":
        return _struct(message, rng)  # type: ignore[arg-type]
    if name == "google.protobuf.Value":
        return _value(message, rng)  # type: ignore[arg-type]
    out = []
    for field, value in message.ListFields():
        if field.message_type is not None and field.message_type.GetOptions().map_entry:
            value_field = field.message_type.fields_by_name["value"]
            items = list(value.items())
            rng.shuffle(items)
            for key, item in items:
                encoded = (
                    go_marshal(item, rng) if value_field.message_type is not None else bytes(item)
                )
                entry = length_delimited(1, key.encode()) + length_delimited(2, encoded)
                out.append(length_delimited(field.number, entry))
        elif field.message_type is not None:
            items = value if field.is_repeated else [value]
            out.extend(length_delimited(field.number, go_marshal(item, rng)) for item in items)
        else:  # a scalar: protobuf's own encoding of that one field
            alone = type(message)()
            if field.is_repeated:
                getattr(alone, field.name).extend(value)
            else:
                setattr(alone, field.name, value)
            out.append(alone.SerializeToString())
    return b"".join(out)


def _struct(message: struct_pb2.Struct, rng: random.Random) -> bytes:
    items = list(message.fields.items())
    rng.shuffle(items)
    return b"".join(
        length_delimited(1, length_delimited(1, k.encode()) + length_delimited(2, _value(v, rng)))
        for k, v in items
    )


def _value(value: struct_pb2.Value, rng: random.Random) -> bytes:
    kind = value.WhichOneof("kind")
    if kind == "string_value":
        return length_delimited(3, value.string_value.encode())
    if kind == "number_value":
        return b"\x11" + struct.pack("<d", value.number_value)
    if kind == "bool_value":
        return b"\x20\x01" if value.bool_value else b"\x20\x00"
    if kind == "struct_value":
        return length_delimited(5, _struct(value.struct_value, rng))
    if kind == "list_value":
        items = b"".join(length_delimited(1, _value(v, rng)) for v in value.list_value.values)
        return length_delimited(6, items)
    return b"\x08\x00"  # null


def crossplane_tagged(req: fnv1.RunFunctionRequest) -> fnv1.RunFunctionRequest:
    """`req` tagged as Crossplane tags it: SHA-256 of its deterministic marshalling, untagged."""
    tagged = fnv1.RunFunctionRequest()
    tagged.CopyFrom(req)
    tagged.ClearField("meta")
    tag = hashlib.sha256(tagged.SerializeToString(deterministic=True)).hexdigest()
    tagged.meta.tag = tag
    return tagged


def as_crossplane_reads_it(req: fnv1.RunFunctionRequest) -> fnv1.RunFunctionRequest:
    """`req` with every observed composed resource as the API server returns it to Crossplane
    (`simulate.apiserver`): what Crossplane sends a function."""
    stored = fnv1.RunFunctionRequest()
    stored.CopyFrom(req)
    composite = lookup(req.observed.composite.resource)
    for key, resource in stored.observed.resources.items():
        observed = simulate.as_stored(key, lookup(resource.resource), composite)
        resource.resource.Clear()
        resource.resource.update(observed)
    return stored


@dataclass(frozen=True)
class Workload:
    kind: str
    example: str
    request: fnv1.RunFunctionRequest  # as Crossplane sends it
    # As the replay observes it: only what the providers report, without what the API server,
    # Crossplane and the providers add to every object (`simulate.apiserver`).
    replayed: fnv1.RunFunctionRequest | None = None

    def as_replayed(self) -> Workload:
        """This workload with the replay's own, leaner observed objects."""
        return Workload(self.kind, self.example, self.replayed or self.request)

    @property
    def resources(self) -> int:
        return len(self.request.observed.resources)

    @property
    def label(self) -> str:
        return f"{self.kind} ({self.resources} resources, {self.example})"

    def identical(self, count: int) -> list[bytes]:
        return [crossplane_tagged(self.request).SerializeToString(deterministic=True)] * count

    def steady(self, count: int, seed: int = 1) -> list[bytes]:
        """The same state `count` times, in fresh map orders (a few dozen, taken in turn)."""
        rng = random.Random(seed)
        req = crossplane_tagged(self.request)
        orders = [go_marshal(req, rng) for _ in range(min(count, _MAP_ORDERS))]
        return [orders[index % len(orders)] for index in range(count)]

    def churned(self, count: int, seed: int = 2) -> list[bytes]:
        """`count` requests whose observed status changes on every call."""
        req = fnv1.RunFunctionRequest()
        req.CopyFrom(self.request)
        names = sorted(req.observed.resources)
        for resource in [req.observed.composite, *(req.observed.resources[n] for n in names)]:
            metadata = _field(resource.resource, "metadata").struct_value
            _field(metadata, "resourceVersion").string_value = _PLACEHOLDER
        status = _field(req.observed.resources[names[-1]].resource, "status").struct_value
        conditions = _field(status, "conditions").list_value.values
        if conditions:
            _field(
                conditions[0].struct_value, "lastTransitionTime"
            ).string_value = _TIME_PLACEHOLDER

        def substitutions(index: int) -> list[tuple[bytes, bytes]]:
            moment = f"2026-01-01T{index // 3600 % 24:02d}:{index // 60 % 60:02d}:{index % 60:02d}Z"
            return [
                (_PLACEHOLDER.encode(), b"%08d" % (10_000_000 + index)),
                (_TIME_PLACEHOLDER.encode(), moment.encode()),
            ]

        return _variants(req, count, substitutions, random.Random(seed))

    def retagged(self, count: int, seed: int = 3) -> list[bytes]:
        """`count` requests whose XR tags change on every call: every taggable resource changes."""
        req = fnv1.RunFunctionRequest()
        req.CopyFrom(self.request)
        spec = _field(req.observed.composite.resource, "spec").struct_value
        tags = _field(_field(spec, "parameters").struct_value, "tags").struct_value
        tags.Clear()
        _field(tags, "bench-run").string_value = _PLACEHOLDER

        def substitutions(index: int) -> list[tuple[bytes, bytes]]:
            return [(_PLACEHOLDER.encode(), b"%08d" % (10_000_000 + index))]

        return _variants(req, count, substitutions, random.Random(seed))


_MAP_ORDERS = 24


def _field(struct: struct_pb2.Struct, name: str) -> struct_pb2.Value:
    return struct.fields[name]


_PLACEHOLDER = "x7placeh"  # 8 characters, like the values that replace it
_TIME_PLACEHOLDER = "x7placeholder-time-x"  # 20 characters, like 2026-01-01T00:00:00Z
_TAG_PLACEHOLDER = "f" * 64


def _variants(
    req: fnv1.RunFunctionRequest,
    count: int,
    substitutions: Callable[[int], list[tuple[bytes, bytes]]],
    rng: random.Random,
) -> list[bytes]:
    """`count` variants of `req` in fresh map orders, each with its substitutions and its tag.

    Deep-shuffling a large request in Python takes tens of milliseconds, so a few dozen map orders
    are drawn and the changing values are substituted into them (same lengths, so the wire format
    stays valid); each variant then gets its own Crossplane tag.
    """
    template = fnv1.RunFunctionRequest()
    template.CopyFrom(req)
    template.meta.tag = _TAG_PLACEHOLDER
    orders = [go_marshal(template, rng) for _ in range(min(count, _MAP_ORDERS))]
    variants = []
    for index in range(count):
        data = orders[index % len(orders)]
        for old, new in substitutions(index):
            data = data.replace(old, new)
        untagged = fnv1.RunFunctionRequest.FromString(data)
        untagged.ClearField("meta")
        tag = hashlib.sha256(untagged.SerializeToString(deterministic=True)).hexdigest()
        variants.append(data.replace(_TAG_PLACEHOLDER.encode(), tag.encode()))
    return variants


def _example_documents() -> Iterator[tuple[str, dict[str, Any]]]:
    for path in sorted(EXAMPLES.rglob("*.yaml")):
        try:
            documents = list(yaml.safe_load_all(path.read_text()))
        except yaml.YAMLError:
            continue
        for document in documents:
            # Only Paved's XRs and claims: examples also hold observed provider resources
            # (an s3 Bucket is kind Bucket too), and required resources for `paved render -e`
            # (with a status), which are not inputs.
            if (
                isinstance(document, dict)
                and str(document.get("apiVersion", "")).startswith("platform.paved.dev/")
                and "status" not in document
            ):
                yield str(path.relative_to(EXAMPLES.parent)), document


def workloads() -> dict[str, Workload]:
    """The fully observed request of the largest example of each blueprint, by XR kind."""
    claim_kinds = {b.claim_kind: b.kind for b in BLUEPRINTS.values()}
    runner = FunctionRunner(cache_bytes=0)
    found: dict[str, Workload] = {}
    for path, document in _example_documents():
        kind = claim_kinds.get(str(document.get("kind")), document.get("kind"))
        if kind not in BLUEPRINTS:
            continue
        xr = simulate.as_xr(document, set(claim_kinds))
        rounds = simulate.replay(runner.run, xr)
        if rounds[-1].fatal:
            continue
        replayed = rounds[-1].request
        workload = Workload(kind, path, as_crossplane_reads_it(replayed), replayed)
        if kind not in found or workload.resources > found[kind].resources:
            found[kind] = workload
    return found


def largest(found: dict[str, Workload]) -> Workload:
    return max(found.values(), key=lambda w: (w.resources, w.kind))


def with_viewers(workload: Workload, viewers: int) -> Workload:
    """XCluster with `viewers` more access entries (two resources each), fully observed."""
    xr = lookup(workload.request.observed.composite.resource)
    xr.pop("status", None)
    access = xr["spec"]["parameters"].setdefault("access", {})
    access["viewers"] = [
        f"arn:aws:iam::123456789012:role/viewer-{index}" for index in range(viewers)
    ]
    request = simulate.fully_observed(FunctionRunner(cache_bytes=0).run, xr)
    return Workload(workload.kind, workload.example, as_crossplane_reads_it(request), request)


# -- servers ----------------------------------------------------------------------------------


class Echo(grpcv1.FunctionRunnerServiceServicer):
    """An empty function: the floor."""

    async def RunFunction(
        self, req: fnv1.RunFunctionRequest, _context: grpc.aio.ServicerContext[Any, Any]
    ) -> fnv1.RunFunctionResponse:
        return response.to(req)


def serve_echo(address: str) -> None:
    from crossplane.function import logging, runtime

    logging.configure(logging.Level.DISABLED)
    limit = MESSAGE_LIMIT_MB * 1024 * 1024
    runtime.serve(
        Echo(),
        address,
        creds=None,  # type: ignore[arg-type]  # what the SDK itself passes for insecure
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
            raise RuntimeError(f"server exited with {process.returncode}: {process.args!r}")
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


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of process `pid` so far (Linux /proc), 0 elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cache_misses(metrics_address: str) -> int:
    with urllib.request.urlopen(f"http://{metrics_address}/metrics", timeout=5) as rsp:
        for line in rsp.read().decode().splitlines():
            if line.startswith('paved_cache_requests_total{result="miss"}'):
                return int(float(line.split()[-1]))
    return 0


# -- clients ----------------------------------------------------------------------------------


def _options() -> list[tuple[str, Any]]:
    limit = MESSAGE_LIMIT_MB * 1024 * 1024
    return [
        ("grpc.max_receive_message_length", limit),
        ("grpc.max_send_message_length", limit),
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


def _summary(name: str, timings: list[float]) -> Measurement:
    timings = sorted(timings)
    p99 = timings[min(len(timings) - 1, int(len(timings) * 0.99))]
    return Measurement(name, len(timings), statistics.median(timings) * 1000, p99 * 1000)


def measure_pair(
    name: str, floor_call: Any, paved_call: Any, requests: list[bytes], batch: int = 25
) -> tuple[Measurement, Measurement]:
    """Sequential calls on one connection each, alternating floor and Paved every `batch` calls."""
    floor_timings: list[float] = []
    paved_timings: list[float] = []
    for start in range(0, len(requests), batch):
        chunk = requests[start : start + batch]
        for call, timings in ((floor_call, floor_timings), (paved_call, paved_timings)):
            for payload in chunk:
                before = time.perf_counter()
                call(payload, timeout=30)
                timings.append(time.perf_counter() - before)
    return _summary(f"echo floor, same bytes as: {name}", floor_timings), _summary(
        name, paved_timings
    )


def _check(raw: bytes) -> None:
    rsp = fnv1.RunFunctionResponse.FromString(raw)
    fatal = [r.message for r in rsp.results if r.severity == fnv1.SEVERITY_FATAL]
    if fatal:
        raise RuntimeError(f"the benchmark request is refused: {fatal[0]}")


async def _load(
    target: str, requests: list[bytes], seconds: float, in_flight: int
) -> tuple[float, float]:
    """(requests per second, p50 ms) with `in_flight` calls at once on one round-robin channel."""
    options = [*_options(), ("grpc.lb_policy_name", "round_robin")]
    async with grpc.aio.insecure_channel(target, options=options) as channel:
        call = channel.unary_unary(METHOD, request_serializer=None, response_deserializer=None)
        await asyncio.gather(*(call(requests[i], timeout=30) for i in range(in_flight * 2)))
        timings: list[float] = []
        deadline = time.perf_counter() + seconds

        async def client(index: int) -> None:
            position = index
            while time.perf_counter() < deadline:
                before = time.perf_counter()
                await call(requests[position % len(requests)], timeout=30)
                timings.append(time.perf_counter() - before)
                position += in_flight

        started = time.perf_counter()
        await asyncio.gather(*(client(index) for index in range(in_flight)))
        elapsed = time.perf_counter() - started
    return len(timings) / elapsed, statistics.median(timings) * 1000


# -- the run ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    measurement: Measurement
    floor: Measurement
    cpu_ms: float  # the server process's CPU time per call (all its threads)
    floor_cpu_ms: float

    @property
    def ratio(self) -> float:
        return self.measurement.p50_ms / self.floor.p50_ms

    @property
    def cpu_ratio(self) -> float:
        return self.cpu_ms / self.floor_cpu_ms if self.floor_cpu_ms else float("nan")


@dataclass
class Report:
    rows: list[Row]
    replicas: list[ReplicasRow]
    per_resource: list[tuple[int, float]]  # (resources, µs of compose per resource)
    largest: Workload
    steady_misses: int = 0

    def table(self) -> str:
        lines = [
            "| scenario | calls | p50 ms | p99 ms | floor p50 ms | p50 / floor "
            "| server CPU ms / call | floor's | CPU / floor |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for row in self.rows:
            m = row.measurement
            lines.append(
                f"| {m.name} | {m.requests} | {m.p50_ms:.3f} | {m.p99_ms:.3f} "
                f"| {row.floor.p50_ms:.3f} | {row.ratio:.2f}x | {row.cpu_ms:.3f} "
                f"| {row.floor_cpu_ms:.3f} | {row.cpu_ratio:.2f}x |"
            )
        if self.per_resource:
            lines += [
                "",
                "| composed resources | CPU per composed resource (µs, p50, in process) |",
                "|---:|---:|",
            ]
            lines += [f"| {count} | {cost:.1f} |" for count, cost in self.per_resource]
        if self.replicas:
            lines += [
                "",
                "| replicas (servers behind one round-robin channel) | calls in flight | req/s "
                "| p50 ms | calls answered by each | server CPU ms / call "
                "| capacity of a 1-CPU pod (req/s) |",
                "|---:|---:|---:|---:|---|---:|---:|",
            ]
            lines += [
                f"| {r.servers} | {r.in_flight} | {r.per_second:.0f} | {r.p50_ms:.2f} "
                f"| {' / '.join(str(n) for n in r.shares)} | {r.cpu_ms:.2f} "
                f"| {r.capacity_per_pod:.0f} |"
                for r in self.replicas
            ]
        lines += ["", *self.verdicts()]
        return "\n".join(lines)

    def verdicts(self) -> list[str]:
        out = []
        big = self.largest.label
        for row in self.rows:
            name = row.measurement.name
            if not name.startswith(big):
                continue
            cpu = f"; server CPU per call {row.cpu_ratio:.2f}x the floor's"
            if "steady state" in name:
                grew = f", cache misses while measured: {self.steady_misses}"
                out.append(_verdict("steady state", row.ratio, TARGET_STEADY) + grew + cpu)
            elif "churned" in name and REPLAYED not in name:
                out.append(_verdict("full compose, churned", row.ratio, TARGET_COMPOSE) + cpu)
        return out


def _verdict(what: str, ratio: float, target: float) -> str:
    met = "met" if ratio <= target else "NOT met"
    return f"{what}: {ratio:.2f}x the floor (target <= {target}x): {met}"


def run(
    requests: int = 400,
    scaling_seconds: float = 4.0,
    scaling: bool = True,
    kinds: Sequence[str] = (),
) -> Report:
    """The latency scenarios of XBucket and the largest blueprint (or of `kinds`), and more."""
    from crossplane.function import logging

    logging.configure(logging.Level.DISABLED)  # the in-process replay that builds the workloads
    found = workloads()
    if not found:
        raise RuntimeError("no blueprint example composes: nothing to benchmark")
    unknown = sorted(set(kinds) - set(found))
    if unknown:
        raise RuntimeError(f"no example of {', '.join(unknown)} composes (known: {sorted(found)})")
    big = largest(found)
    chosen = [found[k] for k in kinds or ("XBucket",) if k in found]
    if not kinds and big not in chosen:
        chosen.append(big)
    rows: list[Row] = []
    echo_address = f"127.0.0.1:{free_port()}"
    paved_address = f"127.0.0.1:{free_port()}"
    metrics_address = f"127.0.0.1:{free_port()}"
    probe = chosen[0].identical(1)[0]
    steady_misses = 0
    with (
        server(echo_command(echo_address), echo_address, probe) as echo_process,
        server(
            paved_command(paved_address, f"--metrics-address={metrics_address}"),
            paved_address,
            probe,
        ) as paved_process,
        _channel(echo_address) as echo_channel,
        _channel(paved_address) as paved_channel,
    ):
        floor_call, paved_call = _call(echo_channel), _call(paved_channel)
        for workload in chosen:
            label = workload.label
            scenarios = [
                (f"{label} steady state (same state, fresh map order)", workload.steady(requests)),
                (f"{label} byte-identical repeat", workload.identical(requests)),
                (f"{label} full compose, churned status", workload.churned(requests)),
                (f"{label} full compose, every resource changed", workload.retagged(requests)),
            ]
            if workload is big:  # next to the churned row: the server in the same state
                scenarios.insert(
                    3,
                    (
                        f"{label} full compose, churned status, {REPLAYED}",
                        workload.as_replayed().churned(requests),
                    ),
                )
            for name, payloads in scenarios:
                _check(paved_call(payloads[0], timeout=30))
                for payload in payloads[:30]:  # warm-up
                    floor_call(payload, timeout=30)
                    paved_call(payload, timeout=30)
                misses = cache_misses(metrics_address)
                cpu_before = cpu_seconds(echo_process.pid), cpu_seconds(paved_process.pid)
                floor, paved = measure_pair(name, floor_call, paved_call, payloads)
                floor_cpu = cpu_seconds(echo_process.pid) - cpu_before[0]
                paved_cpu = cpu_seconds(paved_process.pid) - cpu_before[1]
                if workload is big and "steady state" in name:
                    steady_misses = cache_misses(metrics_address) - misses
                count = len(payloads)
                rows.append(Row(paved, floor, paved_cpu * 1000 / count, floor_cpu * 1000 / count))
    per_resource = _per_resource(found, big)
    replicas = _replicas(big, scaling_seconds) if scaling else []
    return Report(rows, replicas, per_resource, big, steady_misses)


def _per_resource(found: dict[str, Workload], big: Workload) -> list[tuple[int, float]]:
    """In-process compose time per composed resource, churned requests, at several sizes."""
    sizes = [found[k] for k in ("XBucket",) if k in found]
    if big.kind == "XCluster":
        sizes += [big, with_viewers(big, 60), with_viewers(big, 120)]
    out = []
    for workload in sizes:
        runner = FunctionRunner(cache_bytes=0)
        payloads = workload.churned(120)
        for payload in payloads[:20]:
            runner.run_bytes(payload)
        timings = []
        for payload in payloads[20:]:
            before = time.process_time()  # CPU time: other work on the machine does not count
            runner.run_bytes(payload)
            timings.append(time.process_time() - before)
        out.append((workload.resources, statistics.median(timings) * 1e6 / workload.resources))
    return out


@dataclass(frozen=True)
class ReplicasRow:
    servers: int
    in_flight: int
    per_second: float
    p50_ms: float
    shares: tuple[int, ...]  # calls each server answered
    cpu_ms: float  # server CPU time per call, all servers

    @property
    def capacity_per_pod(self) -> float:
        """Calls per second one server can answer with one CPU of its own."""
        return 1000 / self.cpu_ms if self.cpu_ms else float("nan")


def _replicas(big: Workload, seconds: float) -> list[ReplicasRow]:
    """N servers behind one round-robin channel (ipv4:a,b,...), cache off: every call composes."""
    payloads = big.churned(400, seed=4)
    probe = payloads[0]
    results = []
    for count in (1, 2):
        addresses = [f"127.0.0.1:{free_port()}" for _ in range(count)]
        metrics = [f"127.0.0.1:{free_port()}" for _ in range(count)]
        with contextlib.ExitStack() as stack:
            processes = [
                stack.enter_context(
                    server(
                        paved_command(address, "--cache-size-mb=0", f"--metrics-address={m}"),
                        address,
                        probe,
                    )
                )
                for address, m in zip(addresses, metrics, strict=True)
            ]
            target = "ipv4:" + ",".join(addresses)
            for in_flight in (1, 8):
                calls_before = [cache_misses(m) for m in metrics]
                cpu_before = sum(cpu_seconds(p.pid) for p in processes)
                rate, p50 = asyncio.run(_load(target, payloads, seconds, in_flight))
                shares = tuple(
                    cache_misses(m) - before
                    for m, before in zip(metrics, calls_before, strict=True)
                )
                cpu = sum(cpu_seconds(p.pid) for p in processes) - cpu_before
                cpu_ms = cpu * 1000 / max(1, sum(shares))
                results.append(ReplicasRow(count, in_flight, rate, p50, shares, cpu_ms))
    return results


def profile(requests: int = 300) -> str:
    """cProfile of churned full composes of the largest blueprint, in process."""
    import cProfile
    import io
    import pstats

    big = largest(workloads())
    runner = FunctionRunner(cache_bytes=0)
    payloads = big.churned(requests + 20)
    for payload in payloads[:20]:
        runner.run_bytes(payload)
    profiler = cProfile.Profile()
    compose: Callable[[bytes], bytes] = runner.run_bytes
    profiler.enable()
    for payload in payloads[20:]:
        compose(payload)
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(25)
    return out.getvalue()


if __name__ == "__main__":
    if sys.argv[1:2] == ["echo"]:
        serve_echo(sys.argv[2])
