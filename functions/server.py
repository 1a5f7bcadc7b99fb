"""The gRPC server: the SDK's runtime settings, a bytes-in/bytes-out hot path, workers, drain.

Requests are handed to the runner as raw bytes: a repeat of a request Paved has composed before
is answered from the response cache without parsing it. Responses are serialized
deterministically (Struct fields are protobuf maps; only deterministic serialization orders their
keys), so the same request always gives the same response bytes.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

import grpc
from crossplane.function import logging
from crossplane.function.proto.v1 import run_function_pb2 as fnv1
from crossplane.function.proto.v1 import run_function_pb2_grpc as grpcv1
from crossplane.function.runtime import SERVICE_NAMES, load_credentials
from grpc_reflection.v1alpha import reflection

GRACE_PERIOD_SECONDS = 5.0
V1_SERVICE = "apiextensions.fn.proto.v1.FunctionRunnerService"
V1BETA1_SERVICE = "apiextensions.fn.proto.v1beta1.FunctionRunnerService"


def _deterministic(message: Any) -> bytes:
    return message.SerializeToString(deterministic=True)


def handlers(runner: grpcv1.FunctionRunnerServiceServicer) -> list[grpc.GenericRpcHandler]:
    """v1 and v1beta1 FunctionRunnerService, both served by `runner`.

    v1beta1 and v1 messages share field numbers, so a v1beta1 request parses as v1 and the v1
    response bytes are a valid v1beta1 response.
    """
    run_bytes: Callable[[bytes], bytes] | None = getattr(runner, "run_bytes", None)
    if run_bytes is not None:

        async def run(req: bytes, _context: grpc.aio.ServicerContext) -> bytes:
            return run_bytes(req)

        deserializer, serializer = None, None
    else:

        async def run(req: Any, context: grpc.aio.ServicerContext) -> Any:
            return await runner.RunFunction(req, context)

        deserializer, serializer = fnv1.RunFunctionRequest.FromString, _deterministic

    def service(name: str) -> grpc.GenericRpcHandler:
        return grpc.method_handlers_generic_handler(
            name,
            {
                "RunFunction": grpc.unary_unary_rpc_method_handler(
                    run, request_deserializer=deserializer, response_serializer=serializer
                )
            },
        )

    return [service(V1_SERVICE), service(V1BETA1_SERVICE)]


async def serve_async(
    runner: grpcv1.FunctionRunnerServiceServicer,
    address: str,
    *,
    tls_certs_dir: str | None,
    insecure: bool,
    options: Sequence[tuple[str, Any]] = (),
    grace_seconds: float = GRACE_PERIOD_SECONDS,
    on_started: Callable[[int], None] | None = None,
) -> None:
    """Serve until SIGTERM or SIGINT, then drain in-flight calls for up to `grace_seconds`."""
    if not insecure and not tls_certs_dir:
        raise ValueError(
            "no TLS certificates: pass --tls-certs-dir (or TLS_SERVER_CERTS_DIR), or --insecure "
            "to serve without TLS"
        )
    server = grpc.aio.server(options=list(options))
    server.add_generic_rpc_handlers(handlers(runner))
    reflection.enable_server_reflection(SERVICE_NAMES, server)
    if insecure:
        port = server.add_insecure_port(address)
    else:
        port = server.add_secure_port(address, load_credentials(tls_certs_dir))
    await server.start()
    log = logging.get_logger()
    log.info("serving", address=address, port=port, tls=not insecure, pid=os.getpid())
    if on_started is not None:
        on_started(port)
    loop = asyncio.get_running_loop()
    stopping: list[asyncio.Future[Any]] = []

    def stop() -> None:
        if not stopping:
            log.info("draining", grace_seconds=grace_seconds)
            stopping.append(asyncio.ensure_future(server.stop(grace=grace_seconds)))

    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop)
    await server.wait_for_termination()
    if stopping:
        await stopping[0]
    log.info("stopped")


def supervise(
    commands: Sequence[Sequence[str]],
    *,
    grace_seconds: float = GRACE_PERIOD_SECONDS,
    env: Callable[[int], dict[str, str]] | None = None,
) -> int:
    """Run one worker process per command, restart any that dies, forward SIGTERM/SIGINT.

    Returns the exit code: 0 when every worker drained and exited 0 after a signal.
    """
    log = logging.get_logger()
    stopping = False

    def start(index: int) -> subprocess.Popen[bytes]:
        extra = env(index) if env else {}
        return subprocess.Popen(list(commands[index]), env={**os.environ, **extra})

    workers = [start(index) for index in range(len(commands))]
    log.info("workers started", pids=[w.pid for w in workers])

    def forward(signum: int, _frame: Any) -> None:
        nonlocal stopping
        stopping = True
        for worker in workers:
            if worker.poll() is None:
                worker.send_signal(signum)

    previous = {sig: signal.signal(sig, forward) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        while not stopping:
            for index, worker in enumerate(workers):
                code = worker.poll()
                if code is not None and not stopping:
                    log.error("worker exited, restarting", pid=worker.pid, code=code)
                    time.sleep(0.5)
                    workers[index] = start(index)
            time.sleep(0.1)
        deadline = time.monotonic() + grace_seconds + 5
        codes = []
        for worker in workers:
            try:
                codes.append(worker.wait(timeout=max(0.1, deadline - time.monotonic())))
            except subprocess.TimeoutExpired:
                worker.kill()
                codes.append(worker.wait())
        log.info("workers stopped", codes=codes)
        # A worker signalled before it installed its handlers had nothing in flight to drain.
        clean = (0, -signal.SIGTERM, -signal.SIGINT)
        return 0 if all(code in clean for code in codes) else 1
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def worker_command(args: Sequence[str]) -> list[str]:
    """The command line of one worker: this interpreter running `paved serve` with `args`."""
    return [sys.executable, "-m", "functions", "serve", *args]


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nothing listens on right now."""
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])
