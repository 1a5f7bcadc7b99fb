"""Memoised responses: a bounded LRU of serialized responses, keyed by request digests."""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass

from crossplane.function.proto.v1 import run_function_pb2 as fnv1


@dataclass(frozen=True)
class Cached:
    tag: str
    response: bytes
    blueprint: str
    severity: str


class ResponseCache:
    """A bounded LRU of serialized responses, keyed by digests of requests.

    Two keys lead to an entry: the digest of the raw request bytes (a byte-identical repeat is
    answered without parsing anything), and the digest of the request re-serialized
    deterministically without its tag (senders such as Go's protobuf order map entries
    differently from one call to the next, and the tag does not change the output).
    """

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._entries: OrderedDict[bytes, Cached] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: bytes) -> Cached | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
            return entry

    def put(self, key: bytes, entry: Cached) -> None:
        size = len(entry.response) + len(key)
        if size > self.max_bytes:
            return
        with self._lock:
            previous = self._entries.pop(key, None)
            if previous is not None:
                self._bytes -= len(previous.response) + len(key)
            self._entries[key] = entry
            self._bytes += size
            while self._bytes > self.max_bytes:
                old_key, old = self._entries.popitem(last=False)
                self._bytes -= len(old.response) + len(old_key)

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def size_bytes(self) -> int:
        return self._bytes


def digest(domain: bytes, data: bytes) -> bytes:
    return hashlib.sha256(domain + b"\0" + data).digest()


def retag(response: bytes, tag: str) -> bytes:
    rsp = fnv1.RunFunctionResponse.FromString(response)
    rsp.meta.tag = tag
    return rsp.SerializeToString(deterministic=True)
