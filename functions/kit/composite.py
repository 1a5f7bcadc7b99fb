"""The request as a blueprint sees it: the XR, typed parameters, the mode, observed resources."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from crossplane.function.proto.v1 import run_function_pb2 as fnv1
from pydantic import ValidationError

from functions.kit.errors import ComposeError, describe
from functions.kit.names import dns_label
from functions.kit.observed import ObservedResources, lookup
from functions.kit.params import CommonParameters
from functions.kit.shapes import ProviderConfigRef, Shape

P = TypeVar("P", bound=CommonParameters)

CLAIM_NAME_LABEL = "crossplane.io/claim-name"
CLAIM_NAMESPACE_LABEL = "crossplane.io/claim-namespace"


@dataclass(frozen=True)
class Composite(Generic[P]):
    api_version: str
    kind: str
    name: str
    namespace: str | None
    labels: Mapping[str, str]
    params: P
    shape: Shape
    observed: ObservedResources
    # Required resources by requirement name; a name is absent until Crossplane resolved it.
    required: Mapping[str, list[dict[str, Any]]]
    # The observed XR's status, for blueprints that must remember what they composed before.
    status: Mapping[str, Any]

    @classmethod
    def from_request(
        cls,
        req: fnv1.RunFunctionRequest,
        params_model: type[P],
        *,
        with_defaults: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
    ) -> Composite[P]:
        xr = req.observed.composite.resource
        metadata = lookup(xr, "metadata") or {}
        if not isinstance(metadata, dict):
            raise ComposeError("metadata", "must be an object")
        name = metadata.get("name")
        if not isinstance(name, str) or not name:
            raise ComposeError("metadata.name", "the composite resource has no name")
        namespace = metadata.get("namespace") or None
        if namespace is not None and not isinstance(namespace, str):
            raise ComposeError("metadata.namespace", "must be a string")
        parameters = lookup(xr, "spec", "parameters")
        if parameters is None:
            parameters = {}
        if not isinstance(parameters, dict):
            raise ComposeError("spec.parameters", "must be an object")
        if with_defaults is not None:
            parameters = with_defaults(parameters)
        try:
            params = params_model.model_validate(parameters)
        except ValidationError as error:
            raise ComposeError("", describe(error, "spec.parameters")) from None
        shape = Shape(
            namespaced=namespace is not None,
            namespace=namespace,
            provider_config=ProviderConfigRef(
                params.provider_config_name, params.provider_config_kind
            ),
            deletion_policy=params.deletion_policy,
        )
        labels = metadata.get("labels") or {}
        if not isinstance(labels, dict):
            raise ComposeError("metadata.labels", "must be an object")
        return cls(
            api_version=str(lookup(xr, "apiVersion") or ""),
            kind=str(lookup(xr, "kind") or ""),
            name=name,
            namespace=namespace,
            labels={k: str(v) for k, v in labels.items()},
            params=params,
            shape=shape,
            observed=ObservedResources(req.observed.resources),
            required=_required(req),
            status=lookup(xr, "status") or {},
        )

    def resource_name(self, key: str) -> str:
        """The metadata.name of the composed resource with composition resource name `key`."""
        return dns_label(self.name, key)

    @property
    def group(self) -> str:
        """The XR's API group: other XRs of this installation live in the same group."""
        return self.api_version.partition("/")[0]

    def aws_name(self, max_len: int = 63) -> str:
        """A name for the cloud resource itself (bucket, EKS cluster, DB identifier), derived from
        the XR's namespace and name only, so it never changes for the XR's lifetime."""
        return dns_label(self.namespace or "", self.name, max_len=max_len)

    def tags(self, **extra: str) -> dict[str, str]:
        """The user's tags plus Paved's identifying tags, which win on conflict."""
        tags = dict(self.params.tags)
        tags.update(extra)
        tags["paved.dev/managed-by"] = "paved"
        tags["paved.dev/composite"] = (
            f"{self.kind}/{self.namespace + '/' if self.namespace else ''}{self.name}"
        )
        if CLAIM_NAME_LABEL in self.labels:
            tags["paved.dev/claim"] = (
                f"{self.labels.get(CLAIM_NAMESPACE_LABEL, '')}/{self.labels[CLAIM_NAME_LABEL]}"
            )
        return dict(sorted(tags.items()))


def _required(req: fnv1.RunFunctionRequest) -> dict[str, list[dict[str, Any]]]:
    required: dict[str, list[dict[str, Any]]] = {}
    for source in (req.extra_resources, req.required_resources):
        for name, resources in source.items():
            required[name] = [lookup(item.resource) for item in resources.items]
    return required
