"""The request as a blueprint sees it: the XR, typed parameters, the mode, observed resources."""

from __future__ import annotations

import functools
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from crossplane.function.proto.v1 import run_function_pb2 as fnv1
from google.protobuf import struct_pb2
from pydantic import ValidationError

from functions.kit.errors import ComposeError, describe
from functions.kit.names import dns_label
from functions.kit.observed import ObservedResources, StructView, lookup
from functions.kit.params import MAX_TAGS_PER_RESOURCE, CommonParameters
from functions.kit.shapes import ProviderConfigRef, Shape

P = TypeVar("P", bound=CommonParameters)

CLAIM_NAME_LABEL = "crossplane.io/claim-name"
CLAIM_NAMESPACE_LABEL = "crossplane.io/claim-namespace"
# Composed resources of these API groups are the ones Paved's identity fields (region, provider
# config) apply to; helm and kubernetes resources use the ProviderConfigs Paved composes.
AWS_GROUP_SUFFIXES = (".aws.upbound.io", ".aws.m.upbound.io")


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
        memo: ParametersMemo | None = None,
        memo_scope: bytes | None = None,
    ) -> Composite[P]:
        """The request's XR with its parameters validated (and `with_defaults` filled in).

        With a `memo`, parameters already validated are reused when their content is the same:
        `memo_scope` must then identify everything `with_defaults` depends on (the runner passes
        the serialized function input, which holds the policy).
        """
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
        params = _parameters(xr, params_model, with_defaults, memo, memo_scope or b"")
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
            status=_status(xr),
        )

    def resource_name(self, key: str) -> str:
        """The metadata.name of the composed resource with composition resource name `key`."""
        return dns_label(self.name, key)

    @property
    def group(self) -> str:
        """The XR's API group: other XRs of this installation live in the same group."""
        return self.api_version.partition("/")[0]

    def ref(self, key: str) -> dict[str, str]:
        """A reference (`...Ref`) to the composed resource with composition resource name `key`."""
        return self.shape.ref(self.resource_name(key))

    def check_identity(self) -> None:
        """Refuse a change of region or provider config once anything is composed.

        The provider would create every resource anew in the other region or account and orphan
        the originals, still billed. What was composed is read from the observed resources
        themselves (spec.forProvider.region, spec.providerConfigRef), never from the XR's status,
        so the check holds after a restore too.
        """
        p = self.params
        wanted = {
            "region": p.region,
            "providerConfigName": p.provider_config_name,
            "providerConfigKind": p.provider_config_kind,
        }
        # Paved composes every AWS resource with the XR's identity, so the first resource that
        # carries a field is the evidence for it: reading all of them costs ~10 µs a resource
        # through upb, on every compose.
        paths = {
            "region": (("spec", "forProvider", "region"), ("status", "atProvider", "region")),
            "providerConfigName": (("spec", "providerConfigRef", "name"),),
        }
        if self.shape.namespaced:  # only namespaced references name a kind
            paths["providerConfigKind"] = (("spec", "providerConfigRef", "kind"),)
        composed: dict[str, tuple[str, str]] = {}
        for key in sorted(self.observed):
            if len(composed) == len(paths):
                break
            observed = self.observed[key]
            api_version = observed.string("apiVersion") or ""
            if not api_version.partition("/")[0].endswith(AWS_GROUP_SUFFIXES):
                continue
            for field, candidates in paths.items():
                if field in composed:
                    continue
                for path in candidates:
                    value = observed.string(*path)
                    if value is not None:
                        composed[field] = (value, key)
                        break
        found = {
            field: (value, key)
            for field, (value, key) in composed.items()
            if value != wanted[field]
        }
        if found:
            raise ComposeError.together(
                ComposeError(
                    f"spec.parameters.{field}",
                    f"cannot change from {value!r} to {wanted[field]!r} once resources are "
                    f"composed ({key} was composed with {value!r}): the provider would create "
                    "everything again and orphan what exists. Set it back, or create a new "
                    f"{self.kind.removeprefix('X') or 'composite'} and move to it",
                )
                for field, (value, key) in found.items()
            )

    def aws_name(self, max_len: int = 63) -> str:
        """A name for the cloud resource itself (bucket, EKS cluster, DB identifier), derived from
        the XR's namespace and name only, so it never changes for the XR's lifetime."""
        return dns_label(self.namespace or "", self.name, max_len=max_len)

    def tags(self, **extra: str) -> dict[str, str]:
        """The user's tags plus Paved's identifying tags, which win on conflict."""
        if not extra:
            return dict(self._tags)  # most resources: the same tags, a copy each
        return self._tags_with(extra)

    @functools.cached_property
    def _tags(self) -> dict[str, str]:
        return self._tags_with({})

    def _tags_with(self, extra: dict[str, str]) -> dict[str, str]:
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
        if len(tags) > MAX_TAGS_PER_RESOURCE:
            # The parameters leave room for Paved's own tags; a blueprint adding more is a bug.
            raise ComposeError(
                "spec.parameters.tags",
                f"{len(tags)} tags on one resource, AWS allows {MAX_TAGS_PER_RESOURCE}: "
                f"remove {len(tags) - MAX_TAGS_PER_RESOURCE}",
            )
        return dict(sorted(tags.items()))


Defaults = Callable[[dict[str, Any]], dict[str, Any]]


class ParametersMemo:
    """Validated parameters by their content: Crossplane re-sends the same ones every reconcile.

    Keyed on the parameters model, a scope naming what the defaults depend on, and the
    deterministic serialization of `spec.parameters`; only parameters that validated are kept.
    Models are frozen, and a compose never changes its parameters, so one can serve many.
    A bounded LRU: an entry is counted as its key plus a model ten times the size of the
    serialized parameters (XCluster's example measures 7.8 with tracemalloc, defaults included),
    and parameters over 64 KiB are not kept.
    """

    MAX_CONTENT_BYTES = 64 * 1024
    ENTRY_OVERHEAD_BYTES = 4096

    def __init__(self, max_bytes: int = 4 * 1024 * 1024) -> None:
        self.max_bytes = max_bytes
        self._entries: OrderedDict[tuple[type[Any], bytes, bytes], Any] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    @classmethod
    def cost(cls, key: tuple[type[Any], bytes, bytes]) -> int:
        return len(key[1]) + 11 * len(key[2]) + cls.ENTRY_OVERHEAD_BYTES

    def get(self, key: tuple[type[Any], bytes, bytes]) -> Any:
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
            return found

    def put(self, key: tuple[type[Any], bytes, bytes], params: Any) -> None:
        if len(key[2]) > self.MAX_CONTENT_BYTES or self.cost(key) > self.max_bytes:
            return
        with self._lock:
            if key not in self._entries:
                self._bytes += self.cost(key)
            self._entries[key] = params
            while self._bytes > self.max_bytes:
                old, _ = self._entries.popitem(last=False)
                self._bytes -= self.cost(old)

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def size_bytes(self) -> int:
        return self._bytes


def _parameters(
    xr: struct_pb2.Struct,
    params_model: type[P],
    with_defaults: Defaults | None,
    memo: ParametersMemo | None,
    memo_scope: bytes,
) -> P:
    spec = xr.fields.get("spec")
    value = spec.struct_value.fields.get("parameters") if spec is not None else None
    key = None
    if memo is not None:
        content = b"" if value is None else value.SerializeToString(deterministic=True)
        key = (params_model, memo_scope, content)
        found = memo.get(key)
        if found is not None:
            return found  # type: ignore[no-any-return]
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
        raise ComposeError("", describe(error, "spec.parameters", params_model)) from None
    if memo is not None and key is not None:
        memo.put(key, params)
    return params


def _status(xr: struct_pb2.Struct) -> Mapping[str, Any]:
    """The XR's status, each field converted when a blueprint first reads it (most read none)."""
    status = xr.fields.get("status")
    if status is None or status.WhichOneof("kind") != "struct_value":
        return {}
    return StructView(status.struct_value.fields)


def _required(req: fnv1.RunFunctionRequest) -> dict[str, list[dict[str, Any]]]:
    required: dict[str, list[dict[str, Any]]] = {}
    for source in (req.extra_resources, req.required_resources):
        for name, resources in source.items():
            required[name] = [lookup(item.resource) for item in resources.items]
    return required
