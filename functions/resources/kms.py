"""KMS keys for encryption at rest (buckets, databases, EKS secrets), and the rule that keeps a
composed key alive for as long as anything encrypted with it exists.

The rule: a composed key is used (a Crossplane Usage) by the resource it encrypts, so Crossplane
cannot delete the key while that resource exists; and where data encrypted with it outlives that
resource (a database's final snapshot and retained automated backups), the key is orphaned:
deleting the XR leaves it in AWS.
"""

from typing import Any

from functions.kit import Composite, Kind
from functions.kit.shapes import DeletionPolicy
from functions.resources.kinds import KMS_KEY, USAGE

# The longest window AWS allows: a key deleted by mistake can be restored for 30 days.
DELETION_WINDOW_DAYS = 30


def key(
    xr: Composite[Any], key: str, description: str, *, outlives_xr: bool = False
) -> dict[str, Any]:
    """A symmetric customer-managed key with yearly rotation.

    `outlives_xr`: data encrypted with it can outlive the XR, so deleting the XR leaves the key
    (deletionPolicy Orphan, or managementPolicies without Delete in namespaced mode).
    """
    policy: DeletionPolicy | None = "Orphan" if outlives_xr else None
    return xr.shape.managed(
        KMS_KEY,
        xr.resource_name(key),
        {
            "region": xr.params.region,
            "description": description,
            "enableKeyRotation": True,
            "deletionWindowInDays": DELETION_WINDOW_DAYS,
            "tags": xr.tags(),
        },
        deletion_policy=policy,
    )


def key_usage(
    xr: Composite[Any], usage_key: str, key: str, user: tuple[Kind, str]
) -> dict[str, Any]:
    """A Usage holding back the deletion of composed key `key` while `user` (kind, composition
    resource name) exists: what it encrypts must never become unreadable."""

    def ref(kind: Kind, resource_key: str) -> dict[str, Any]:
        return {
            "apiVersion": xr.shape.api_version(kind),
            "kind": xr.shape.kind_name(kind),
            "resourceRef": {"name": xr.resource_name(resource_key)},
        }

    return xr.shape.plain(
        USAGE,
        xr.resource_name(usage_key),
        # replayDeletion: once the user is gone, the key's blocked deletion is retried at once.
        {"spec": {"of": ref(KMS_KEY, key), "by": ref(*user), "replayDeletion": True}},
    )
