"""Deterministic, DNS-safe names.

A composed resource's name is part of its identity: if it changes, Crossplane deletes the old
resource and creates a new one. Everything here is a pure function of its arguments.
"""

from __future__ import annotations

import functools
import hashlib
import re

DNS_LABEL_MAX = 63
_HASH_LEN = 6
_UNSAFE = re.compile(r"[^a-z0-9-]+")


def short_hash(*parts: str, length: int = _HASH_LEN) -> str:
    return hashlib.sha256("/".join(parts).encode()).hexdigest()[:length]


# Memoised: a compose asks for the same few dozen names several times each, every reconcile.
@functools.lru_cache(maxsize=16384)
def dns_label(*parts: str, max_len: int = DNS_LABEL_MAX) -> str:
    """Join parts into a lowercase DNS label; too long, and a hash of the whole keeps it unique.

    >>> dns_label("my-bucket-x7k2p", "kms-key")
    'my-bucket-x7k2p-kms-key'
    """
    joined = "-".join(p for p in parts if p)
    name = _UNSAFE.sub("-", joined.lower()).strip("-")
    name = re.sub("-{2,}", "-", name)
    if len(name) <= max_len and name == joined:
        return name
    # Sanitised or truncated: add a hash of the original so two inputs can't collapse together.
    digest = short_hash(joined)
    prefix = name[: max_len - _HASH_LEN - 1].rstrip("-")
    return f"{prefix}-{digest}" if prefix else digest
