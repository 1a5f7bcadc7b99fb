"""Memoised responses: a bounded LRU of serialized responses, keyed by what identifies a request.

Crossplane never sends the same bytes twice: Go's protobuf orders map entries (every Struct's
fields) differently on each marshal. It does send a tag that identifies the content: the SHA-256
of the request's deterministic marshalling, and the protocol promises that requests with identical
tags are otherwise identical (Crossplane's own response cache keys on it). So a request carrying
such a tag is keyed on its `meta` field, its length (map order never changes a length) and the
content of every field the tag may not cover (the required resources Crossplane adds after
tagging, e.g. while a function iterates on its requirements). Finding that key reads a few bytes
of the request and parses at most those fields. Any other request is keyed on the digest of its
exact bytes.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass

from crossplane.function.proto.v1 import run_function_pb2 as fnv1
from google.protobuf.message import DecodeError

# Bytes of Python bookkeeping per entry on top of the response's and key's contents: the
# OrderedDict slot and the Cached object (~170, measured with tracemalloc) and the two bytes
# objects' headers (~70), rounded up.
ENTRY_OVERHEAD_BYTES = 320

# RunFunctionRequest fields the tag covers: meta (which holds it), observed, desired, input,
# context. Crossplane computes the tag once these are set.
_TAGGED_FIELDS = frozenset({1, 2, 3, 4, 5})
_CROSSPLANE_TAG = re.compile(rb"[0-9a-f]{64}")
_LEN = 2  # the wire type of strings, bytes and messages


@dataclass(frozen=True)
class Cached:
    response: bytes
    blueprint: str
    severity: str


class ResponseCache:
    """A bounded LRU of serialized responses; every entry counted once, with its overhead."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._entries: OrderedDict[bytes, Cached] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    @staticmethod
    def cost(key: bytes, entry: Cached) -> int:
        return len(key) + len(entry.response) + ENTRY_OVERHEAD_BYTES

    def get(self, key: bytes) -> Cached | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
            return entry

    def put(self, key: bytes, entry: Cached) -> None:
        size = self.cost(key, entry)
        if size > self.max_bytes:
            return
        with self._lock:
            previous = self._entries.pop(key, None)
            if previous is not None:
                self._bytes -= self.cost(key, previous)
            self._entries[key] = entry
            self._bytes += size
            while self._bytes > self.max_bytes:
                old_key, old = self._entries.popitem(last=False)
                self._bytes -= self.cost(old_key, old)

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def size_bytes(self) -> int:
        return self._bytes


def request_key(data: bytes) -> bytes:
    """The cache key of a serialized RunFunctionRequest (see the module's docstring)."""
    tagged = _tagged_parts(data)
    if tagged is None:
        return _raw_key(data)
    meta, uncovered = tagged
    key = hashlib.sha256(b"tag\0" + len(data).to_bytes(8, "little"))
    key.update(meta)
    if uncovered:
        # Required resources and the like, in Go's map order: keyed on their content, which
        # costs parsing and re-serializing only them (a few KB), not the whole request.
        try:
            partial = fnv1.RunFunctionRequest.FromString(b"".join(uncovered))
        except DecodeError:
            return _raw_key(data)
        key.update(partial.SerializeToString(deterministic=True))
    return key.digest()


def _raw_key(data: bytes) -> bytes:
    key = hashlib.sha256(b"raw\0")
    key.update(data)  # not b"raw\0" + data: that copies a request of up to the message limit
    return key.digest()


def _tagged_parts(data: bytes) -> tuple[bytes, list[bytes]] | None:
    """The meta field and the fields the tag does not cover, or None without a Crossplane tag.

    Reads only the top-level field headers. Anything unusual (a malformed message, a field twice,
    a tag Crossplane would not compute) is None: the exact bytes are keyed instead.
    """
    meta: bytes | None = None
    uncovered: list[bytes] = []
    position, end = 0, len(data)
    try:
        while position < end:
            start = position
            header, position = _varint(data, position)
            number, wire_type = header >> 3, header & 7
            if wire_type != _LEN:
                return None
            length, position = _varint(data, position)
            position += length
            if position > end:
                return None
            if number == 1:
                if meta is not None:
                    return None
                meta = data[start:position]
            elif number not in _TAGGED_FIELDS:
                uncovered.append(data[start:position])
        if meta is None or not _has_crossplane_tag(meta):
            return None
    except IndexError:
        return None
    return meta, uncovered


def _has_crossplane_tag(meta_field: bytes) -> bool:
    """Whether a serialized `meta` field holds exactly one tag shaped like Crossplane's."""
    _, position = _varint(meta_field, 0)
    length, position = _varint(meta_field, position)
    body, tags = meta_field[position : position + length], 0
    position = 0
    while position < len(body):
        header, position = _varint(body, position)
        wire_type = header & 7
        if wire_type == 0:
            _, position = _varint(body, position)
            continue
        if wire_type != _LEN:
            return False
        size, position = _varint(body, position)
        if header >> 3 == 1:
            tags += 1
            if size != 64 or not _CROSSPLANE_TAG.fullmatch(body, position, position + size):
                return False
        position += size
    return tags == 1 and position == len(body)


def _varint(data: bytes, position: int) -> tuple[int, int]:
    result, shift = 0, 0
    while True:
        byte = data[position]
        position += 1
        result |= (byte & 0x7F) << shift
        if byte < 0x80:
            return result, position
        shift += 7
        if shift > 63:
            raise IndexError("varint too long")
