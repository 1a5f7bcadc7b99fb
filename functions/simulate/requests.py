"""RunFunctionRequests as Crossplane builds them, and reading a response back as plain data."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from crossplane.function.proto.v1 import run_function_pb2 as fnv1

from functions.kit.observed import lookup

COMPOSITION_RESOURCE_NAME = "crossplane.io/composition-resource-name"


@dataclass
class ObservedResource:
    """A composed resource as Crossplane observes it, with the connection details it published."""

    resource: dict[str, Any]
    connection_details: dict[str, bytes] = field(default_factory=dict)


def request(
    xr: dict[str, Any],
    observed: Mapping[str, ObservedResource] | None = None,
    *,
    required: Mapping[str, list[dict[str, Any]]] | None = None,
    input_: dict[str, Any] | None = None,
    tag: str = "",
    xr_connection_details: Mapping[str, bytes] | None = None,
) -> fnv1.RunFunctionRequest:
    """The request of one pipeline step: the observed XR (with the connection details of its
    Secret, as Crossplane's FetchConnection reads them), observed composed resources, required
    resources and the step's input."""
    req = fnv1.RunFunctionRequest(meta=fnv1.RequestMeta(tag=tag))
    req.observed.composite.resource.update(xr)
    for name, value in sorted((xr_connection_details or {}).items()):
        req.observed.composite.connection_details[name] = value
    for key, item in sorted((observed or {}).items()):
        target = req.observed.resources[key]
        target.resource.update(item.resource)
        for name, value in item.connection_details.items():
            target.connection_details[name] = value
    for name, items in (required or {}).items():
        resources = req.required_resources[name]
        for resource in items:
            resources.items.add().resource.update(resource)
    if input_ is not None:
        req.input.update(input_)
    return req


def desired_resources(rsp: fnv1.RunFunctionResponse) -> dict[str, dict[str, Any]]:
    return {key: lookup(value.resource) for key, value in sorted(rsp.desired.resources.items())}


def observed_resources(req: fnv1.RunFunctionRequest) -> dict[str, ObservedResource]:
    """The composed resources `req` observed, with their connection details, by key."""
    return {
        key: ObservedResource(lookup(item.resource), dict(item.connection_details))
        for key, item in sorted(req.observed.resources.items())
    }


def fatal_messages(rsp: fnv1.RunFunctionResponse) -> list[str]:
    return [r.message for r in rsp.results if r.severity == fnv1.SEVERITY_FATAL]


def decode_secret_data(secret: dict[str, Any]) -> dict[str, str]:
    return {k: base64.b64decode(v).decode() for k, v in (secret.get("data") or {}).items()}
