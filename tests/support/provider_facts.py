"""The provider facts oracle (../shared/provider-facts/facts.yaml), as the tests ask it."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import yaml

FACTS = Path(__file__).resolve().parents[2].parent / "shared" / "provider-facts" / "facts.yaml"


def available() -> bool:
    return FACTS.is_file()


@functools.cache
def _facts() -> dict[str, Any]:
    return yaml.safe_load(FACTS.read_text())


def kind_facts(resource: dict[str, Any]) -> dict[str, Any] | None:
    """The facts about a composed resource's kind (`<group>/<Kind>`), None for kinds not covered."""
    group = str(resource.get("apiVersion", "")).split("/")[0]
    facts = _facts().get(f"{group}/{resource.get('kind')}")
    return facts if isinstance(facts, dict) else None


def external_name_kind(resource: dict[str, Any]) -> str | None:
    facts = kind_facts(resource)
    return None if facts is None else str(facts["external_name"]["kind"])


def sets_external_name(resource: dict[str, Any]) -> bool:
    """Whether a composer must choose the external name (the AWS name) of this kind: true for
    NameAsIdentifier and ParameterAsIdentifier, false where the provider assigns the id."""
    kind = external_name_kind(resource) or ""
    return kind.startswith(("NameAsIdentifier", "ParameterAsIdentifier"))


def immutable_fields(resource: dict[str, Any]) -> list[str]:
    """`forProvider.x.y` paths (and the external-name annotation) that can never change."""
    facts = kind_facts(resource)
    if facts is None:
        return []
    return [
        entry["field"]
        for entry in facts["immutable_fields"]["fields"]
        if not entry["field"].startswith("(")
    ]


def field_value(resource: dict[str, Any], path: str) -> Any:
    """The value at an oracle path (`forProvider.a.b` or the external-name annotation)."""
    if path.startswith("metadata.annotations["):
        name = path[len("metadata.annotations[") : -1]
        return ((resource.get("metadata") or {}).get("annotations") or {}).get(name)
    value: Any = resource.get("spec") or {}
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def name_scope(resource: dict[str, Any]) -> str | None:
    facts = kind_facts(resource)
    return None if facts is None else str(facts["name_scope"]["scope"])
