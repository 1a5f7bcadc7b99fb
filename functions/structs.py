"""Building protobuf Structs and desired resources from plain Python data, fast."""

from __future__ import annotations

import marshal
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple

from crossplane.function.proto.v1 import run_function_pb2 as fnv1
from google.protobuf import struct_pb2


def fill_struct(struct: struct_pb2.Struct, data: Mapping[str, Any]) -> None:
    """`struct.update(data)` for a fresh Struct, without its per-value overhead.

    Struct.update was the most expensive step of a large compose; this builds the identical
    message (tested against it) about 1.6 times faster by dispatching on exact types. Anything
    unusual (tuples, Mapping subclasses, enums) goes through Struct.update itself.
    """
    fields = struct.fields
    for key, item in data.items():
        set_value(fields[key], item)


def set_value(value: struct_pb2.Value, item: Any) -> None:
    kind = type(item)
    if kind is str:
        value.string_value = item
    elif kind is dict:
        if item:
            fill_struct(value.struct_value, item)
        else:
            value.struct_value.SetInParent()
    elif kind is bool:
        value.bool_value = item
    elif kind is int or kind is float:
        value.number_value = item
    elif kind is list:
        if item:
            values = value.list_value.values
            for element in item:
                set_value(values.add(), element)
        else:
            value.list_value.SetInParent()
    elif item is None:
        value.null_value = struct_pb2.NULL_VALUE
    else:
        holder = struct_pb2.Struct()
        holder.update({"value": item})
        value.CopyFrom(holder.fields["value"])


# -- desired resources as protobuf wire bytes, memoised ------------------------------------------

# Per memoised resource on top of its key and bytes: the OrderedDict slot and the two objects.
_MEMO_ENTRY_OVERHEAD = 200


class Composed(NamedTuple):
    """A desired resource to serialize as entry `name` of `State.resources`."""

    name: str
    # The resource, or (with a fingerprint) what builds it.
    resource: dict[str, Any] | Callable[[], dict[str, Any]]
    ready: bool
    # What determines the resource's whole content, when that is cheaper to read than it.
    fingerprint: tuple[Any, ...] | None = None


def _built(resource: dict[str, Any] | Callable[[], dict[str, Any]]) -> dict[str, Any]:
    return resource() if callable(resource) else resource


class ResourceMemo:
    """Serialized desired resources by content: an unchanged resource is not built again.

    Between two composes of an XR almost every desired resource is the same; building its Struct
    is most of the cost of a compose, and reading its content with `marshal` (format 2: no
    back-references, so equal content gives equal bytes) is a fraction of it. A bounded LRU.
    """

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._entries: OrderedDict[bytes, bytes] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def entry(self, name: str, resource: dict[str, Any], ready: bool) -> list[bytes]:
        """`State.resources[name]` holding `resource`, serialized deterministically, in parts.

        A large resource (over 1/64 of the memo) is not memoised, nor copied into one entry: its
        parts are the entry's header and the resource's bytes.
        """
        return self.entries([Composed(name, resource, ready)])[name]

    def entries(self, resources: Sequence[Composed]) -> dict[str, list[bytes]]:
        """`entry` of each resource, by name: one pass, one lock for the hits.

        A resource with a `fingerprint` is keyed on it instead of its content, and built only
        when it is not memoised.
        """
        parts: dict[str, list[bytes]] = {}
        keys: dict[str, bytes] = {}
        limit = self.max_bytes // 64
        dumps = marshal.dumps
        for name, resource, ready, fingerprint in resources:
            content: Any = resource if fingerprint is None else fingerprint
            try:
                key = dumps((name, ready, content), 2)
            except ValueError:  # a type marshal does not know (an enum, a Mapping): no memo
                key = b""
            if key and len(key) <= limit:
                keys[name] = key
            else:
                parts[name] = map_entry_parts(2, name, serialized_resource(_built(resource), ready))
        if not keys:
            return parts
        missed: list[tuple[str, bytes]] = []
        with self._lock:
            memoised = self._entries
            for name, key in keys.items():
                found = memoised.get(key)
                if found is None:
                    missed.append((name, key))
                else:
                    memoised.move_to_end(key)
                    parts[name] = [found]
        if not missed:
            return parts
        by_name = {item.name: item for item in resources}
        built = []
        for name, key in missed:
            item = by_name[name]
            resource = _built(item.resource)
            data = b"".join(map_entry_parts(2, name, serialized_resource(resource, item.ready)))
            parts[name] = [data]
            built.append((key, data))
        with self._lock:
            for key, data in built:
                if key not in memoised:
                    memoised[key] = data
                    self._bytes += len(key) + len(data) + _MEMO_ENTRY_OVERHEAD
            while self._bytes > self.max_bytes:
                old_key, old = memoised.popitem(last=False)
                self._bytes -= len(old_key) + len(old) + _MEMO_ENTRY_OVERHEAD
        return parts

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def size_bytes(self) -> int:
        return self._bytes


def serialized_resource(resource: dict[str, Any], ready: bool) -> bytes:
    message = fnv1.Resource(ready=fnv1.READY_TRUE if ready else fnv1.READY_FALSE)
    if resource:
        fill_struct(message.resource, resource)
    return message.SerializeToString(deterministic=True)


def length_delimited(number: int, payload: bytes) -> bytes:
    """Field `number` holding `payload` (a string, bytes or message), as protobuf writes it."""
    return field_header(number, len(payload)) + payload


def field_header(number: int, length: int) -> bytes:
    """What precedes `length` bytes of a string, bytes or message in field `number`."""
    return _varint((number << 3) | 2) + _varint(length)


def map_entry_parts(number: int, key: str, value: bytes) -> list[bytes]:
    """One entry of the map<string, message> field `number`, as deterministic serialization does.

    In two parts, everything before the value and the value, so a large value is not copied.
    """
    key_field = length_delimited(1, key.encode())
    value_header = field_header(2, len(value))
    entry_length = len(key_field) + len(value_header) + len(value)
    return [field_header(number, entry_length) + key_field + value_header, value]


def upb_map_order(key: str) -> bytes:
    """The order of string map keys in protobuf's (upb's) deterministic serialization.

    Bytewise, except that a key sorts before any key it is a prefix of ("cluster-role-policy"
    before "cluster-role"). UTF-8 never holds the byte 0xff, so it works as the sentinel.
    """
    return key.encode() + b"\xff"


def _varint(value: int) -> bytes:
    if value < 0x80:
        return bytes((value,))
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)
