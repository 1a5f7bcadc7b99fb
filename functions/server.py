"""The gRPC server: one process per pod, composing off the event loop, bounded, drained on SIGTERM.

Crossplane keeps one HTTP/2 connection per function pod and spreads calls over pods, so a pod
scales by replicas, not processes: one process with one compose thread uses its one CPU.

- Requests arrive as raw bytes. A request Paved has answered before (see `functions.cache`) is
  answered on the event loop without parsing it; anything else is composed on one compose thread,
  so the event loop stays free to accept every call as it arrives.
- At most `max_concurrent_calls` calls are accepted at once; gRPC answers any call beyond that
  with RESOURCE_EXHAUSTED straight away, which bounds the memory calls in flight can hold.
- SIGTERM or SIGINT: the health service reports NOT_SERVING, the server stops accepting calls,
  every call already accepted (composing or waiting for the compose thread) may finish within the
  grace period, then the process exits 0.
"""

from __future__ import annotations

import asyncio
import gc
import os
import signal
import socket
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import grpc
from crossplane.function import logging
from crossplane.function.proto.v1 import run_function_pb2 as fnv1
from crossplane.function.proto.v1 import run_function_pb2_grpc as grpcv1
from crossplane.function.runtime import SERVICE_NAMES, load_credentials
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from functions.cache import request_key

GRACE_PERIOD_SECONDS = 5.0
DEFAULT_MAX_CONCURRENT_CALLS = 16
V1_SERVICE = "apiextensions.fn.proto.v1.FunctionRunnerService"
V1BETA1_SERVICE = "apiextensions.fn.proto.v1beta1.FunctionRunnerService"
HEALTH_SERVICE = health_pb2.DESCRIPTOR.services_by_name["Health"].full_name
# How long the drain waits for calls that reached the process to be accepted before it stops.
_SETTLE_SECONDS = 0.05
# Net allocations of tracked objects between two young-generation collections (CPython: 700).
GC_YOUNG_THRESHOLD = 10_000


def _deterministic(message: fnv1.RunFunctionResponse) -> bytes:
    return message.SerializeToString(deterministic=True)


class _Calls:
    """Counts the calls the handlers have accepted, so the drain knows when arrivals settle."""

    def __init__(self, in_flight: Any = None) -> None:
        self.accepted = 0
        self.in_flight = in_flight  # a prometheus Gauge, or None


def handlers(
    runner: grpcv1.FunctionRunnerServiceServicer,
    composer: ThreadPoolExecutor | None = None,
    calls: _Calls | None = None,
) -> list[grpc.GenericRpcHandler[Any, Any]]:
    """v1 and v1beta1 FunctionRunnerService, both served by `runner`.

    v1beta1 and v1 messages share field numbers, so a v1beta1 request parses as v1 and the v1
    response bytes are a valid v1beta1 response.
    """
    counted = calls or _Calls()
    compose_bytes: Callable[[bytes, bytes, float], bytes] | None = getattr(
        runner, "compose_bytes", None
    )
    if compose_bytes is not None:
        cached: Callable[[bytes, float], bytes | None] = runner.cached  # type: ignore[attr-defined]
        keyed = getattr(runner, "cache", None) is not None

        async def run_bytes(data: bytes, _context: grpc.aio.ServicerContext[Any, Any]) -> bytes:
            counted.accepted += 1
            started = time.perf_counter()
            key = request_key(data) if keyed else b""
            hit = cached(key, started)
            if hit is not None:
                return hit
            gauge = counted.in_flight
            if gauge is not None:
                gauge.inc()
            try:
                loop = asyncio.get_running_loop()
                return await loop.run_in_executor(composer, compose_bytes, data, key, started)
            finally:
                if gauge is not None:
                    gauge.dec()

        run: Callable[..., Any] = run_bytes
        deserializer, serializer = None, None
    else:
        servicer: Any = runner  # the SDK's servicer base class has no type information

        async def run_message(req: Any, context: grpc.aio.ServicerContext[Any, Any]) -> Any:
            counted.accepted += 1
            return await servicer.RunFunction(req, context)

        run = run_message
        deserializer, serializer = fnv1.RunFunctionRequest.FromString, _deterministic

    def service(name: str) -> grpc.GenericRpcHandler[Any, Any]:
        return grpc.method_handlers_generic_handler(
            name,
            {
                "RunFunction": grpc.unary_unary_rpc_method_handler(
                    run, request_deserializer=deserializer, response_serializer=serializer
                )
            },
        )

    return [service(V1_SERVICE), service(V1BETA1_SERVICE)]


def tune_garbage_collector() -> None:
    """Keep the cycle collector from costing a compose more than the compose itself allocates.

    Measured on a churned XCluster compose (144 resources): with CPython's defaults the
    collector took 0.55 ms of a 4.5 ms compose, 0.4 ms of it full collections that traversed the
    ~47,000 objects of the modules, models and schemas loaded at start, every ~70 composes. Those
    live as long as the process, so they are collected once and frozen (never traversed again).
    A compose holds ~1,500 containers at its peak, so with the default young threshold (700) it
    triggers collections of objects that are about to be freed anyway; at 10,000 it triggers
    almost none. Composes create no reference cycles, so this delays little garbage.
    """
    gc.collect()
    gc.freeze()
    _, middle, oldest = gc.get_threshold()
    gc.set_threshold(GC_YOUNG_THRESHOLD, middle, oldest)


async def serve_async(
    runner: grpcv1.FunctionRunnerServiceServicer,
    address: str,
    *,
    tls_certs_dir: str | None,
    insecure: bool,
    options: Sequence[tuple[str, Any]] = (),
    grace_seconds: float = GRACE_PERIOD_SECONDS,
    max_concurrent_calls: int = DEFAULT_MAX_CONCURRENT_CALLS,
    in_flight: Any = None,
    health_address: str | None = None,
    on_started: Callable[[int], None] | None = None,
) -> None:
    """Serve until SIGTERM or SIGINT, then drain accepted calls for up to `grace_seconds`.

    The health service is served with the function and, without TLS, on `health_address` (the
    kubelet's gRPC probes speak plaintext; the function's port requires Crossplane's mTLS).
    """
    if not insecure and not tls_certs_dir:
        raise ValueError(
            "no TLS certificates: pass --tls-certs-dir (or TLS_SERVER_CERTS_DIR), or --insecure "
            "to serve without TLS"
        )
    log = logging.get_logger()
    tune_garbage_collector()
    credentials = None if insecure else load_credentials(tls_certs_dir)  # type: ignore[arg-type]
    server = grpc.aio.server(options=list(options), maximum_concurrent_rpcs=max_concurrent_calls)
    calls = _Calls(in_flight)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="compose") as composer:
        server.add_generic_rpc_handlers(handlers(runner, composer, calls))
        health_servicer = health.aio.HealthServicer()  # type: ignore[attr-defined]
        health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
        reflection.enable_server_reflection((*SERVICE_NAMES, HEALTH_SERVICE), server)
        port = (
            server.add_insecure_port(address)
            if credentials is None
            else server.add_secure_port(address, credentials)
        )
        probes = None
        if health_address:
            probes = grpc.aio.server()
            health_pb2_grpc.add_HealthServicer_to_server(health_servicer, probes)
            probes.add_insecure_port(health_address)
            await probes.start()
        await server.start()
        for service in ("", V1_SERVICE, V1BETA1_SERVICE):
            await health_servicer.set(service, health_pb2.HealthCheckResponse.SERVING)
        log.info("serving", address=address, port=port, tls=not insecure, pid=os.getpid())
        if on_started is not None:
            on_started(port)

        stopping = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stopping.set)
        await stopping.wait()

        log.info("draining", grace_seconds=grace_seconds)
        started = time.monotonic()
        await health_servicer.enter_graceful_shutdown()
        await _settle(calls, limit=min(1.0, grace_seconds / 2))
        # Stops accepting at once (GOAWAY: Crossplane sends new calls to other pods), then waits
        # for the accepted calls, cancelling what is left when the grace period ends.
        await server.stop(max(0.0, grace_seconds - (time.monotonic() - started)))
        composer.shutdown(wait=False, cancel_futures=True)
        if probes is not None:
            await probes.stop(0)
    log.info("stopped", seconds=round(time.monotonic() - started, 3))


async def _settle(calls: _Calls, limit: float) -> None:
    """Let calls that already reached the process be accepted: gRPC refuses the rest at stop.

    Waits until no call was accepted for a moment, at most `limit` seconds: the rest of the grace
    period is for the accepted calls.
    """
    seen = -1
    deadline = time.monotonic() + limit
    while calls.accepted != seen and time.monotonic() < deadline:
        seen = calls.accepted
        await asyncio.sleep(_SETTLE_SECONDS)


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])
