"""Start `paved serve` as a real subprocess on 127.0.0.1 and talk to it with the SDK's stubs."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import grpc
from crossplane.function.proto.v1 import run_function_pb2 as fnv1
from crossplane.function.proto.v1 import run_function_pb2_grpc as grpcv1
from crossplane.function.proto.v1beta1 import run_function_pb2 as fnv1beta1
from crossplane.function.proto.v1beta1 import run_function_pb2_grpc as grpcv1beta1

from functions.server import free_port

REPO = Path(__file__).resolve().parent.parent.parent


@dataclass
class Served:
    process: subprocess.Popen[str]
    address: str
    lines: list[str] = field(default_factory=list)

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def channel(self, credentials: grpc.ChannelCredentials | None = None) -> grpc.Channel:
        options = [("grpc.max_receive_message_length", 64 * 1024 * 1024)]
        if credentials is None:
            return grpc.insecure_channel(self.address, options=options)
        return grpc.secure_channel(
            self.address,
            credentials,
            options=[*options, ("grpc.ssl_target_name_override", "paved")],
        )

    def v1(self, channel: grpc.Channel | None = None) -> grpcv1.FunctionRunnerServiceStub:
        return grpcv1.FunctionRunnerServiceStub(channel or self.channel())

    def v1beta1(self, channel: grpc.Channel | None = None) -> grpcv1beta1.FunctionRunnerServiceStub:
        return grpcv1beta1.FunctionRunnerServiceStub(channel or self.channel())

    def run(self, req: fnv1.RunFunctionRequest, timeout: float = 30) -> fnv1.RunFunctionResponse:
        with self.channel() as channel:
            return self.v1(channel).RunFunction(req, timeout=timeout)

    def stop(self, timeout: float = 15) -> int:
        if self.process.poll() is None:
            self.process.terminate()
        return self.process.wait(timeout=timeout)

    def wait_for(self, text: str, timeout: float = 20, count: int = 1) -> None:
        deadline = time.monotonic() + timeout
        while self.output.count(text) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"no {text!r} in the server's output:\n{self.output}")
            if self.process.poll() is not None:
                time.sleep(0.2)  # let the reader thread drain what the process wrote last
                if self.output.count(text) >= count:
                    return
                raise AssertionError(f"server exited {self.process.returncode}:\n{self.output}")
            time.sleep(0.02)


def start(
    *args: str,
    module: bool = False,
    env: dict[str, str] | None = None,
    ready: str | None = "serving",
    port: int | None = None,
) -> Served:
    """`paved serve ARGS --address 127.0.0.1:<free port>`, waited for until it serves."""
    address = f"127.0.0.1:{port or free_port()}"
    entry: Sequence[str] = (
        [sys.executable, "-m", "functions"]
        if module
        else [str(Path(sys.executable).parent / "paved"), "serve"]
    )
    process = subprocess.Popen(
        [*entry, f"--address={address}", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=REPO,
        env={**os.environ, **(env or {})},
    )
    served = Served(process, address)

    def drain() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            served.lines.append(line)

    threading.Thread(target=drain, daemon=True).start()
    if ready:
        try:
            served.wait_for(ready)
        except BaseException:
            served.process.kill()
            raise
    return served


@contextlib.contextmanager
def serving(*args: str, **kwargs: object) -> Iterator[Served]:
    served = start(*args, **kwargs)  # type: ignore[arg-type]
    try:
        yield served
    finally:
        if served.process.poll() is None:
            served.process.kill()
            served.process.wait()


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError(f"no VmRSS for {pid}")


def as_v1beta1(req: fnv1.RunFunctionRequest) -> fnv1beta1.RunFunctionRequest:
    return fnv1beta1.RunFunctionRequest.FromString(req.SerializeToString())
