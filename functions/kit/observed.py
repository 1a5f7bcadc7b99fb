"""Observed resources, read lazily straight from the request's protobuf Structs.

Converting a whole observed state to dicts costs more than the rest of a compose, so a blueprint
reads only the fields it needs, when it needs them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from crossplane.function.proto.v1 import run_function_pb2 as fnv1
from google.protobuf import struct_pb2


def _plain(value: struct_pb2.Value) -> Any:
    kind = value.WhichOneof("kind")
    if kind == "struct_value":
        return {k: _plain(v) for k, v in value.struct_value.fields.items()}
    if kind == "list_value":
        return [_plain(v) for v in value.list_value.values]
    if kind == "number_value":
        number = value.number_value
        return int(number) if number.is_integer() else number
    if kind == "null_value" or kind is None:
        return None
    return getattr(value, kind)


def lookup(struct: struct_pb2.Struct, *path: str) -> Any:
    """The plain-Python value at `path` inside `struct`, or None when any step is missing."""
    fields = struct.fields
    for depth, key in enumerate(path):
        if key not in fields:
            return None
        value = fields[key]
        if depth == len(path) - 1:
            return _plain(value)
        if value.WhichOneof("kind") != "struct_value":
            return None
        fields = value.struct_value.fields
    return {k: _plain(v) for k, v in fields.items()}


class Observed:
    """One observed composed resource."""

    __slots__ = ("_conditions", "_resource")

    def __init__(self, resource: fnv1.Resource) -> None:
        self._resource = resource
        # Conditions by type, read once: readiness is asked for several times per compose.
        self._conditions: dict[str, struct_pb2.Value | None] = {}

    def get(self, *path: str) -> Any:
        """A field by path, e.g. `observed.get("status", "atProvider", "arn")`; None if absent."""
        return lookup(self._resource.resource, *path)

    def at_provider(self, field: str) -> Any:
        return lookup(self._resource.resource, "status", "atProvider", field)

    def _condition_values(self) -> Iterable[struct_pb2.Value]:
        fields = self._resource.resource.fields
        if "status" not in fields:
            return ()
        status = fields["status"]
        if status.WhichOneof("kind") != "struct_value":
            return ()
        fields = status.struct_value.fields
        if "conditions" not in fields:
            return ()
        conditions = fields["conditions"]
        if conditions.WhichOneof("kind") != "list_value":
            return ()
        return conditions.list_value.values

    def _find_condition(self, type_: str) -> struct_pb2.Value | None:
        if type_ in self._conditions:
            return self._conditions[type_]
        found = None
        # Straight from the protobuf: converting every condition to dicts cost more than the rest.
        for value in self._condition_values():
            if value.WhichOneof("kind") != "struct_value":
                continue
            fields = value.struct_value.fields
            if "type" in fields and fields["type"].string_value == type_:
                found = value
                break
        self._conditions[type_] = found
        return found

    def condition(self, type_: str) -> dict[str, Any] | None:
        found = self._find_condition(type_)
        return None if found is None else _plain(found)

    @property
    def ready(self) -> bool:
        """Ready condition True; a resource that never has conditions is ready once it exists."""
        condition = self._find_condition("Ready")
        if condition is None:
            return not self._is_managed()
        fields = condition.struct_value.fields
        return "status" in fields and fields["status"].string_value == "True"

    def not_ready_reason(self) -> str:
        condition = self.condition("Ready") or self.condition("Synced")
        if condition is None:
            return "being created"
        parts = [condition.get("reason") or "NotReady", condition.get("message") or ""]
        return ": ".join(p for p in parts if p)

    @property
    def connection_details(self) -> Mapping[str, bytes]:
        return self._resource.connection_details

    def as_desired(self) -> dict[str, Any]:
        """This resource as it was desired: identity and spec, without what the server added."""
        metadata = self.get("metadata") or {}
        desired_metadata: dict[str, Any] = {"name": metadata.get("name")}
        if metadata.get("namespace"):
            desired_metadata["namespace"] = metadata["namespace"]
        external_name = (metadata.get("annotations") or {}).get("crossplane.io/external-name")
        if external_name:
            desired_metadata["annotations"] = {"crossplane.io/external-name": external_name}
        desired = {
            "apiVersion": self.get("apiVersion"),
            "kind": self.get("kind"),
            "metadata": desired_metadata,
        }
        for field in ("spec", "type", "data"):
            value = self.get(field)
            if value is not None:
                desired[field] = value
        return desired

    def _is_managed(self) -> bool:
        # Managed resources (anything with spec.forProvider) always report a Ready condition
        # eventually; until they do they are not ready. Secrets, ProviderConfigs and Usages don't.
        spec = self._resource.resource.fields.get("spec")
        return spec is not None and "forProvider" in spec.struct_value.fields


class ObservedResources(Mapping[str, Observed]):
    """The observed composed resources by composition resource name, wrapped on demand."""

    __slots__ = ("_resources", "_wrapped")

    def __init__(self, resources: Mapping[str, fnv1.Resource]) -> None:
        self._resources = resources
        self._wrapped: dict[str, Observed] = {}

    def __getitem__(self, name: str) -> Observed:
        wrapped = self._wrapped.get(name)
        if wrapped is None:
            if name not in self._resources:
                raise KeyError(name)
            wrapped = self._wrapped[name] = Observed(self._resources[name])
        return wrapped

    def __iter__(self) -> Iterator[str]:
        return iter(self._resources)

    def __len__(self) -> int:
        return len(self._resources)
