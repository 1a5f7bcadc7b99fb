"""AWS names unique per XR: what a composed resource is called in AWS when AWS, not Kubernetes,
decides uniqueness (per account, per region, or world-wide for S3 buckets).

A composed resource's metadata.name is unique only within its namespace, and joining namespace and
name with a hyphen is ambiguous (`team-a`/`b` and `team`/`a-b`). So in namespaced mode the AWS name
carries a short hash of namespace and name. In claim mode the XR name Crossplane generates for the
claim (`<claim>-<hash>`) is already unique in the control plane and is used as it is, so names
composed before this rule existed are unchanged.

Every caller keeps the name it observes on a resource that exists: these functions name new
resources only.
"""

from __future__ import annotations

from typing import Any

from functions.kit import Composite, dns_label, short_hash

# The annotation holding a managed resource's external name: its AWS name, for the kinds named
# by it (NameAsIdentifier and friends), or the id the provider reads back.
EXTERNAL_NAME = "crossplane.io/external-name"


def kept_external_name(xr: Composite[Any], key: str, new_name: str) -> str:
    """The AWS name of the resource composed as `key`: the one it has once it exists (it cannot
    be renamed), else `new_name`."""
    observed = xr.observed.get(key)
    name = observed.text("metadata", "annotations", EXTERNAL_NAME) if observed is not None else None
    return name or new_name


def unique_base(xr: Composite[Any], max_len: int = 63) -> str:
    """A DNS-label name for this XR, unique per namespace and name, at most `max_len` long."""
    if xr.namespace is None:
        return xr.aws_name(max_len)
    return dns_label(xr.namespace, xr.name, short_hash(xr.namespace, xr.name), max_len=max_len)


def starting_with_a_letter(name: str, prefix: str, max_len: int = 63) -> str:
    """`name`, or `<prefix>-name` (shortened with a hash if needed) when it does not start with a
    letter, as RDS identifiers and group names must."""
    return name if name[:1].isalpha() else dns_label(prefix, name, max_len=max_len)
