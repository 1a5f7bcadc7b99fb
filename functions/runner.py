"""FunctionRunner: request in, one blueprint, response out. Any failure is a FATAL result."""

from __future__ import annotations

import datetime
import time
import traceback
from collections.abc import Mapping
from typing import Any, Protocol

import grpc
from crossplane.function import logging
from crossplane.function.proto.v1 import run_function_pb2 as fnv1
from crossplane.function.proto.v1 import run_function_pb2_grpc as grpcv1
from google.protobuf.message import DecodeError
from pydantic import ValidationError

from functions.blueprints import BLUEPRINTS
from functions.cache import Cached, ResponseCache, digest, retag
from functions.input import Input
from functions.kit.blueprint import Blueprint
from functions.kit.composite import Composite
from functions.kit.desired import Desired
from functions.kit.errors import ComposeError, describe
from functions.kit.observed import lookup
from functions.policy import Policy, defaults_filler, enforce
from functions.structs import fill_struct, set_value

DEFAULT_TTL_SECONDS = 60
DEFAULT_CACHE_MEGABYTES = 128
REDACTED = "(redacted)"

_CONDITION_STATUS = {
    "True": fnv1.STATUS_CONDITION_TRUE,
    "False": fnv1.STATUS_CONDITION_FALSE,
    "Unknown": fnv1.STATUS_CONDITION_UNKNOWN,
}
_SEVERITY = {"Normal": fnv1.SEVERITY_NORMAL, "Warning": fnv1.SEVERITY_WARNING}
_SEVERITY_NAMES = {
    fnv1.SEVERITY_FATAL: "fatal",
    fnv1.SEVERITY_WARNING: "warning",
    fnv1.SEVERITY_NORMAL: "normal",
}


class Observer(Protocol):
    """What the runner reports about each request (the server's metrics implement it)."""

    def observe(self, *, blueprint: str, severity: str, seconds: float, cached: bool) -> None: ...


class FunctionRunner(grpcv1.FunctionRunnerServiceServicer):
    def __init__(
        self,
        blueprints: Mapping[str, Blueprint[Any]] = BLUEPRINTS,
        ttl_seconds: int = DEFAULT_TTL_SECONDS,
        *,
        cache_bytes: int = DEFAULT_CACHE_MEGABYTES * 1024 * 1024,
        observer: Observer | None = None,
        max_response_bytes: int | None = None,
    ) -> None:
        self.blueprints = blueprints
        self.ttl_seconds = ttl_seconds
        self.cache = ResponseCache(cache_bytes) if cache_bytes > 0 else None
        self.observer = observer
        self.max_response_bytes = max_response_bytes
        self.log = logging.get_logger()

    async def RunFunction(
        self, req: fnv1.RunFunctionRequest, _context: grpc.aio.ServicerContext | None = None
    ) -> fnv1.RunFunctionResponse:
        return self.run(req)

    def run(self, req: fnv1.RunFunctionRequest) -> fnv1.RunFunctionResponse:
        """Compose `req`. Pure: the same request always gives the same response."""
        rsp = fnv1.RunFunctionResponse(meta=fnv1.ResponseMeta(tag=req.meta.tag))
        rsp.desired.CopyFrom(req.desired)
        if req.HasField("context"):
            rsp.context.CopyFrom(req.context)
        ttl = self.ttl_seconds
        log = self.log.bind(xr=_identity(req), tag=req.meta.tag)
        try:
            settings = _parse_input(req, self.ttl_seconds)
            ttl = settings.response_ttl_seconds
            out = self._compose(req, settings.policy)
            desired = _to_state(out, req.desired)
        except ComposeError as error:
            _fatal(rsp, _redact(str(error), req))
            log.debug("composing failed", error=_redact(str(error), req))
        except Exception as error:  # a bug must not take the server down, nor half-apply
            # Not log.exception: the SDK's JSON logs render tracebacks with local variables,
            # which would include connection details.
            message = _redact(f"{type(error).__name__}: {error}", req)
            log.error(
                "internal error composing",
                error=message,
                traceback=_redact("".join(traceback.format_exception(error)), req),
            )
            _fatal(rsp, f"internal error composing {_identity(req)}: {message}")
        else:
            rsp.desired.CopyFrom(desired)
            _add_outcome(rsp, out)
            log.debug("composed", resources=len(out.resources), planned=len(out.planned))
        rsp.meta.ttl.FromTimedelta(datetime.timedelta(seconds=ttl))
        return rsp

    def run_bytes(self, data: bytes) -> bytes:
        """Compose a serialized request into a serialized response, memoised.

        The server's hot path. Only responses without a FATAL result are cached, so an internal
        error is retried on the next call; a hit carries the current request's tag.
        """
        started = time.perf_counter()
        raw_key = digest(b"raw", data)
        cache = self.cache
        entry = cache.get(raw_key) if cache is not None else None
        if entry is not None:
            self._observe(entry.blueprint, entry.severity, started, cached=True)
            return entry.response
        try:
            req = fnv1.RunFunctionRequest.FromString(data)
        except DecodeError as error:
            rsp = fnv1.RunFunctionResponse()
            rsp.meta.ttl.FromTimedelta(datetime.timedelta(seconds=self.ttl_seconds))
            _fatal(rsp, f"the request is not a valid RunFunctionRequest: {error}")
            self._observe("", "fatal", started, cached=False)
            return rsp.SerializeToString(deterministic=True)
        tag = req.meta.tag
        kind = _kind(req)
        canonical_key = b""
        if cache is not None:
            req.meta.tag = ""
            canonical_key = digest(b"canonical", req.SerializeToString(deterministic=True))
            req.meta.tag = tag
            entry = cache.get(canonical_key)
            if entry is not None:
                response = entry.response if entry.tag == tag else retag(entry.response, tag)
                cache.put(raw_key, Cached(tag, response, entry.blueprint, entry.severity))
                self._observe(entry.blueprint, entry.severity, started, cached=True)
                return response
        rsp = self.run(req)
        response = rsp.SerializeToString(deterministic=True)
        if self.max_response_bytes is not None and len(response) > self.max_response_bytes:
            response = self._too_large(req, len(response))
            rsp = fnv1.RunFunctionResponse.FromString(response)
        severity = _worst_severity(rsp)
        if cache is not None and severity != "fatal":
            entry = Cached(tag, response, kind, severity)
            cache.put(canonical_key, entry)
            cache.put(raw_key, entry)
        self._observe(kind, severity, started, cached=False)
        return response

    def _too_large(self, req: fnv1.RunFunctionRequest, size: int) -> bytes:
        """A FATAL answer instead of a response gRPC would refuse to send."""
        rsp = fnv1.RunFunctionResponse(meta=fnv1.ResponseMeta(tag=req.meta.tag))
        rsp.desired.CopyFrom(req.desired)
        rsp.meta.ttl.FromTimedelta(datetime.timedelta(seconds=self.ttl_seconds))
        _fatal(
            rsp,
            f"the composed response for {_identity(req)} is {size} bytes, over the server's "
            f"{self.max_response_bytes}-byte limit (--max-send-message-size); are "
            "spec.parameters holding unexpectedly large values?",
        )
        return rsp.SerializeToString(deterministic=True)

    def _observe(self, blueprint: str, severity: str, started: float, *, cached: bool) -> None:
        if self.observer is not None:
            self.observer.observe(
                blueprint=blueprint,
                severity=severity,
                seconds=time.perf_counter() - started,
                cached=cached,
            )

    def _compose(self, req: fnv1.RunFunctionRequest, policy: Policy) -> Desired:
        kind = lookup(req.observed.composite.resource, "kind")
        if not kind:
            raise ComposeError("kind", "the request has no observed composite resource")
        blueprint = self.blueprints.get(str(kind))
        if blueprint is None:
            known = ", ".join(sorted(self.blueprints))
            raise ComposeError("kind", f"{kind} is not a kind Paved composes (it composes {known})")
        composite = Composite.from_request(
            req, blueprint.parameters, with_defaults=defaults_filler(policy)
        )
        enforce(composite, blueprint, policy)
        out = Desired(composite)
        blueprint.run(composite, out)
        return out


def _worst_severity(rsp: fnv1.RunFunctionResponse) -> str:
    severities = {result.severity for result in rsp.results}
    for severity in (fnv1.SEVERITY_FATAL, fnv1.SEVERITY_WARNING):
        if severity in severities:
            return _SEVERITY_NAMES[severity]
    return "normal"


def _kind(req: fnv1.RunFunctionRequest) -> str:
    kind = lookup(req.observed.composite.resource, "kind")
    return kind if isinstance(kind, str) else ""


def _parse_input(req: fnv1.RunFunctionRequest, default_ttl: int) -> Input:
    raw = lookup(req.input) if req.HasField("input") else {}
    raw = {k: v for k, v in raw.items() if k not in ("apiVersion", "kind", "metadata")}
    raw.setdefault("responseTTLSeconds", default_ttl)
    try:
        return Input.model_validate(raw)
    except ValidationError as error:
        raise ComposeError("", describe(error, "input")) from None


def _to_state(out: Desired, previous: fnv1.State) -> fnv1.State:
    """The desired state: what earlier pipeline steps desired, plus ours."""
    state = fnv1.State()
    state.CopyFrom(previous)
    for key, desired in out.resources.items():
        target = state.resources[key]
        target.Clear()
        fill_struct(target.resource, desired.resource)
        target.ready = fnv1.READY_TRUE if desired.ready else fnv1.READY_FALSE
    if out.xr_status:
        status = state.composite.resource.fields["status"]
        status.Clear()  # replaced, like Struct.update does, not merged with an earlier step's
        set_value(status, out.xr_status)
    if not out.xr.shape.namespaced:
        for key, value in sorted(out.connection_details.items()):
            state.composite.connection_details[key] = value
    if not out.complete:
        # Composed resources being ready must not make the XR Ready while stages are pending.
        state.composite.ready = fnv1.READY_FALSE
    return state


def _add_outcome(rsp: fnv1.RunFunctionResponse, out: Desired) -> None:
    for condition in out.conditions:
        rsp.conditions.append(
            fnv1.Condition(
                type=condition.type,
                status=_CONDITION_STATUS[condition.status],
                reason=condition.reason,
                message=condition.message,
                target=fnv1.TARGET_COMPOSITE_AND_CLAIM,
            )
        )
    for name, requirement in sorted(out.requirements.items()):
        selector = fnv1.ResourceSelector(
            api_version=requirement.api_version,
            kind=requirement.kind,
            match_name=requirement.match_name,
        )
        if requirement.namespace:
            selector.namespace = requirement.namespace
        rsp.requirements.resources[name].CopyFrom(selector)
    for severity, message in out.results:
        rsp.results.append(fnv1.Result(severity=_SEVERITY[severity], message=message))


def _fatal(rsp: fnv1.RunFunctionResponse, message: str) -> None:
    rsp.results.append(
        fnv1.Result(
            severity=fnv1.SEVERITY_FATAL, message=message, target=fnv1.TARGET_COMPOSITE_AND_CLAIM
        )
    )


def _secrets(req: fnv1.RunFunctionRequest) -> list[str]:
    """Connection detail values in the request, as they could appear in text."""
    values: set[bytes] = set(req.observed.composite.connection_details.values())
    for resource in req.observed.resources.values():
        values.update(resource.connection_details.values())
    texts = {value.decode("utf-8", "replace") for value in values}
    texts.update(repr(value) for value in values)
    # Very short values (a port, "true") would redact half of every message and protect nothing.
    return sorted((t for t in texts if len(t) >= 6), key=len, reverse=True)


def _redact(text: str, req: fnv1.RunFunctionRequest) -> str:
    """`text` with every connection detail value of the request replaced."""
    for secret in _secrets(req):
        text = text.replace(secret, REDACTED)
    return text


def _identity(req: fnv1.RunFunctionRequest) -> str:
    xr = req.observed.composite.resource
    kind = lookup(xr, "kind") or "composite"
    namespace = lookup(xr, "metadata", "namespace")
    name = lookup(xr, "metadata", "name") or "(unnamed)"
    if not isinstance(namespace, str):
        namespace = None
    identity = f"{kind} {namespace + '/' if namespace else ''}{name}"
    # Bounded: the identity goes on every log line and into messages, whatever the XR holds.
    return identity if len(identity) <= 300 else identity[:300] + "..."
