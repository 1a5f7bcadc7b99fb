"""A composed resource as Crossplane writes it (`composed_metadata`, which `paved render` shows
too) and as it reads it back from the API server and sends it to a function (`as_stored`).

Crossplane puts each observed composed resource into the request whole (`xfn.AsStruct` of the
object its client read, crossplane/crossplane internal/controller/apiextensions/composite
composition_functions.go `AsState`), so besides what the provider reports it carries what the API
server, Crossplane and the provider wrote into it:

- Crossplane's composed-resource metadata (`RenderComposedResourceMetadata`, composition_render.go):
  the `crossplane.io/composite` label (and the claim's labels), the XR as controller owner;
- the API server's: uid, generation, creationTimestamp, resourceVersion, and `managedFields`, one
  entry per field manager: Crossplane's server-side apply (`ComposedFieldOwnerName`: the fields the
  function composed), the provider's update of the object (annotations, finalizer) and of its
  status subresource;
- the provider's: the managed-resource finalizer and create annotations (crossplane-runtime),
  upjet's `upjet.crossplane.io/provider-meta`, `LastAsyncOperation` and `AsyncOperation`
  conditions and `tagsAll`, and the CRD's default `managementPolicies`;
- `observedGeneration` on conditions (crossplane-runtime's `Condition`).

The replay's observed resources leave all of this out (`functions.simulate.providers.observe`
keeps what Paved reads); `paved bench` sends it, because it is what Crossplane sends.
"""

from __future__ import annotations

import copy
import hashlib
import json
import uuid
from typing import Any

from functions.kit.composite import CLAIM_NAME_LABEL, CLAIM_NAMESPACE_LABEL
from functions.simulate.claims import uid
from functions.simulate.providers import TRANSITION_TIME
from functions.simulate.requests import COMPOSITION_RESOURCE_NAME

COMPOSITE_LABEL = "crossplane.io/composite"
MANAGED_FINALIZER = "finalizer.managedresource.crossplane.io"
PROVIDER_MANAGER = "provider"
# crossplane-runtime's managed reconciler, around creating the external resource (pkg/meta).
CREATE_ANNOTATIONS = (
    "crossplane.io/external-create-pending",
    "crossplane.io/external-create-succeeded",
)
# Provider groups built with upjet: its annotation (timeouts, schema version; "null" when there
# are none) and the conditions of its asynchronous operations.
UPJET_GROUP_SUFFIXES = (".upbound.io",)
PROVIDER_META = "upjet.crossplane.io/provider-meta"
UPJET_CONDITIONS = (("LastAsyncOperation", "Success"), ("AsyncOperation", "Finished"))


def composite_uid(xr: dict[str, Any]) -> str:
    """The XR's uid, else the deterministic one Crossplane's render engine gives it."""
    metadata = _metadata_of(xr)
    if metadata.get("uid"):
        return str(metadata["uid"])
    group, _, version = str(xr["apiVersion"]).rpartition("/")
    gvk = f"{group}/{version}, Kind={xr['kind']}"
    identity = f"{gvk}\x00{metadata.get('namespace') or ''}\x00{metadata['name']}"
    return str(uuid.uuid5(uuid.UUID(int=0), identity))


def composed_metadata(
    resource: dict[str, Any],
    xr: dict[str, Any],
    key: str,
    observed: dict[str, Any] | None,
) -> dict[str, Any]:
    """What Crossplane sets on a composed resource (RenderComposedResourceMetadata)."""
    resource = copy.deepcopy(resource)
    metadata = resource.setdefault("metadata", {})
    if observed is not None:
        for field_name in ("name", "namespace", "generateName"):
            value = _metadata_of(observed).get(field_name)
            if value:
                metadata[field_name] = value
    xr_metadata = _metadata_of(xr)
    xr_labels = xr_metadata.get("labels") or {}
    prefix = xr_labels.get(COMPOSITE_LABEL) or xr_metadata["name"]
    if not metadata.get("name") and not metadata.get("generateName"):
        metadata["generateName"] = f"{prefix}-"
    if xr_metadata.get("namespace"):
        metadata["namespace"] = xr_metadata["namespace"]
    metadata.setdefault("annotations", {})[COMPOSITION_RESOURCE_NAME] = key
    labels = metadata.setdefault("labels", {})
    labels[COMPOSITE_LABEL] = prefix
    claim_ref = (xr.get("spec") or {}).get("claimRef") or {}
    if xr_labels.get(CLAIM_NAME_LABEL) and xr_labels.get(CLAIM_NAMESPACE_LABEL):
        labels[CLAIM_NAME_LABEL] = xr_labels[CLAIM_NAME_LABEL]
        labels[CLAIM_NAMESPACE_LABEL] = xr_labels[CLAIM_NAMESPACE_LABEL]
    elif claim_ref:
        labels[CLAIM_NAME_LABEL] = claim_ref.get("name", "")
        labels[CLAIM_NAMESPACE_LABEL] = claim_ref.get("namespace", "")
    owner = {
        "apiVersion": xr["apiVersion"],
        "kind": xr["kind"],
        "name": xr_metadata["name"],
        "uid": composite_uid(xr),
        "controller": True,
        "blockOwnerDeletion": True,
    }
    others = [o for o in metadata.get("ownerReferences") or [] if o.get("uid") != owner["uid"]]
    metadata["ownerReferences"] = [*others, owner]
    return resource


def _metadata_of(document: dict[str, Any]) -> dict[str, Any]:
    metadata: dict[str, Any] = document.get("metadata") or {}
    return metadata


def as_stored(key: str, resource: dict[str, Any], composite: dict[str, Any]) -> dict[str, Any]:
    """Observed `resource` (composition resource `key` of `composite`) as the API server returns
    it."""
    composed = composed_metadata(resource, composite, key, resource)  # what Crossplane applied
    stored = copy.deepcopy(composed)
    metadata = stored["metadata"]
    labels, owner = metadata["labels"], metadata["ownerReferences"][-1]
    metadata.setdefault("uid", uid(str(metadata.get("namespace", "")), str(metadata.get("name"))))
    metadata["generation"] = 1
    metadata["creationTimestamp"] = TRANSITION_TIME
    metadata.setdefault("resourceVersion", "1")

    spec = stored.get("spec")
    managed = isinstance(spec, dict) and "forProvider" in spec
    if isinstance(spec, dict) and managed:
        spec.setdefault("managementPolicies", ["*"])
    upjet = str(stored.get("apiVersion", "")).partition("/")[0].endswith(UPJET_GROUP_SUFFIXES)
    provider_annotations: list[str] = []
    if managed:
        metadata["finalizers"] = [MANAGED_FINALIZER]
        annotations = metadata.setdefault("annotations", {})
        for annotation in CREATE_ANNOTATIONS:
            annotations[annotation] = TRANSITION_TIME
        provider_annotations = list(CREATE_ANNOTATIONS)
        if upjet:
            annotations[PROVIDER_META] = "null"
            provider_annotations.append(PROVIDER_META)
        if "crossplane.io/external-name" in annotations:
            provider_annotations.append("crossplane.io/external-name")
    status = stored.get("status")
    if isinstance(status, dict):
        at_provider = status.get("atProvider")
        if upjet and isinstance(at_provider, dict) and isinstance(at_provider.get("tags"), dict):
            at_provider["tagsAll"] = dict(at_provider["tags"])
        conditions = status.get("conditions")
        if isinstance(conditions, list):
            if upjet and managed:
                conditions += [
                    {
                        "type": type_,
                        "status": "True",
                        "reason": reason,
                        "lastTransitionTime": TRANSITION_TIME,
                    }
                    for type_, reason in UPJET_CONDITIONS
                ]
            for condition in conditions:
                if isinstance(condition, dict):
                    condition["observedGeneration"] = 1

    api_version = str(stored.get("apiVersion", ""))
    entries = [
        _managed_fields(
            api_version,
            _composed_field_owner(composite),
            "Apply",
            _composed_fields(composed, labels, owner),
        )
    ]
    if managed:
        provider_fields: dict[str, Any] = {
            "f:metadata": {
                "f:annotations": {f"f:{a}": {} for a in sorted(provider_annotations)},
                "f:finalizers": {".": {}, f'v:"{MANAGED_FINALIZER}"': {}},
            }
        }
        entries.append(_managed_fields(api_version, PROVIDER_MANAGER, "Update", provider_fields))
    if isinstance(status, dict):
        status_fields = {"f:status": {".": {}, **_field_set(status, list_keys={"conditions"})}}
        entries.append(
            _managed_fields(
                api_version, PROVIDER_MANAGER, "Update", status_fields, subresource="status"
            )
        )
    metadata["managedFields"] = entries
    return stored


def _composed_field_owner(composite: dict[str, Any]) -> str:
    """crossplane's ComposedFieldOwnerName: the prefix and sha256(name + GroupKind)."""
    api_version = str(composite.get("apiVersion", ""))
    group_kind = f"{composite.get('kind', '')}.{api_version.partition('/')[0]}"
    name = str((composite.get("metadata") or {}).get("name", ""))
    digest = hashlib.sha256((name + group_kind).encode()).hexdigest()
    return f"apiextensions.crossplane.io/composed/{digest}"


def _composed_fields(
    composed: dict[str, Any], labels: dict[str, str], owner: dict[str, Any]
) -> dict[str, Any]:
    """The fields Crossplane's server-side apply owns: what the function composed, plus the
    composed-resource metadata Crossplane renders."""
    metadata = composed.get("metadata") or {}
    fields: dict[str, Any] = {
        "f:metadata": {
            "f:annotations": {f"f:{k}": {} for k in sorted(metadata.get("annotations") or {})},
            "f:labels": {f"f:{k}": {} for k in sorted(labels)},
            "f:ownerReferences": {f'k:{{"uid":"{owner["uid"]}"}}': {}},
        }
    }
    for key, value in composed.items():
        if key not in ("apiVersion", "kind", "metadata", "status"):
            fields[f"f:{key}"] = _field_set(value) if isinstance(value, dict) else {}
    return fields


def _field_set(
    value: dict[str, Any], list_keys: frozenset[str] | set[str] = frozenset()
) -> dict[str, Any]:
    """A FieldsV1 set: every field of `value`, objects nested; lists named in `list_keys` are
    keyed by their elements' `type` (how conditions merge), other lists are atomic."""
    fields: dict[str, Any] = {}
    for key, inner in value.items():
        if isinstance(inner, dict):
            fields[f"f:{key}"] = {".": {}, **_field_set(inner)}
        elif key in list_keys and isinstance(inner, list):
            fields[f"f:{key}"] = {
                ".": {},
                **{
                    "k:" + json.dumps({"type": element.get("type")}, separators=(",", ":")): {
                        ".": {},
                        **{f"f:{field}": {} for field in element},
                    }
                    for element in inner
                    if isinstance(element, dict)
                },
            }
        else:
            fields[f"f:{key}"] = {}
    return fields


def _managed_fields(
    api_version: str,
    manager: str,
    operation: str,
    fields: dict[str, Any],
    *,
    subresource: str | None = None,
) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "apiVersion": api_version,
        "fieldsType": "FieldsV1",
        "fieldsV1": fields,
        "manager": manager,
        "operation": operation,
        "time": TRANSITION_TIME,
    }
    if subresource:
        entry["subresource"] = subresource
    return entry
