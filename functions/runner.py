"""FunctionRunner: request in, one blueprint, response out. Any failure is a FATAL result."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

import grpc
from crossplane.function import logging
from crossplane.function.proto.v1 import run_function_pb2 as fnv1
from crossplane.function.proto.v1 import run_function_pb2_grpc as grpcv1
from pydantic import ValidationError

from functions.blueprints import BLUEPRINTS
from functions.input import Input
from functions.kit.blueprint import Blueprint
from functions.kit.composite import Composite
from functions.kit.desired import Desired
from functions.kit.errors import ComposeError, describe
from functions.kit.observed import lookup

DEFAULT_TTL_SECONDS = 60

_CONDITION_STATUS = {
    "True": fnv1.STATUS_CONDITION_TRUE,
    "False": fnv1.STATUS_CONDITION_FALSE,
    "Unknown": fnv1.STATUS_CONDITION_UNKNOWN,
}
_SEVERITY = {"Normal": fnv1.SEVERITY_NORMAL, "Warning": fnv1.SEVERITY_WARNING}


class FunctionRunner(grpcv1.FunctionRunnerServiceServicer):
    def __init__(
        self,
        blueprints: Mapping[str, Blueprint[Any]] = BLUEPRINTS,
        ttl_seconds: int = DEFAULT_TTL_SECONDS,
    ) -> None:
        self.blueprints = blueprints
        self.ttl_seconds = ttl_seconds
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
        try:
            ttl = _parse_input(req, self.ttl_seconds).response_ttl_seconds
            out = self._compose(req)
            desired = _to_state(out, req.desired)
        except ComposeError as error:
            _fatal(rsp, str(error))
        except Exception as error:  # a bug must not take the server down, nor half-apply
            self.log.exception("compose failed", xr=_identity(req))
            _fatal(
                rsp, f"internal error composing {_identity(req)}: {type(error).__name__}: {error}"
            )
        else:
            rsp.desired.CopyFrom(desired)
            _add_outcome(rsp, out)
        rsp.meta.ttl.FromTimedelta(datetime.timedelta(seconds=ttl))
        return rsp

    def _compose(self, req: fnv1.RunFunctionRequest) -> Desired:
        kind = lookup(req.observed.composite.resource, "kind")
        if not kind:
            raise ComposeError("kind", "the request has no observed composite resource")
        blueprint = self.blueprints.get(str(kind))
        if blueprint is None:
            known = ", ".join(sorted(self.blueprints))
            raise ComposeError("kind", f"{kind} is not a kind Paved composes (it composes {known})")
        composite = Composite.from_request(req, blueprint.parameters)
        out = Desired(composite)
        blueprint.run(composite, out)
        return out


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
        target.resource.update(desired.resource)
        target.ready = fnv1.READY_TRUE if desired.ready else fnv1.READY_FALSE
    if out.xr_status:
        state.composite.resource.update({"status": out.xr_status})
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


def _identity(req: fnv1.RunFunctionRequest) -> str:
    xr = req.observed.composite.resource
    kind = lookup(xr, "kind") or "composite"
    namespace = lookup(xr, "metadata", "namespace")
    name = lookup(xr, "metadata", "name") or "(unnamed)"
    return f"{kind} {namespace + '/' if namespace else ''}{name}"
