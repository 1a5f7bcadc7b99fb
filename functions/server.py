"""The gRPC server: the SDK's runtime, with responses serialized deterministically."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Sequence
from typing import Any

import grpc
from crossplane.function.proto.v1 import run_function_pb2 as fnv1
from crossplane.function.proto.v1 import run_function_pb2_grpc as grpcv1
from crossplane.function.runtime import SERVICE_NAMES, load_credentials
from grpc_reflection.v1alpha import reflection

GRACE_PERIOD_SECONDS = 5.0
V1_SERVICE = "apiextensions.fn.proto.v1.FunctionRunnerService"
V1BETA1_SERVICE = "apiextensions.fn.proto.v1beta1.FunctionRunnerService"


def _deterministic(message: Any) -> bytes:
    # Struct fields are protobuf maps; only deterministic serialization orders their keys, which
    # is what makes the same request give the same response bytes.
    return message.SerializeToString(deterministic=True)


def handlers(runner: grpcv1.FunctionRunnerServiceServicer) -> list[grpc.GenericRpcHandler]:
    """v1 and v1beta1 FunctionRunnerService, both served by `runner` (wire-compatible)."""

    async def run_v1(req: fnv1.RunFunctionRequest, context: grpc.aio.ServicerContext) -> Any:
        return await runner.RunFunction(req, context)

    async def run_v1beta1(req: fnv1.RunFunctionRequest, context: grpc.aio.ServicerContext) -> Any:
        # v1beta1 and v1 messages share field numbers, so a v1beta1 request parses as v1 and the
        # v1 response bytes are a valid v1beta1 response.
        return await runner.RunFunction(req, context)

    def service(name: str, behaviour: Any) -> grpc.GenericRpcHandler:
        return grpc.method_handlers_generic_handler(
            name,
            {
                "RunFunction": grpc.unary_unary_rpc_method_handler(
                    behaviour,
                    request_deserializer=fnv1.RunFunctionRequest.FromString,
                    response_serializer=_deterministic,
                )
            },
        )

    return [service(V1_SERVICE, run_v1), service(V1BETA1_SERVICE, run_v1beta1)]


async def serve_async(
    runner: grpcv1.FunctionRunnerServiceServicer,
    address: str,
    *,
    tls_certs_dir: str | None,
    insecure: bool,
    options: Sequence[tuple[str, Any]] = (),
    grace_seconds: float = GRACE_PERIOD_SECONDS,
) -> None:
    if not insecure and not tls_certs_dir:
        raise ValueError(
            "no TLS certificates: pass --tls-certs-dir (or TLS_SERVER_CERTS_DIR), or --insecure"
        )
    server = grpc.aio.server(options=list(options))
    server.add_generic_rpc_handlers(handlers(runner))
    reflection.enable_server_reflection(SERVICE_NAMES, server)
    if insecure:
        server.add_insecure_port(address)
    else:
        server.add_secure_port(address, load_credentials(tls_certs_dir))
    await server.start()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(
            sig, lambda: asyncio.ensure_future(server.stop(grace=grace_seconds))
        )
    await server.wait_for_termination()
