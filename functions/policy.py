"""Organisation policy: rules a platform team sets once per Composition, in the function's input.

A claim that breaks a rule gets one FATAL result naming every field at fault and the rule it
breaks; nothing is composed. Defaults fill what the developer left out before anything is checked.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Mapping
from typing import Any

from pydantic import Field

from functions.kit.blueprint import Blueprint, Measure
from functions.kit.composite import CLAIM_NAMESPACE_LABEL, Composite
from functions.kit.errors import ComposeError
from functions.kit.params import Model

PARAMETERS = "spec.parameters"


class RequiredTag(Model):
    key: str = Field(min_length=1, max_length=128, description="The tag key every XR must set.")
    values: list[str] = Field(
        default_factory=list, description="The values allowed for it; any value when empty."
    )


class NamespaceProviderConfigs(Model):
    namespace: str = Field(
        min_length=1,
        description="The team's namespace (the claim's or the namespaced XR's); globs like team-*.",
    )
    names: list[str] = Field(
        min_length=1, description="The provider configs XRs from this namespace may use."
    )


class Limits(Model):
    max_node_pools: int | None = Field(default=None, ge=0, description="Most node pools per XR.")
    max_nodes: int | None = Field(
        default=None, ge=0, description="Most nodes per XR, counting every pool's maxSize."
    )
    database_sizes: list[str] = Field(
        default_factory=list, description="The database sizes developers may pick; any when empty."
    )
    max_storage_gib: int | None = Field(
        default=None, ge=1, alias="maxStorageGiB", description="Most storage per XR (GiB)."
    )


class Defaults(Model):
    region: str | None = Field(default=None, description="The region when the XR sets none.")
    provider_config_name: str | None = Field(
        default=None, description="The provider config when the XR sets none."
    )
    parameters: dict[str, Any] = Field(
        default_factory=dict,
        json_schema_extra={"x-kubernetes-preserve-unknown-fields": True},
        description=(
            "Defaults for any spec.parameters field, merged under what the developer wrote "
            "(the developer's value wins). An object given for a list of objects applies to "
            "every item, e.g. nodePools: {instanceTypes: [m7g.large]}."
        ),
    )


class Policy(Model):
    """What developers may ask for through this Composition."""

    allowed_regions: list[str] = Field(
        default_factory=list, description="Regions XRs may use; any when empty."
    )
    allowed_provider_configs: list[str] = Field(
        default_factory=list,
        description="Provider configs (AWS accounts) any XR may use; any when empty and no "
        "namespace rule matches.",
    )
    provider_configs_by_namespace: list[NamespaceProviderConfigs] = Field(
        default_factory=list,
        description="Per team namespace, the provider configs its XRs may use (replaces "
        "allowedProviderConfigs for that namespace): a team can only use its own AWS account.",
    )
    required_tags: list[RequiredTag] = Field(
        default_factory=list, description="Tags every XR must set, optionally from a list."
    )
    tag_iam_principals: bool = Field(
        default=False,
        alias="tagIAMPrincipals",
        description="Copy developer tags onto IAM roles. Off: on a principal, tags act as "
        "principal tags for attribute-based access control, which developers must not steer.",
    )
    defaults: Defaults = Field(default_factory=Defaults, description="Defaults for XRs.")
    limits: Limits = Field(default_factory=Limits, description="Size limits per XR.")


def defaults_filler(policy: Policy) -> Callable[[dict[str, Any]], dict[str, Any]] | None:
    """What fills the policy's defaults into spec.parameters; None when it sets none."""
    defaults: dict[str, Any] = dict(policy.defaults.parameters)
    if policy.defaults.region is not None:
        defaults["region"] = policy.defaults.region
    if policy.defaults.provider_config_name is not None:
        defaults["providerConfigName"] = policy.defaults.provider_config_name
    if not defaults:
        return None

    def fill(parameters: dict[str, Any]) -> dict[str, Any]:
        merged: dict[str, Any] = _merge(defaults, parameters)
        return merged

    return fill


def _merge(default: Any, value: Any) -> Any:
    if isinstance(default, Mapping) and isinstance(value, Mapping):
        merged = dict(default)
        for key, item in value.items():
            merged[key] = _merge(default[key], item) if key in default else item
        return merged
    if isinstance(default, Mapping) and isinstance(value, list):
        return [_merge(default, item) if isinstance(item, Mapping) else item for item in value]
    return value


def team_namespace(xr: Composite[Any]) -> str | None:
    """The namespace a developer works in: the XR's, or the claim's in claim mode."""
    return xr.namespace or xr.labels.get(CLAIM_NAMESPACE_LABEL)


def violations(xr: Composite[Any], blueprint: Blueprint[Any], policy: Policy) -> list[str]:
    """Every rule `xr` breaks, each naming the field and the rule."""
    found: list[str] = []
    p = xr.params
    if policy.allowed_regions and p.region not in policy.allowed_regions:
        found.append(
            f"{PARAMETERS}.region: {p.region} is not allowed by the Composition's policy "
            f"allowedRegions ({', '.join(policy.allowed_regions)})"
        )
    allowed, rule = _provider_configs(policy, team_namespace(xr))
    if allowed and p.provider_config_name not in allowed:
        found.append(
            f"{PARAMETERS}.providerConfigName: {p.provider_config_name} is not allowed by the "
            f"Composition's policy {rule} ({', '.join(allowed)})"
        )
    for tag in policy.required_tags:
        value = p.tags.get(tag.key)
        if value is None:
            found.append(
                f"{PARAMETERS}.tags: the Composition's policy requiredTags needs tag {tag.key!r}"
                + (f" (one of {', '.join(tag.values)})" if tag.values else "")
            )
        elif tag.values and value not in tag.values:
            found.append(
                f"{PARAMETERS}.tags.{tag.key}: {value!r} is not allowed by the Composition's "
                f"policy requiredTags (one of {', '.join(tag.values)})"
            )
    measures = blueprint.measure(p) if blueprint.measure is not None else {}
    found += _limits(measures, policy.limits)
    return found


def _provider_configs(policy: Policy, namespace: str | None) -> tuple[list[str], str]:
    if namespace is not None:
        for rule in policy.provider_configs_by_namespace:
            if fnmatch.fnmatchcase(namespace, rule.namespace):
                return rule.names, f"providerConfigsByNamespace[{rule.namespace}]"
    return policy.allowed_provider_configs, "allowedProviderConfigs"


def _limits(measures: Mapping[str, Measure], limits: Limits) -> list[str]:
    found = []
    ceilings = {
        "nodePools": (limits.max_node_pools, "maxNodePools"),
        "nodes": (limits.max_nodes, "maxNodes"),
        "storageGiB": (limits.max_storage_gib, "maxStorageGiB"),
    }
    for name, (ceiling, rule) in ceilings.items():
        measure = measures.get(name)
        if ceiling is not None and measure is not None and int(measure.value) > ceiling:
            found.append(
                f"{measure.field}: {measure.value} is over the Composition's policy limit "
                f"limits.{rule} ({ceiling})"
            )
    size = measures.get("databaseSize")
    if limits.database_sizes and size is not None and size.value not in limits.database_sizes:
        found.append(
            f"{size.field}: {size.value} is not allowed by the Composition's policy "
            f"limits.databaseSizes ({', '.join(limits.database_sizes)})"
        )
    return found


def enforce(xr: Composite[Any], blueprint: Blueprint[Any], policy: Policy) -> None:
    found = violations(xr, blueprint, policy)
    if found:
        raise ComposeError("", "; ".join(found))
