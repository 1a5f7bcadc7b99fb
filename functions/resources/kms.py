"""KMS keys for encryption at rest (buckets, databases, EKS secrets), and the rule that keeps a
composed key alive for as long as anything encrypted with it exists.

The rule: the resource a composed key encrypts uses it (`out.add(..., uses=["kms-key"])`, a
Crossplane Usage), so Crossplane cannot delete the key while that resource exists; and where data
encrypted with it outlives that resource (a database's final snapshot and retained automated
backups), the key is orphaned (`outlives_xr=True`): deleting the XR leaves it in AWS.
"""

from typing import Any

from functions.kit import Composite, DeletionPolicy
from functions.resources.kinds import KMS_KEY

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
