"""The provider-facts oracle (`../shared/provider-facts/facts.yaml`), read for the tests.

Per AWS kind: how the external name is used, where the AWS name must be unique, which fields
force a replacement (that upjet refuses: the managed resource is stuck `Synced=False` forever).
Only what the tests need, typed; every fact in the file carries its source. Ask it by kind
(`kind_facts(api_version, kind)`) or for a composed resource (`facts_of(resource)`).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

EXTERNAL_NAME_FIELD = "metadata.annotations[crossplane.io/external-name]"


def _default_facts_file() -> Path:
    configured = os.environ.get("PAVED_PROVIDER_FACTS")
    if configured:
        return Path(configured).expanduser().resolve()
    repo_root = Path(__file__).resolve().parents[2]
    return (repo_root.parent / "shared" / "provider-facts" / "facts.yaml").resolve()


FACTS_FILE = _default_facts_file()


def facts_available() -> bool:
    return FACTS_FILE.is_file()


# Replacement forced only under a condition (immutable_fields.conditional), as predicates over
# (observed spec value, desired spec value, observed forProvider). Conditions the oracle states
# that no Paved resource can meet are absent: such a change counts as forcing replacement.
Condition = Callable[[Any, Any, dict[str, Any]], bool]
CONDITIONS: dict[tuple[str, str], Condition] = {
    # "diff.ForceNew('instance_tenancy') unless the change is dedicated -> default"
    ("VPC", "forProvider.instanceTenancy"): lambda old, new, _: (
        (old, new) != ("dedicated", "default")
    ),
    # "ForceNew('cidr_block') on change (cleared instead when ipv4_netmask_length is set)"
    ("VPC", "forProvider.cidrBlock"): lambda old, new, observed: (
        not observed.get("ipv4NetmaskLength")
    ),
    # "replacement when ipv6_cidr_block changes and the old assign_ipv6_address_on_creation was
    # true"
    ("Subnet", "forProvider.ipv6CidrBlock"): lambda old, new, observed: bool(
        observed.get("assignIpv6AddressOnCreation")
    ),
    # "replacement when encryption_config is removed (old has 1 element, new 0)"
    ("Cluster", "forProvider.encryptionConfig"): lambda old, new, _: bool(old) and not new,
}


@dataclass(frozen=True)
class ImmutableField:
    path: str  # relative to spec (forProvider.x.y), or EXTERNAL_NAME_FIELD
    condition: str | None = None  # the oracle's words, for conditional ones

    def forces_replacement(
        self, kind: str, old: Any, new: Any, observed_for_provider: dict[str, Any]
    ) -> bool:
        if old == new:
            return False
        if self.condition is None:
            return True
        predicate = CONDITIONS.get((kind, self.path))
        return predicate(old, new, observed_for_provider) if predicate else True


@dataclass(frozen=True)
class Reference:
    field: str  # forProvider.kmsKeyId, the field it fills
    ref_field: str  # forProvider.kmsKeyIdRef
    selector_field: str
    target: str  # kms.aws.upbound.io/v1beta1/Key
    extracts: str
    mismatch: bool  # the extracted value is not what the field expects
    note: str


@dataclass(frozen=True)
class KindFacts:
    key: str  # <group>/<Kind>
    external_name_kind: str
    annotation_value: str
    name_scope: str
    immutable: tuple[ImmutableField, ...]
    references: tuple[Reference, ...] = ()

    @property
    def kind(self) -> str:
        return self.key.rsplit("/", 1)[1]

    @property
    def named_by_external_name(self) -> bool:
        """The AWS name is the external-name annotation, `metadata.name` when unset (upjet's
        name initializer): NameAsIdentifier, ParameterAsIdentifier and templated kinds that keep
        the initializer."""
        return "defaults to metadata.name" in self.annotation_value

    @property
    def composer_sets_external_name(self) -> bool:
        """The composition must choose the AWS name (NameAsIdentifier, ParameterAsIdentifier):
        left unset, the provider would name the resource after its `metadata.name`."""
        return self.external_name_kind.startswith(("NameAsIdentifier", "ParameterAsIdentifier"))

    @property
    def unconditionally_immutable(self) -> tuple[str, ...]:
        """The paths of the fields that force a replacement on any change."""
        return tuple(field.path for field in self.immutable if field.condition is None)

    @property
    def annotation_set_by_provider(self) -> bool:
        """IdentifierFromProvider-like: the provider writes the id; a composition must not."""
        return not self.named_by_external_name

    @property
    def unique_beyond_parent(self) -> bool:
        """The AWS name must be unique in the account, the region or the world."""
        return self.name_scope.startswith(("account", "global"))


@functools.cache
def _facts() -> dict[str, Any]:
    return yaml.load(FACTS_FILE.read_text(), Loader=yaml.CSafeLoader)


def _kind_facts(key: str, entry: dict[str, Any]) -> KindFacts:
    immutable = entry.get("immutable_fields") or {}
    fields = [
        ImmutableField(item["field"])
        for item in immutable.get("fields") or []
        if not item["field"].startswith("(")  # "(omitted from the CRD: name_prefix)"
    ]
    fields += [
        ImmutableField(item["field"], item.get("condition", ""))
        for item in immutable.get("conditional") or []
    ]
    external_name = entry.get("external_name") or {}
    references = tuple(
        Reference(
            field=str(ref.get("field", "")),
            ref_field=str(ref.get("ref_field", "")),
            selector_field=str(ref.get("selector_field", "")),
            target=str(ref.get("target", "")),
            extracts=str(ref.get("extracts", "")),
            mismatch=bool(ref.get("mismatch")),
            note=str(ref.get("note", "")),
        )
        for ref in (entry.get("reference_fields") or {}).get("refs") or []
    )
    return KindFacts(
        references=references,
        key=key,
        external_name_kind=str(external_name.get("kind", "")),
        annotation_value=str(external_name.get("annotation_value", "")),
        name_scope=str((entry.get("name_scope") or {}).get("scope", "")),
        immutable=tuple(fields),
    )


@functools.cache
def kind_facts(api_version: str, kind: str) -> KindFacts | None:
    """Facts for a composed resource's kind (either mode); None for kinds the oracle lacks
    (provider-helm, provider-kubernetes, Crossplane's own)."""
    key = f"{api_version.rpartition('/')[0]}/{kind}"
    entry = _facts().get(key)
    return _kind_facts(key, entry) if isinstance(entry, dict) else None


def facts_of(resource: dict[str, Any]) -> KindFacts | None:
    """Facts for a composed resource's kind; None for kinds the oracle lacks."""
    return kind_facts(str(resource.get("apiVersion", "")), str(resource.get("kind", "")))


def field_value(resource: dict[str, Any], path: str) -> Any:
    """The value at an oracle path (`forProvider.a.b`, or EXTERNAL_NAME_FIELD), mapping over
    lists (v1beta1 kinds nest blocks in lists); None where the path is absent."""
    if path == EXTERNAL_NAME_FIELD:
        metadata = resource.get("metadata") or {}
        return (metadata.get("annotations") or {}).get("crossplane.io/external-name")
    return _value_at(resource.get("spec") or {}, path.split("."))


def _value_at(node: Any, parts: list[str]) -> Any:
    if not parts:
        return node
    if isinstance(node, list):
        return [_value_at(item, parts) for item in node]
    if not isinstance(node, dict):
        return None
    return _value_at(node.get(parts[0]), parts[1:])


def misplaced_external_names(resources: dict[str, dict[str, Any]]) -> list[str]:
    """The composed resources (by key) that set the external-name annotation where the provider
    does not expect the composition to, or leave it unset where it does."""
    misplaced = []
    for key, resource in resources.items():
        facts = facts_of(resource)
        if facts is None:
            continue  # Secret, Usage, provider-helm, provider-kubernetes: no AWS name
        annotated = field_value(resource, EXTERNAL_NAME_FIELD) is not None
        if annotated != facts.composer_sets_external_name:
            misplaced.append(f"{key} ({facts.external_name_kind})")
    return misplaced


def crossplane_facts() -> dict[str, Any]:
    return dict(_facts()["_crossplane"])
