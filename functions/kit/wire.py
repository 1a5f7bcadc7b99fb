"""The request as the server parses it: observed resources read two levels deep, the rest later.

Parsing every observed resource into protobuf Values was a sixth of a large compose, and most of
it went on what no blueprint reads: every value under `metadata`, `spec.forProvider` and
`status.atProvider`. `ObservedRequest` has the wire layout of `RunFunctionRequest`, and every
field is the SDK's own message except the observed resources: there each field of the resource
(`status`) and each field of those (`status.atProvider`) is parsed; objects below that, and each
element of a list (`status.conditions`, `metadata.managedFields`), are kept as their serialized
`google.protobuf.Struct`, parsed when first read (see `functions.kit.observed`).

Anything the view does not name (a number, a boolean, a list that is not of objects) is kept by
protobuf as an unknown field and read back exactly by serializing the value again (`as_value`).
The messages are built from descriptors at import, in the default pool next to the SDK's
`run_function.proto`, so that every other field is the SDK's own class.
"""

from __future__ import annotations

from typing import Any, cast

from crossplane.function.proto.v1 import run_function_pb2 as fnv1
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory, struct_pb2
from google.protobuf.message import DecodeError, Message

_PACKAGE = "paved.wire.v1"
_FIELD = descriptor_pb2.FieldDescriptorProto


def _add_field(
    message: descriptor_pb2.DescriptorProto,
    name: str,
    number: int,
    kind: int,
    type_name: str = "",
    *,
    repeated: bool = False,
    oneof: int | None = None,
) -> None:
    field = message.field.add(name=name, number=number, type=kind)
    if type_name:
        field.type_name = type_name
    field.label = _FIELD.LABEL_REPEATED if repeated else _FIELD.LABEL_OPTIONAL
    if oneof is not None:
        field.oneof_index = oneof


def _add_map(
    message: descriptor_pb2.DescriptorProto, name: str, number: int, kind: int, type_name: str = ""
) -> None:
    entry = message.nested_type.add(name=f"{name.title().replace('_', '')}Entry")
    entry.options.map_entry = True
    _add_field(entry, "key", 1, _FIELD.TYPE_STRING)
    _add_field(entry, "value", 2, kind, type_name)
    entry_type = f".{_PACKAGE}.{message.name}.{entry.name}"
    _add_field(message, name, number, _FIELD.TYPE_MESSAGE, entry_type, repeated=True)


def _value_like(
    file: descriptor_pb2.FileDescriptorProto, name: str, object_kind: int, object_type: str
) -> None:
    """A google.protobuf.Value naming only string_value (3), struct_value (5), list_value (6)."""
    value = file.message_type.add(name=name)
    value.oneof_decl.add(name="kind")
    _add_field(value, "string_value", 3, _FIELD.TYPE_STRING, oneof=0)
    _add_field(value, "struct_value", 5, object_kind, object_type, oneof=0)
    _add_field(value, "list_value", 6, _FIELD.TYPE_MESSAGE, f".{_PACKAGE}.ObjectList", oneof=0)


def _file() -> descriptor_pb2.FileDescriptorProto:
    message = _FIELD.TYPE_MESSAGE
    file = descriptor_pb2.FileDescriptorProto(
        name="paved/wire/v1/observed_request.proto",
        package=_PACKAGE,
        syntax="proto3",
        dependency=[fnv1.DESCRIPTOR.name, struct_pb2.DESCRIPTOR.name],
    )
    # A list (status.conditions, metadata.managedFields): each object kept serialized.
    element = file.message_type.add(name="ObjectElement")
    element.oneof_decl.add(name="kind")
    _add_field(element, "struct_value", 5, _FIELD.TYPE_BYTES, oneof=0)
    elements = file.message_type.add(name="ObjectList")
    _add_field(elements, "values", 1, message, f".{_PACKAGE}.ObjectElement", repeated=True)
    # Two levels down (status.atProvider): an object stays serialized.
    _value_like(file, "InnerValue", _FIELD.TYPE_BYTES, "")
    inner = file.message_type.add(name="InnerStruct")
    _add_map(inner, "fields", 1, message, f".{_PACKAGE}.InnerValue")
    # A field of the resource (status).
    _value_like(file, "OuterValue", message, f".{_PACKAGE}.InnerStruct")
    outer = file.message_type.add(name="OuterStruct")
    _add_map(outer, "fields", 1, message, f".{_PACKAGE}.OuterValue")
    # apiextensions.fn.proto.v1.Resource: resource = 1, connection_details = 2.
    resource = file.message_type.add(name="ObservedResource")
    _add_field(resource, "resource", 1, message, f".{_PACKAGE}.OuterStruct")
    _add_map(resource, "connection_details", 2, _FIELD.TYPE_BYTES)
    # apiextensions.fn.proto.v1.State: composite = 1 (the SDK's Resource), resources = 2.
    state = file.message_type.add(name="ObservedState")
    _add_field(state, "composite", 1, message, f".{fnv1.Resource.DESCRIPTOR.full_name}")
    _add_map(state, "resources", 2, message, f".{_PACKAGE}.ObservedResource")
    # RunFunctionRequest, with `observed` an ObservedState.
    request_descriptor = fnv1.RunFunctionRequest.DESCRIPTOR
    request = file.message_type.add()
    request_descriptor.CopyToProto(request)
    request.name = "ObservedRequest"
    for field in request.field:
        field.type_name = field.type_name.replace(
            f".{request_descriptor.full_name}.", f".{_PACKAGE}.{request.name}."
        )
        if field.name == "observed":
            field.type_name = f".{_PACKAGE}.ObservedState"
    return file


def _classes() -> dict[str, type[Message]]:
    """Every message class of the file, held: upb would otherwise build a sub-message's class
    again each time one is read, and leave the old one for the cycle collector."""
    pool = descriptor_pool.Default()
    file = _file()
    try:
        pool.FindFileByName(file.name)
    except KeyError:
        pool.Add(file)
    found = message_factory.GetMessageClassesForFiles([file.name], pool)
    return {name.removeprefix(f"{_PACKAGE}."): found[name] for name in found}


_CLASSES = _classes()
ObservedRequest = _CLASSES["ObservedRequest"]
ObservedResource = _CLASSES["ObservedResource"]


def parse_request(data: bytes) -> fnv1.RunFunctionRequest:
    """`RunFunctionRequest.FromString(data)`, its observed resources read as `ObservedResource`.

    Typed as the SDK's request: every field is, except the values of `observed.resources`, which
    only `functions.kit.observed` reads. Raises DecodeError like FromString.
    """
    return cast(fnv1.RunFunctionRequest, ObservedRequest.FromString(data))


def observed_resource(resource: Any) -> Any:
    """`resource` as an `ObservedResource` (a Resource composed in process is converted)."""
    if isinstance(resource, fnv1.Resource):
        return ObservedResource.FromString(resource.SerializeToString())
    return resource


def as_value(value: Message) -> struct_pb2.Value | None:
    """An OuterValue or InnerValue as the Value it was on the wire; None if it does not parse."""
    if value.WhichOneof("kind") == "string_value":
        return struct_pb2.Value(string_value=cast(Any, value).string_value)
    try:
        return struct_pb2.Value.FromString(value.SerializeToString())
    except DecodeError:
        return None


def as_struct(value: Message) -> struct_pb2.Struct | None:
    """The object an InnerValue or a list's element holds (serialized); None when it holds none
    or it does not parse."""
    if value.WhichOneof("kind") != "struct_value":
        return None
    try:
        return struct_pb2.Struct.FromString(cast(Any, value).struct_value)
    except DecodeError:
        return None
