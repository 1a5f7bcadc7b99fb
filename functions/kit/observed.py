"""Observed resources, read lazily straight from the request's protobuf Structs.

Converting a whole observed state to dicts costs more than the rest of a compose, so a blueprint
reads only the fields it needs, when it needs them.

Observed values come from providers, people and older Paved versions, so they can be anything: a
number where a string belongs, a list where an object belongs, bytes that are not UTF-8. The typed
accessors (`text`, `integer`, `mapping`, `items`, `connection_text`) return None for a value of the
wrong type and note it; the kit turns each note into a Warning result. A compose never crashes on
an observed value.

Safety checks read `actual(field)`: what AWS reports (`status.atProvider`), or, when the status is
missing (after a restore or an adoption), what was asked for (`spec.forProvider`), so a check
never passes just because status is absent.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, MutableMapping, Sequence
from typing import Any, TypeVar, overload

from crossplane.function.proto.v1 import run_function_pb2 as fnv1
from google.protobuf import struct_pb2
from google.protobuf.message import Message

from functions.kit import wire

Fields = MutableMapping[str, struct_pb2.Value]  # a Struct's `fields`


def _plain(value: struct_pb2.Value) -> Any:
    kind = value.WhichOneof("kind")
    if kind == "string_value":
        return value.string_value
    if kind == "struct_value":
        return _plain_fields(value.struct_value.fields)
    if kind == "list_value":
        return [_plain(v) for v in value.list_value.values]
    if kind == "number_value":
        number = value.number_value
        return int(number) if number.is_integer() else number
    if kind == "null_value" or kind is None:
        return None
    return getattr(value, kind)


_NO_FIELDS: Fields = struct_pb2.Struct().fields


def _plain_fields(fields: Fields) -> dict[str, Any]:
    # Keys, then each value: a protobuf map's items() is collections.abc's generator doing that.
    return {key: _plain(fields[key]) for key in fields}


def string_at(struct: struct_pb2.Struct, *path: str) -> str | None:
    """The string at `path`, or None when a step is missing or it is not a string (fast)."""
    value = _value_at(struct.fields, path)
    if value is None or value.WhichOneof("kind") != "string_value":
        return None
    return value.string_value


def _value_at(fields: Fields, path: tuple[str, ...]) -> struct_pb2.Value | None:
    """The Value at a non-empty `path` inside a Struct's `fields`, None when a step is missing.

    `.get` on a message map reads without inserting (indexing a missing key would add it). A step
    through a value that is not an object reads protobuf's empty default in its place (reading
    never sets a field), where the next key is missing: cheaper than asking each value's kind.
    """
    value = None
    for key in path:
        if value is not None:
            fields = value.struct_value.fields
        value = fields.get(key)
        if value is None:
            return None
    return value


def lookup(struct: struct_pb2.Struct, *path: str) -> Any:
    """The plain-Python value at `path` inside `struct`, or None when any step is missing."""
    if not path:
        return _plain_fields(struct.fields)
    value = _value_at(struct.fields, path)
    return None if value is None else _plain(value)


class StructView(Mapping[str, Any]):
    """A Struct as a read-only mapping of plain values, each converted when first read."""

    __slots__ = ("_fields", "_values")

    def __init__(self, fields: Fields) -> None:
        self._fields = fields
        self._values: dict[str, Any] = {}

    def __getitem__(self, key: str) -> Any:
        if key in self._values:
            return self._values[key]
        value = self._fields.get(key) if isinstance(key, str) else None
        if value is None:
            raise KeyError(key)
        plain = self._values[key] = _plain(value)
        return plain

    def __iter__(self) -> Iterator[str]:
        return iter(self._fields)

    def __len__(self) -> int:
        return len(self._fields)

    def __repr__(self) -> str:
        return repr(dict(self))


T = TypeVar("T")

_TYPE_NAMES: dict[type, str] = {
    str: "a string",
    bool: "a boolean",
    int: "a number",
    float: "a number",
    dict: "an object",
    list: "a list",
}


def _type_name(value: Any) -> str:
    return _TYPE_NAMES.get(type(value), type(value).__name__)


class Observed:
    """One observed composed resource.

    Read from the request as the server parses it (`functions.kit.wire`): the resource's fields
    and theirs are parsed, objects deeper down are parsed when a path first goes through them.
    """

    __slots__ = (
        "_condition_list",
        "_conditions",
        "_notes",
        "_ready",
        "_resource",
        "_structs",
        "_top",
        "key",
    )

    def __init__(
        self, resource: fnv1.Resource | Message, key: str = "", notes: list[str] | None = None
    ) -> None:
        # An ObservedResource (the server's parse); a Resource composed in process is converted.
        self._resource = wire.observed_resource(resource)
        # Held, so that protobuf does not build its wrapper again on every read.
        self._top: Any = self._resource.resource.fields
        # The objects two levels down parsed so far (status.atProvider), by their path.
        self._structs: dict[tuple[str, str], struct_pb2.Struct | None] | None = None
        self.key = key
        # Where odd values are noted; the kit reports each as a Warning.
        self._notes = notes if notes is not None else []
        # Conditions by type, read once (None until one is asked for).
        self._conditions: dict[str, Fields | None] | None = None
        self._condition_list: list[Fields] | None = None
        # Readiness, read once: gates ask for it many times per compose.
        self._ready: bool | None = None

    def _value(self, path: tuple[str, ...]) -> struct_pb2.Value | None:
        """The Value at a non-empty `path`, None when a step is missing.

        A step through a value that is not an object reads protobuf's empty default in its
        place, where the next key is missing.
        """
        outer = self._top.get(path[0])
        if outer is None:
            return None
        if len(path) == 1:
            return self._parsed(outer, path)
        inner = outer.struct_value.fields.get(path[1])
        if inner is None:
            return None
        if len(path) == 2:
            return self._parsed(inner, path)
        struct = self._struct(path[0], path[1], inner)
        return None if struct is None else _value_at(struct.fields, path[2:])

    def _struct(self, first: str, second: str, inner: Any) -> struct_pb2.Struct | None:
        structs = self._structs
        if structs is None:
            structs = self._structs = {}
        found = structs.get((first, second), False)
        if found is False:
            found = structs[(first, second)] = wire.as_struct(inner)
            if found is None and inner.WhichOneof("kind") == "struct_value":
                self._note(f"{first}.{second} is not a valid protobuf Struct")
        return found  # type: ignore[return-value]

    def _parsed(self, value: Any, path: tuple[str, ...]) -> struct_pb2.Value | None:
        parsed = wire.as_value(value)
        if parsed is None:
            self._note(f"{'.'.join(path)} is not a valid protobuf Value")
        return parsed

    def get(self, *path: str) -> Any:
        """A field by path, e.g. `observed.get("status", "atProvider", "arn")`; None if absent."""
        if not path:
            return {key: self.get(key) for key in self._top}
        value = self._value(path)
        return None if value is None else _plain(value)

    def string(self, *path: str) -> str | None:
        """A string field, or None if absent or another type (not noted: for hot paths)."""
        value = self._value(path)
        if value is None or value.WhichOneof("kind") != "string_value":
            return None
        return value.string_value

    def at_provider(self, field: str) -> Any:
        return self.get("status", "atProvider", field)

    # -- typed reads: a value of the wrong type is unknown (None), and noted -------------------

    def text(self, *path: str) -> str | None:
        """A string field; None if absent or not a string."""
        return self._typed(path, self.get(*path), str, "a string")

    def integer(self, *path: str) -> int | None:
        """A whole number (a numeric string like "5432" counts); None otherwise."""
        value = self.get(*path)
        if isinstance(value, str) and value.strip().isdigit():
            return int(value)
        if isinstance(value, float) and value.is_integer():
            return int(value)
        return self._typed(path, value, int, "a whole number")

    def mapping(self, *path: str) -> dict[str, Any] | None:
        """An object field; None if absent or not an object (e.g. a list)."""
        return self._typed(path, self.get(*path), dict, "an object")

    def items(self, *path: str) -> list[Any] | None:
        """A list field; None if absent or not a list."""
        return self._typed(path, self.get(*path), list, "a list")

    def actual(self, field: str) -> Any:
        """What AWS reports for `field` (status.atProvider), else what was asked (spec.forProvider).

        Never None just because the status is missing (after a restore or an adoption).
        """
        value = self.at_provider(field)
        if value is None:
            value = self.get("spec", "forProvider", field)
        return value

    def actual_text(self, field: str) -> str | None:
        """`actual(field)` if it is a string; a wrong type is noted and treated as unknown."""
        for path in (("status", "atProvider", field), ("spec", "forProvider", field)):
            value = self.text(*path)
            if value is not None:
                return value
        return None

    def actual_mapping(self, field: str) -> dict[str, Any] | None:
        """`actual(field)` if it is an object; a wrong type is noted and treated as unknown."""
        for path in (("status", "atProvider", field), ("spec", "forProvider", field)):
            value = self.mapping(*path)
            if value is not None:
                return value
        return None

    def connection_text(self, name: str) -> str | None:
        """A connection detail as text; None if absent or not UTF-8 (noted, value never shown)."""
        value: bytes | None = self._resource.connection_details.get(name)
        if value is None:
            return None
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            self._note(f"connection detail {name!r} is not UTF-8 text")
            return None

    def _typed(self, path: tuple[str, ...], value: Any, kind: type[T], want: str) -> T | None:
        if value is None:
            return None
        if isinstance(value, kind) and not (isinstance(value, bool) and kind is not bool):
            return value
        # The value itself is never shown: it could be anything, secrets included.
        self._note(f"{'.'.join(path)} is {_type_name(value)}, not {want}")
        return None

    def _note(self, what: str) -> None:
        note = f"observed {self.key or 'resource'}: {what}; treated as unknown"
        if note not in self._notes:
            self._notes.append(note)

    def _condition_fields(self) -> Iterator[Fields]:
        """Each of status.conditions' fields, parsed when first read (none when status is not an
        object or conditions not a list: protobuf's empty defaults)."""
        parsed = self._condition_list
        if parsed is None:
            parsed = self._condition_list = []
        for index, element in enumerate(self._condition_elements()):
            if index == len(parsed):
                struct = wire.as_struct(element)
                parsed.append(_NO_FIELDS if struct is None else struct.fields)
            yield parsed[index]

    def _condition_elements(self) -> Sequence[Any]:
        status = self._top.get("status")
        if status is not None:
            conditions = status.struct_value.fields.get("conditions")
            if conditions is not None:
                return conditions.list_value.values  # type: ignore[no-any-return]
        return ()

    def _find_condition(self, type_: str) -> Fields | None:
        if self._conditions is None:
            self._conditions = {}
        elif type_ in self._conditions:
            return self._conditions[type_]
        found = None
        # Straight from the protobuf: converting every condition to dicts cost more than the rest.
        for fields in self._condition_fields():
            condition_type = fields.get("type")
            if condition_type is not None and condition_type.string_value == type_:
                found = fields
                break
        self._conditions[type_] = found
        return found

    def condition(self, type_: str) -> dict[str, Any] | None:
        found = self._find_condition(type_)
        return None if found is None else _plain_fields(found)

    @property
    def ready(self) -> bool:
        """Ready condition True; a resource that never has conditions is ready once it exists."""
        ready = self._ready
        if ready is None:
            ready = self._ready = self._read_ready()
        return ready

    def _read_ready(self) -> bool:
        # _find_condition("Ready") inlined: this runs for every observed resource of a compose.
        for fields in self._condition_fields():
            if "type" in fields and fields["type"].string_value == "Ready":
                return "status" in fields and fields["status"].string_value == "True"
        return not self._is_managed()

    def not_ready_reason(self) -> str:
        condition = self.condition("Ready") or self.condition("Synced")
        if condition is None:
            return "being created"
        parts = [condition.get("reason") or "NotReady", condition.get("message") or ""]
        return ": ".join(str(p) for p in parts if p)

    @property
    def connection_details(self) -> Mapping[str, bytes]:
        details: Mapping[str, bytes] = self._resource.connection_details
        return details

    def as_desired(self) -> dict[str, Any]:
        """This resource as it was desired: identity and spec, without what the server added."""
        desired_metadata: dict[str, Any] = {"name": self.text("metadata", "name")}
        namespace = self.text("metadata", "namespace")
        if namespace:
            desired_metadata["namespace"] = namespace
        external_name = self.text("metadata", "annotations", "crossplane.io/external-name")
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
        spec = self._top.get("spec")
        return spec is not None and "forProvider" in spec.struct_value.fields


class ObservedResources(Mapping[str, Observed]):
    """The observed composed resources by composition resource name.

    Wrapped all at once on first use: a compose reads nearly every one (each emitted resource's
    readiness), and walking the protobuf map once costs less than looking each name up in it.
    Wrapping reads nothing inside a resource.
    """

    __slots__ = ("_resources", "_wrapped", "notes")

    def __init__(self, resources: Mapping[str, fnv1.Resource]) -> None:
        self._resources = resources
        self._wrapped: dict[str, Observed] | None = None
        # Odd observed values met while composing, reported as Warning results.
        self.notes: list[str] = []

    def _all(self) -> dict[str, Observed]:
        wrapped = self._wrapped
        if wrapped is None:
            notes, resources = self.notes, self._resources
            wrapped = self._wrapped = {
                name: Observed(resources[name], name, notes) for name in resources
            }
        return wrapped

    def __getitem__(self, name: str) -> Observed:
        return (self._wrapped or self._all())[name]

    @overload
    def get(self, name: str, /) -> Observed | None: ...
    @overload
    def get(self, name: str, /, default: Observed | T) -> Observed | T: ...
    def get(self, name: str, /, default: Any = None) -> Any:
        return (self._wrapped or self._all()).get(name, default)

    def is_ready(self, name: str) -> bool:
        """Whether composed resource `name` is observed and ready."""
        observed = (self._wrapped or self._all()).get(name)
        return observed is not None and observed.ready

    def __contains__(self, name: object) -> bool:
        return name in (self._wrapped or self._all())

    def __iter__(self) -> Iterator[str]:
        return iter(self._wrapped or self._all())

    def __len__(self) -> int:
        return len(self._resources)
