"""KMS keys for encryption at rest (buckets, databases, EKS secrets)."""

from typing import Any

from functions.kit.composite import Composite
from functions.resources.kinds import KMS_KEY

# The longest window AWS allows: a key deleted by mistake can be restored for 30 days.
DELETION_WINDOW_DAYS = 30


def key(xr: Composite[Any], key: str, description: str) -> dict[str, Any]:
    """A symmetric customer-managed key with yearly rotation."""
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
    )
