"""OpenAPI schemas made strict (unknown fields rejected), defaulting, and the checks jsonschema
cannot do: embedded resources, list-type set/map uniqueness, CEL rules."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import jsonschema
from jsonschema.exceptions import ValidationError
from jsonschema.protocols import Validator

from support.crds.cel import Rule, compile_rules, rule_errors
from support.crds.paths import display_path, join_path

Json = Any
Schema = dict[str, Any]


def _strict_schema(schema: Schema) -> Schema:
    """Copy the structural parts of a schema, closing objects to unknown fields."""
    strict = dict(schema)
    properties = schema.get("properties")
    if isinstance(properties, dict):
        strict["properties"] = {name: _strict_schema(sub) for name, sub in properties.items()}
        open_object = schema.get("x-kubernetes-preserve-unknown-fields") or schema.get(
            "x-kubernetes-embedded-resource"
        )
        if not open_object and "additionalProperties" not in schema:
            strict["additionalProperties"] = False
    if isinstance(schema.get("items"), dict):
        strict["items"] = _strict_schema(schema["items"])
    if isinstance(schema.get("additionalProperties"), dict):
        strict["additionalProperties"] = _strict_schema(schema["additionalProperties"])
    if schema.get("nullable") and "type" in schema:
        strict["type"] = [schema["type"], "null"]
        if "enum" in schema:
            strict["enum"] = [*schema["enum"], None]
    return strict


def root_schema(openapi: Schema) -> Schema:
    root = _strict_schema(openapi)
    properties = dict(root.get("properties", {}))
    # ObjectMeta is validated by the API server, not the CRD; check the basics.
    properties["metadata"] = {
        **properties.get("metadata", {"type": "object"}),
        "properties": {"name": {"type": "string"}, "namespace": {"type": "string"}},
    }
    root["properties"] = properties
    return root


@dataclass
class Plan:
    """The parts of a schema that need walking beyond jsonschema."""

    schema: Schema
    defaults: dict[str, Json] = field(default_factory=dict)
    properties: dict[str, Plan] = field(default_factory=dict)
    items: Plan | None = None
    additional: Plan | None = None
    rules: list[Rule] = field(default_factory=list)
    list_type: str | None = None
    map_keys: tuple[str, ...] = ()
    embedded: bool = False
    has_defaults: bool = False
    has_checks: bool = False
    has_rules: bool = False


def build_plan(schema: Schema) -> Plan | None:
    properties = schema.get("properties") or {}
    items, additional = schema.get("items"), schema.get("additionalProperties")
    list_type = schema.get("x-kubernetes-list-type")
    plan = Plan(
        schema=schema,
        defaults={name: sub["default"] for name, sub in properties.items() if "default" in sub},
        properties={
            name: child
            for name, sub in properties.items()
            if (child := build_plan(sub)) is not None
        },
        items=build_plan(items) if isinstance(items, dict) else None,
        additional=build_plan(additional) if isinstance(additional, dict) else None,
        rules=compile_rules(schema.get("x-kubernetes-validations") or []),
        list_type=list_type if list_type in ("set", "map") else None,
        map_keys=tuple(schema.get("x-kubernetes-list-map-keys") or ()),
        embedded=bool(schema.get("x-kubernetes-embedded-resource")),
    )
    children = [*plan.properties.values(), plan.items, plan.additional]
    plan.has_defaults = bool(plan.defaults) or any(c.has_defaults for c in children if c)
    plan.has_checks = bool(plan.rules or plan.list_type or plan.embedded) or any(
        c.has_checks for c in children if c
    )
    plan.has_rules = bool(plan.rules) or any(c.has_rules for c in children if c)
    return plan if plan.has_defaults or plan.has_checks else None


# --- instance walks ----------------------------------------------------------


def copy_json(value: Json) -> Json:
    if isinstance(value, dict):
        return {key: copy_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [copy_json(item) for item in value]
    return value


def apply_defaults(value: Json, plan: Plan) -> None:
    if isinstance(value, dict):
        for name, default in plan.defaults.items():
            if name not in value:
                value[name] = copy_json(default)
        for name, child in plan.properties.items():
            if child.has_defaults and name in value:
                apply_defaults(value[name], child)
        if plan.additional is not None and plan.additional.has_defaults:
            for item in value.values():
                apply_defaults(item, plan.additional)
    elif isinstance(value, list) and plan.items is not None and plan.items.has_defaults:
        for item in value:
            apply_defaults(item, plan.items)


def check(value: Json, plan: Plan, path: str, run_rules: bool) -> Iterator[str]:
    if plan.embedded and isinstance(value, dict):
        yield from _embedded_errors(value, path)
    if plan.list_type and isinstance(value, list):
        yield from _duplicate_errors(value, plan, path)
    if plan.rules and run_rules:
        yield from rule_errors(value, plan.schema, plan.rules, path)
    if isinstance(value, dict):
        for name, child in plan.properties.items():
            if child.has_checks and name in value:
                yield from check(value[name], child, join_path(path, name), run_rules)
        if plan.additional is not None and plan.additional.has_checks:
            for name, item in value.items():
                yield from check(item, plan.additional, join_path(path, name), run_rules)
    elif isinstance(value, list) and plan.items is not None and plan.items.has_checks:
        for index, item in enumerate(value):
            yield from check(item, plan.items, join_path(path, index), run_rules)


def _embedded_errors(value: dict[str, Json], path: str) -> Iterator[str]:
    for name in ("apiVersion", "kind"):
        if name not in value:
            yield f"{join_path(path, name)}: required in an embedded resource"
        elif not isinstance(value[name], str) or not value[name]:
            yield f"{join_path(path, name)}: must be a non-empty string"


def _duplicate_errors(items: list[Json], plan: Plan, path: str) -> Iterator[str]:
    seen: dict[str, int] = {}
    for index, item in enumerate(items):
        if plan.list_type == "map":
            if not isinstance(item, dict):
                continue
            identity: Json = {key: item.get(key) for key in plan.map_keys}
        else:
            identity = item
        key = json.dumps(identity, sort_keys=True)
        if key in seen:
            yield f"{join_path(path, index)}: duplicate entry {key} (first at [{seen[key]}])"
        else:
            seen[key] = index


# --- jsonschema ----------------------------------------------------------------


def _is_integer(_checker: Any, instance: Json) -> bool:
    return isinstance(instance, int) and not isinstance(instance, bool)


_BASE_VALIDATOR = jsonschema.Draft7Validator


def _required(
    validator: Validator, required: list[str], instance: Json, schema: Schema
) -> Iterator[ValidationError]:
    if validator.is_type(instance, "object"):
        for name in required:
            if name not in instance:
                yield ValidationError("required field is missing", path=[name])


def _additional_properties(
    validator: Validator, additional: Json, instance: Json, schema: Schema
) -> Iterator[ValidationError]:
    if additional is False and validator.is_type(instance, "object"):
        known = schema.get("properties", {})
        for name in instance:
            if name not in known:
                yield ValidationError("unknown field", path=[name])
        return
    yield from _BASE_VALIDATOR.VALIDATORS["additionalProperties"](
        validator, additional, instance, schema
    )


StrictValidator = jsonschema.validators.extend(
    _BASE_VALIDATOR,
    validators={"required": _required, "additionalProperties": _additional_properties},
    type_checker=_BASE_VALIDATOR.TYPE_CHECKER.redefine("integer", _is_integer),
)

_MAX_MESSAGE = 300


def format_schema_error(error: ValidationError) -> str:
    path = ""
    for segment in error.absolute_path:
        path = join_path(path, segment)
    message = error.message
    if len(message) > _MAX_MESSAGE:
        message = message[: _MAX_MESSAGE - 3] + "..."
    return f"{display_path(path)}: {message}"
