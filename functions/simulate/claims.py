"""What Crossplane does between a claim and the function: claim -> XR, and connection secrets.

Follows crossplane/crossplane (internal/controller/apiextensions/claim/syncer_ssa.go,
composite/api.go, claim/connection.go and claim/reconciler.go) and crossplane-runtime's
pkg/xcrd/schemas.go:

- The claim controller creates the XR named `<claim>-<5 random chars>`, with the claim's labels
  and annotations (minus `*kubernetes.io`/`*k8s.io` ones) plus the claim-name/namespace labels, and
  the claim's spec minus the claim's and the XR's machinery fields. `writeConnectionSecretToRef` is
  one of them: the claim's ref is never copied to the XR.
- The XR controller (APIConfigurator) sets the XR's `writeConnectionSecretToRef` to
  `{name: <XR uid>, namespace: <Composition spec.writeConnectionSecretsToNamespace>}` when the XR
  has none and the Composition names a namespace; without it the XR publishes no connection secret.
- The XR's Secret holds the pipeline's desired composite connection details, only the keys the
  XRD lists in `connectionSecretKeys` (all when it lists none); Crossplane reads that Secret back
  into the next request's observed composite connection details.
- The claim controller copies that Secret's data to a Secret named after the claim's
  `writeConnectionSecretToRef` in the claim's namespace, and only once the XR is Ready.
"""

from __future__ import annotations

import copy
import uuid
from dataclasses import dataclass
from typing import Any

from functions.kit.composite import CLAIM_NAME_LABEL, CLAIM_NAMESPACE_LABEL
from functions.kit.names import short_hash

# xcrd.CompositeResourceClaimSpecProps + CompositeResourceSpecProps(LegacyCluster) minus
# xcrd.PropagateSpecProps (compositionRef, compositionSelector, compositionUpdatePolicy,
# compositionRevisionSelector): the spec fields the claim controller does not copy to the XR.
NOT_PROPAGATED_SPEC_FIELDS = frozenset(
    {
        "compositionRevisionRef",  # propagated only with compositionUpdatePolicy: Manual
        "compositeDeletePolicy",
        "resourceRef",
        "writeConnectionSecretToRef",
        "resourceRefs",
        "claimRef",
    }
)


def _without_reserved(entries: dict[str, str] | None) -> dict[str, str]:
    """claim/object.go withoutReservedK8sEntries: no `*kubernetes.io/` or `*k8s.io/` keys."""
    kept = {}
    for key, value in (entries or {}).items():
        prefix = key.split("/")[0]
        if not prefix.endswith(("kubernetes.io", "k8s.io")):
            kept[key] = value
    return kept


def xr_name(claim_name: str, claim_namespace: str) -> str:
    """The generated name (`generateName: <claim>-`), stable here so replays are deterministic."""
    return f"{claim_name}-{short_hash(claim_namespace, claim_name, length=5)}"


def uid(*parts: str) -> str:
    """A deterministic UID, shaped like the API server's."""
    return str(uuid.UUID(hex=short_hash("uid", *parts, length=32)))


def claim_to_xr(claim: dict[str, Any], composition: dict[str, Any] | None = None) -> dict[str, Any]:
    """The cluster-scoped XR as the function sees it for `claim` (kind Bucket -> XBucket).

    `composition` is the Composition selected for it (Paved's generated one by default): its
    `spec.writeConnectionSecretsToNamespace` decides where the XR's connection secret goes.
    """
    metadata = claim.get("metadata") or {}
    name = metadata.get("name", "claim")
    namespace = metadata.get("namespace", "default")
    kind = "X" + str(claim.get("kind"))
    claim_spec = claim.get("spec") or {}
    not_propagated = set(NOT_PROPAGATED_SPEC_FIELDS)
    if claim_spec.get("compositionUpdatePolicy") == "Manual":
        not_propagated.discard("compositionRevisionRef")  # the claim is authoritative then
    spec = {
        key: copy.deepcopy(value) for key, value in claim_spec.items() if key not in not_propagated
    }
    spec["claimRef"] = {
        "apiVersion": claim.get("apiVersion"),
        "kind": claim.get("kind"),
        "name": name,
        "namespace": namespace,
    }
    xr_metadata: dict[str, Any] = {
        "name": xr_name(name, namespace),
        "uid": uid(kind, xr_name(name, namespace)),
        "labels": {
            **_without_reserved(metadata.get("labels")),
            CLAIM_NAME_LABEL: name,
            CLAIM_NAMESPACE_LABEL: namespace,
        },
    }
    annotations = _without_reserved(metadata.get("annotations"))
    if annotations:
        xr_metadata["annotations"] = annotations
    xr = {
        "apiVersion": claim.get("apiVersion"),
        "kind": kind,
        "metadata": xr_metadata,
        "spec": spec,
    }
    return configure_xr(xr, composition if composition is not None else _paved_composition(kind))


def configure_xr(xr: dict[str, Any], composition: dict[str, Any] | None) -> dict[str, Any]:
    """composite/api.go APIConfigurator: the XR's connection secret ref from the Composition."""
    namespace = ((composition or {}).get("spec") or {}).get("writeConnectionSecretsToNamespace")
    spec = xr.setdefault("spec", {})
    if namespace and not spec.get("writeConnectionSecretToRef"):
        spec["writeConnectionSecretToRef"] = {"name": xr["metadata"]["uid"], "namespace": namespace}
    return xr


def as_xr(document: dict[str, Any], claim_kinds: set[str]) -> dict[str, Any]:
    """A claim becomes its XR; an XR is taken as it is."""
    return claim_to_xr(document) if document.get("kind") in claim_kinds else document


def _paved_composition(xr_kind: str) -> dict[str, Any] | None:
    from functions.blueprints import BLUEPRINTS
    from functions.generate import composition

    blueprint = BLUEPRINTS.get(xr_kind)
    return composition(blueprint) if blueprint is not None else None


def connection_secret_keys(xr_kind: str) -> tuple[str, ...]:
    """The claim-mode XRD's `spec.connectionSecretKeys` for a Paved XR kind (empty: all keys)."""
    from functions.blueprints import BLUEPRINTS
    from functions.generate import xrd

    blueprint = BLUEPRINTS.get(xr_kind)
    if blueprint is None:
        return ()
    return tuple(xrd(blueprint, namespaced=False)["spec"].get("connectionSecretKeys") or ())


@dataclass(frozen=True)
class SecretRef:
    namespace: str
    name: str


def xr_secret_ref(xr: dict[str, Any]) -> SecretRef | None:
    ref = (xr.get("spec") or {}).get("writeConnectionSecretToRef") or {}
    if not ref.get("name") or not ref.get("namespace"):
        return None
    return SecretRef(ref["namespace"], ref["name"])


def claim_secret_ref(claim: dict[str, Any]) -> SecretRef | None:
    ref = (claim.get("spec") or {}).get("writeConnectionSecretToRef") or {}
    namespace = (claim.get("metadata") or {}).get("namespace", "default")
    return SecretRef(namespace, ref["name"]) if ref.get("name") else None


def published(details: dict[str, bytes], keys: tuple[str, ...]) -> dict[str, bytes]:
    """APIFilteredSecretPublisher: only the XRD's connectionSecretKeys, all when it has none."""
    return {k: v for k, v in details.items() if not keys or k in keys}
