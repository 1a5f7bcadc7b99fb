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
from functions.cache import Cached, ResponseCache, request_key
from functions.input import Input
from functions.kit.blueprint import Blueprint
from functions.kit.composite import Composite, ParametersMemo
from functions.kit.desired import Desired, DesiredResource
from functions.kit.errors import ComposeError, describe
from functions.kit.observed import lookup
from functions.kit.wire import parse_request
from functions.policy import Policy, defaults_filler, enforce
from functions.structs import (
    Composed,
    ResourceMemo,
    field_header,
    length_delimited,
    map_entry_parts,
    serialized_resource,
    set_value,
    upb_map_order,
)

DEFAULT_TTL_SECONDS = 60
DEFAULT_CACHE_MEGABYTES = 64
DEFAULT_MEMO_MEGABYTES = 16
REDACTED = "(redacted)"

_CONDITION_STATUS = {
    "True": fnv1.STATUS_CONDITION_TRUE,
    "False": fnv1.STATUS_CONDITION_FALSE,
    "Unknown": fnv1.STATUS_CONDITION_UNKNOWN,
}
_SEVERITY = {"Normal": fnv1.SEVERITY_NORMAL, "Warning": fnv1.SEVERITY_WARNING}


UNKNOWN_BLUEPRINT = "unknown"


class Observer(Protocol):
    """What the runner reports about each request (the server's metrics implement it)."""

    def observe(self, *, blueprint: str, severity: str, seconds: float, cached: bool) -> None: ...


class FunctionRunner(grpcv1.FunctionRunnerServiceServicer):
    """Composes requests; `run_bytes` is the server's memoised bytes-in, bytes-out path.

    Responses are built as deterministic protobuf bytes: the desired resources are serialized
    through a `ResourceMemo` (an unchanged resource is not built again) and spliced into the
    response, so the same request always gives the same bytes, identical to
    `response.SerializeToString(deterministic=True)`.
    """

    def __init__(
        self,
        blueprints: Mapping[str, Blueprint[Any]] = BLUEPRINTS,
        ttl_seconds: int = DEFAULT_TTL_SECONDS,
        *,
        cache_bytes: int = DEFAULT_CACHE_MEGABYTES * 1024 * 1024,
        memo_bytes: int = DEFAULT_MEMO_MEGABYTES * 1024 * 1024,
        observer: Observer | None = None,
        max_response_bytes: int | None = None,
        refusals_at_warning: bool = False,
    ) -> None:
        self.blueprints = blueprints
        # The server logs every FATAL at warning, for whoever tails the function's logs; in
        # process (render, tests) the FATAL result itself is what the caller shows.
        self._refusal_level = "warning" if refusals_at_warning else "debug"
        self.ttl_seconds = ttl_seconds
        self.cache = ResponseCache(cache_bytes) if cache_bytes > 0 else None
        self.memo = ResourceMemo(memo_bytes) if memo_bytes > 0 else None
        # Parameters repeat on every reconcile of an XR (4 MiB at most).
        self.parameters_memo = ParametersMemo() if memo_bytes > 0 else None
        self.observer = observer
        self.max_response_bytes = max_response_bytes
        self.log = logging.get_logger()

    async def RunFunction(
        self,
        req: fnv1.RunFunctionRequest,
        _context: grpc.aio.ServicerContext[Any, Any] | None = None,
    ) -> fnv1.RunFunctionResponse:
        return self.run(req)

    def run(self, req: fnv1.RunFunctionRequest) -> fnv1.RunFunctionResponse:
        """Compose `req`. Pure: the same request always gives the same response."""
        return fnv1.RunFunctionResponse.FromString(self._respond(req)[0])

    # -- the server's path -------------------------------------------------------------------

    def run_bytes(self, data: bytes) -> bytes:
        """Compose a serialized request into a serialized response, memoised."""
        started = time.perf_counter()
        key = request_key(data) if self.cache is not None else b""
        return self.cached(key, started) or self.compose_bytes(data, key, started)

    def cached(self, key: bytes, started: float) -> bytes | None:
        """The response cached under `key` (from `request_key`), if any: microseconds."""
        if self.cache is None:
            return None
        entry = self.cache.get(key)
        if entry is None:
            return None
        self._observe(entry.blueprint, entry.severity, started, cached=True)
        return entry.response

    def compose_bytes(self, data: bytes, key: bytes, started: float) -> bytes:
        """Parse, compose and serialize; cache the response under `key` unless it is FATAL.

        Only responses without a FATAL result are cached, so an internal error is retried on the
        next call.
        """
        try:
            req = parse_request(data)
        except DecodeError as error:
            rsp = fnv1.RunFunctionResponse()
            rsp.meta.ttl.FromTimedelta(datetime.timedelta(seconds=self.ttl_seconds))
            _fatal(rsp, f"the request is not a valid RunFunctionRequest: {error}")
            getattr(self.log, self._refusal_level)(
                "composing failed", error="the request does not parse"
            )
            self._observe(UNKNOWN_BLUEPRINT, "fatal", started, cached=False)
            return rsp.SerializeToString(deterministic=True)
        response, severity = self._respond(req)
        if self.max_response_bytes is not None and len(response) > self.max_response_bytes:
            response, severity = self._too_large(req, len(response)), "fatal"
        blueprint = self._blueprint_label(req)
        if self.cache is not None and severity != "fatal":
            self.cache.put(key, Cached(response, blueprint, severity))
        self._observe(blueprint, severity, started, cached=False)
        return response

    # -- composing ---------------------------------------------------------------------------

    def _respond(self, req: fnv1.RunFunctionRequest) -> tuple[bytes, str]:
        """The serialized response to `req` and its worst result severity."""
        ttl = self.ttl_seconds
        log = self.log.bind(xr=_identity(req), tag=req.meta.tag)
        try:
            settings = _parse_input(req, self.ttl_seconds)
            ttl = settings.response_ttl_seconds
            out = self._compose(req, settings.policy)
            response = self._serialize(req, out, ttl)
        except ComposeError as error:
            message = _redact(str(error), req)
            # A platform engineer tailing the function sees every claim it refuses, and why.
            getattr(log, self._refusal_level)(
                "composing failed", field=_fields(error), error=message, **_claim(req)
            )
        except Exception as error:  # a bug must not take the server down, nor half-apply
            # Not log.exception: the SDK's JSON logs render tracebacks with local variables,
            # which would include connection details.
            message = _redact(f"{type(error).__name__}: {error}", req)
            log.error(
                "internal error composing",
                error=message,
                traceback=_redact("".join(traceback.format_exception(error)), req),
            )
            message = f"internal error composing {_identity(req)}: {message}"
        else:
            log.debug("composed", resources=len(out.resources), planned=len(out.planned))
            return response, _worst_severity(out)
        rsp = fnv1.RunFunctionResponse(meta=fnv1.ResponseMeta(tag=req.meta.tag))
        rsp.desired.CopyFrom(req.desired)
        if req.HasField("context"):
            rsp.context.CopyFrom(req.context)
        _fatal(rsp, message)
        rsp.meta.ttl.FromTimedelta(datetime.timedelta(seconds=ttl))
        return rsp.SerializeToString(deterministic=True), "fatal"

    def _serialize(self, req: fnv1.RunFunctionRequest, out: Desired, ttl: int) -> bytes:
        """`RunFunctionResponse.SerializeToString(deterministic=True)`, assembled from parts.

        Fields in number order, as deterministic serialization writes them: meta, desired (the
        composite, then every resource sorted by name), then the rest.
        """
        meta = fnv1.ResponseMeta(tag=req.meta.tag)
        meta.ttl.FromTimedelta(datetime.timedelta(seconds=ttl))
        rest = fnv1.RunFunctionResponse()
        if req.HasField("context"):
            rest.context.CopyFrom(req.context)
        _add_outcome(rest, out)
        composite = _desired_composite(out, req.desired)
        entries = {
            key: map_entry_parts(2, key, previous.SerializeToString(deterministic=True))
            for key, previous in req.desired.resources.items()  # earlier pipeline steps'
        }
        memo = self.memo
        if memo is not None:
            entries.update(memo.entries([composed(k, d) for k, d in out.resources.items()]))
        else:
            for key, desired in out.resources.items():
                entries[key] = map_entry_parts(
                    2, key, serialized_resource(desired.resource, desired.ready)
                )
        state = [composite]
        for key in sorted(entries, key=upb_map_order):
            state += entries[key]
        # One copy of everything at the end: a response can be megabytes.
        return b"".join(
            [
                length_delimited(1, meta.SerializeToString(deterministic=True)),
                field_header(2, sum(map(len, state))),
                *state,
                rest.SerializeToString(deterministic=True),
            ]
        )

    def _too_large(self, req: fnv1.RunFunctionRequest, size: int) -> bytes:
        """A FATAL answer instead of a response gRPC would refuse to send."""
        rsp = fnv1.RunFunctionResponse(meta=fnv1.ResponseMeta(tag=req.meta.tag))
        rsp.desired.CopyFrom(req.desired)
        rsp.meta.ttl.FromTimedelta(datetime.timedelta(seconds=self.ttl_seconds))
        message = (
            f"the composed response for {_identity(req)} is {size} bytes, over the server's "
            f"{self.max_response_bytes}-byte limit (--max-send-message-size); are "
            "spec.parameters holding unexpectedly large values?"
        )
        _fatal(rsp, message)
        getattr(self.log, self._refusal_level)("composing failed", xr=_identity(req), error=message)
        return rsp.SerializeToString(deterministic=True)

    def _blueprint_label(self, req: fnv1.RunFunctionRequest) -> str:
        """The XR kind when Paved composes it, else `unknown`: metric labels stay bounded."""
        kind = lookup(req.observed.composite.resource, "kind")
        return kind if isinstance(kind, str) and kind in self.blueprints else UNKNOWN_BLUEPRINT

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
            req,
            blueprint.parameters,
            with_defaults=defaults_filler(policy),
            memo=self.parameters_memo,
            # The defaults come from the policy, which is the function's input.
            memo_scope=req.input.SerializeToString(deterministic=True),
        )
        enforce(composite, blueprint, policy)
        out = Desired(composite)
        blueprint.run(composite, out)
        return out


def composed(key: str, desired: DesiredResource) -> Composed:
    if desired.fingerprint is None:
        return Composed(key, desired.resource, desired.ready)
    # Built only if the memo does not hold it yet.
    return Composed(key, lambda: desired.resource, desired.ready, desired.fingerprint)


def _worst_severity(out: Desired) -> str:
    severities = {severity for severity, _ in out.results}
    return "warning" if "Warning" in severities else "normal"


def _parse_input(req: fnv1.RunFunctionRequest, default_ttl: int) -> Input:
    raw = lookup(req.input) if req.HasField("input") else {}
    raw = {k: v for k, v in raw.items() if k not in ("apiVersion", "kind", "metadata")}
    raw.setdefault("responseTTLSeconds", default_ttl)
    try:
        return Input.model_validate(raw)
    except ValidationError as error:
        raise ComposeError("", describe(error, "input")) from None


def _desired_composite(out: Desired, previous: fnv1.State) -> bytes:
    """The serialized `composite` field of the desired state: an earlier step's, plus ours."""
    composite = fnv1.Resource()
    composite.CopyFrom(previous.composite)
    if out.xr_status:
        status = composite.resource.fields["status"]
        status.Clear()  # replaced, like Struct.update does, not merged with an earlier step's
        set_value(status, out.xr_status)
    if not out.xr.shape.namespaced:
        for key, value in sorted(out.connection_details.items()):
            composite.connection_details[key] = value
    if not out.complete:
        # Composed resources being ready must not make the XR Ready while stages are pending.
        composite.ready = fnv1.READY_FALSE
    if not previous.HasField("composite") and composite.ByteSize() == 0:
        return b""
    return length_delimited(1, composite.SerializeToString(deterministic=True))


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


def _fields(error: ComposeError) -> str:
    """The field paths a ComposeError names (several for a message listing pydantic's errors)."""
    if error.path:
        return error.path
    return ", ".join(part.split(": ", 1)[0] for part in error.message.split("; "))


def _claim(req: fnv1.RunFunctionRequest) -> dict[str, str]:
    """`{"claim": "namespace/name"}` when the XR belongs to a claim, else nothing."""
    labels = lookup(req.observed.composite.resource, "metadata", "labels")
    if not isinstance(labels, dict):
        return {}
    namespace = labels.get("crossplane.io/claim-namespace")
    name = labels.get("crossplane.io/claim-name")
    if not isinstance(namespace, str) or not isinstance(name, str):
        return {}
    return {"claim": f"{namespace}/{name}"[:300]}


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
