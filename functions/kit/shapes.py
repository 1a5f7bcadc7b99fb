"""What differs between the two Crossplane modes, in one place.

- Claim mode (cluster-scoped XR): cluster-scoped managed resources in `<svc>.aws.upbound.io` at
  their storage version, `providerConfigRef: {name}`, `spec.deletionPolicy`.
- Namespaced mode (XRD v2, namespaced XR): `<svc>.aws.m.upbound.io/v1beta1` in the XR's namespace,
  `providerConfigRef: {kind, name}`, no `deletionPolicy` (Orphan is expressed through
  managementPolicies instead).

Blueprints never ask which mode they are in: they describe a resource once and the Shape renders it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

DeletionPolicy = Literal["Delete", "Orphan"]

# Everything but Delete: the provider manages the resource but leaves it in AWS when it goes.
ORPHAN_MANAGEMENT_POLICIES = ["Observe", "Create", "Update", "LateInitialize"]


@dataclass(frozen=True)
class Kind:
    """A composable kind, with its apiVersion in each mode."""

    kind: str
    cluster_api_version: str
    namespaced_api_version: str
    # Set when the namespaced form is a different kind (e.g. ClusterUsage vs Usage).
    namespaced_kind: str | None = None


def aws(service: str, kind: str, storage_version: str) -> Kind:
    """An Upbound AWS kind: cluster-scoped at its storage version, namespaced `.m.` at v1beta1.

    The `.m.` v1beta1 schemas have the shape of the newest cluster-scoped version, so one spec
    serves both modes.
    """
    return Kind(
        kind, f"{service}.aws.upbound.io/{storage_version}", f"{service}.aws.m.upbound.io/v1beta1"
    )


def crossplane_contrib(
    group: str, kind: str, cluster_version: str, namespaced_version: str
) -> Kind:
    return Kind(
        kind,
        f"{group}.crossplane.io/{cluster_version}",
        f"{group}.m.crossplane.io/{namespaced_version}",
    )


@dataclass(frozen=True)
class ProviderConfigRef:
    name: str
    # Only meaningful in namespaced mode, where the reference names a kind.
    kind: str = "ClusterProviderConfig"


@dataclass(frozen=True)
class Shape:
    namespaced: bool
    namespace: str | None
    provider_config: ProviderConfigRef
    deletion_policy: DeletionPolicy = "Delete"

    def api_version(self, kind: Kind) -> str:
        return kind.namespaced_api_version if self.namespaced else kind.cluster_api_version

    def kind_name(self, kind: Kind) -> str:
        return (kind.namespaced_kind or kind.kind) if self.namespaced else kind.kind

    def metadata(
        self,
        name: str,
        *,
        labels: dict[str, str] | None = None,
        annotations: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        metadata: dict[str, Any] = {"name": name}
        if self.namespaced:
            metadata["namespace"] = self.namespace
        if labels:
            metadata["labels"] = labels
        if annotations:
            metadata["annotations"] = annotations
        return metadata

    def provider_config_ref(self, ref: ProviderConfigRef | None = None) -> dict[str, str]:
        ref = ref or self.provider_config
        if self.namespaced:
            return {"kind": ref.kind, "name": ref.name}
        return {"name": ref.name}

    def secret_ref(self, name: str, key: str) -> dict[str, str]:
        """A key of a Secret the provider writes, e.g. a generated password (passwordSecretRef)."""
        if self.namespaced:
            return {"name": name, "key": key}
        return {"name": name, "namespace": CONNECTION_SECRET_NAMESPACE, "key": key}

    def ref(self, name: str) -> dict[str, str]:
        """A reference to another composed resource by its metadata.name (same namespace)."""
        return {"name": name}

    def managed(
        self,
        kind: Kind,
        name: str,
        for_provider: dict[str, Any],
        *,
        init_provider: dict[str, Any] | None = None,
        external_name: str | None = None,
        labels: dict[str, str] | None = None,
        connection_secret: str | None = None,
        provider_config: ProviderConfigRef | None = None,
        deletion_policy: DeletionPolicy | None = None,
        extra_spec: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """A managed resource of `kind` rendered for this mode."""
        annotations = {"crossplane.io/external-name": external_name} if external_name else None
        spec: dict[str, Any] = {"forProvider": for_provider}
        if init_provider:
            spec["initProvider"] = init_provider
        spec["providerConfigRef"] = self.provider_config_ref(provider_config)
        policy = deletion_policy or self.deletion_policy
        if self.namespaced:
            if policy == "Orphan":
                spec["managementPolicies"] = list(ORPHAN_MANAGEMENT_POLICIES)
        else:
            spec["deletionPolicy"] = policy
        if connection_secret:
            secret_ref = {"name": connection_secret}
            if not self.namespaced:
                secret_ref["namespace"] = CONNECTION_SECRET_NAMESPACE
            spec["writeConnectionSecretToRef"] = secret_ref
        if extra_spec:
            spec.update(extra_spec)
        return {
            "apiVersion": self.api_version(kind),
            "kind": self.kind_name(kind),
            "metadata": self.metadata(name, labels=labels, annotations=annotations),
            "spec": spec,
        }

    def plain(
        self, kind: Kind, name: str, body: dict[str, Any], *, labels: dict[str, str] | None = None
    ) -> dict[str, Any]:
        """A resource that is not a managed resource (ProviderConfig, Usage, Secret...)."""
        return {
            "apiVersion": self.api_version(kind),
            "kind": self.kind_name(kind),
            "metadata": self.metadata(name, labels=labels),
            **body,
        }


# Where cluster-scoped managed resources write their connection secrets in claim mode. Crossplane
# reads them back into the request's observed connection details; nobody else should need them.
CONNECTION_SECRET_NAMESPACE = "crossplane-system"
