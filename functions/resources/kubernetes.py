"""provider-kubernetes Objects: a manifest applied to a cluster through a ProviderConfig."""

from __future__ import annotations

from typing import Any

from functions.kit import Composite, DeletionPolicy, ProviderConfigRef
from functions.resources.kinds import KUBERNETES_OBJECT


def kubernetes_object(
    xr: Composite[Any],
    key: str,
    manifest: dict[str, Any],
    provider_config: str | ProviderConfigRef,
    *,
    deletion_policy: DeletionPolicy | None = None,
    **extra_spec: Any,
) -> dict[str, Any]:
    """An Object applying `manifest` through `provider_config` (a name: the ProviderConfig of
    that name).

        `extra_spec` adds Object fields beside forProvider (readiness, managementPolicies,
        connectionDetails, writeConnectionSecretToRef).
    """
    return xr.shape.managed(
        KUBERNETES_OBJECT,
        xr.resource_name(key),
        {"manifest": manifest},
        provider_config=ProviderConfigRef(provider_config, "ProviderConfig")
        if isinstance(provider_config, str)
        else provider_config,
        deletion_policy=deletion_policy,
        # Fields left None are not set.
        extra_spec={k: v for k, v in extra_spec.items() if v is not None} or None,
    )
