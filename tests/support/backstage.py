"""Backstage as the tests see it: its real JSON schemas, its entity naming rules, and a scaffolder
`fetch:template` emulated with Jinja2.

The schemas are the released ones in ``../shared/backstage`` (see its ``SOURCES.md``): the
scaffolder's ``Template.v1beta3`` and the catalog model's entity schemas, resolved by ``$id``.
"""

from __future__ import annotations

import functools
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jinja2
import jsonschema
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7


def _default_dir() -> Path:
    configured = os.environ.get("PAVED_BACKSTAGE_DIR")
    if configured:
        return Path(configured).expanduser().resolve()
    return (Path(__file__).resolve().parents[2].parent / "shared" / "backstage").resolve()


BACKSTAGE_DIR = _default_dir()
KIND_SCHEMAS = {
    "Template": "TemplateV1beta3",
    "API": "ApiV1alpha1",
    "Component": "ComponentV1alpha1",
    "Domain": "DomainV1alpha1",
    "Group": "GroupV1alpha1",
    "Location": "LocationV1alpha1",
    "Resource": "ResourceV1alpha1",
    "System": "SystemV1alpha1",
    "User": "UserV1alpha1",
}


def schemas_available() -> bool:
    return (BACKSTAGE_DIR / "scaffolder-common" / "Template.v1beta3.schema.json").is_file()


def _registry() -> Registry:
    resources = []
    for path in sorted(BACKSTAGE_DIR.rglob("*.schema.json")):
        contents = json.loads(path.read_text())
        resources.append((contents["$id"], Resource.from_contents(contents, DRAFT7)))
    return Registry().with_resources(resources)


_REGISTRY: Registry | None = None


def schema_errors(entity: dict[str, Any]) -> list[str]:
    """Errors of an entity (a Template too) against its kind's released JSON schema."""
    global _REGISTRY  # built once, on first use
    if _REGISTRY is None:
        _REGISTRY = _registry()
    kind = entity.get("kind")
    if kind not in KIND_SCHEMAS:
        return [f"kind: no Backstage schema for {kind!r}"]
    schema = _REGISTRY.contents(KIND_SCHEMAS[kind])
    validator = jsonschema.Draft7Validator(schema, registry=_REGISTRY)
    return [
        f"{'.'.join(str(p) for p in error.absolute_path) or '<root>'}: {error.message}"
        for error in validator.iter_errors(entity)
    ]


# -- the catalog's naming rules, beyond the JSON schemas ----------------------------------------
# @backstage/catalog-model KubernetesValidatorFunctions and CommonValidatorFunctions, applied by
# the catalog's FieldFormatEntityPolicy to every entity it ingests.

_OBJECT_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
_DNS_LABEL = re.compile(r"^[a-z0-9]+(?:-+[a-z0-9]+)*$")
_DNS_SUBDOMAIN_PART = _DNS_LABEL
_TAG = re.compile(r"^[a-z0-9:+#]+(-[a-z0-9:+#]+)*$")


def _object_name(value: Any) -> bool:
    return isinstance(value, str) and 1 <= len(value) <= 63 and bool(_OBJECT_NAME.match(value))


def _dns_subdomain(value: str) -> bool:
    parts = value.split(".")
    return 1 <= len(value) <= 253 and all(
        1 <= len(p) <= 63 and _DNS_SUBDOMAIN_PART.match(p) for p in parts
    )


def _prefixed(value: Any, check_name: Any) -> bool:
    if not isinstance(value, str):
        return False
    prefix, slash, name = value.rpartition("/")
    if slash and not _dns_subdomain(prefix):
        return False
    return check_name(name)


def naming_errors(entity: dict[str, Any]) -> list[str]:
    metadata = entity.get("metadata", {})
    errors = []
    if not _object_name(metadata.get("name")):
        errors.append(f"metadata.name: {metadata.get('name')!r} is not a valid entity name")
    namespace = metadata.get("namespace", "default")
    if not (isinstance(namespace, str) and len(namespace) <= 63 and _DNS_LABEL.match(namespace)):
        errors.append(f"metadata.namespace: {namespace!r} is not a DNS label")
    for tag in metadata.get("tags", []):
        if not (isinstance(tag, str) and 1 <= len(tag) <= 63 and _TAG.match(tag)):
            errors.append(f"metadata.tags: {tag!r} is not a valid tag")
    for field in ("annotations", "labels"):
        for key, value in (metadata.get(field) or {}).items():
            if not _prefixed(key, _object_name):
                errors.append(f"metadata.{field}: key {key!r} is not valid")
            if not isinstance(value, str):
                errors.append(f"metadata.{field}.{key}: value must be a string, not {value!r}")
    return errors


def entity_errors(entity: dict[str, Any]) -> list[str]:
    return schema_errors(entity) + naming_errors(entity)


# -- fetch:template, emulated -------------------------------------------------------------------


class _NunjucksLike(jinja2.Environment):
    """Member access the way nunjucks does it: `a.items` is the key `items`, never a method."""

    def getattr(self, obj: Any, attribute: str) -> Any:
        if isinstance(obj, dict):
            return obj[attribute] if attribute in obj else self.undefined(name=attribute)
        return super().getattr(obj, attribute)


def _dump(value: Any, spaces: int | None = None) -> str:
    """nunjucks' `dump(spaces)`: JSON.stringify(value, null, spaces)."""
    if spaces:
        return json.dumps(value, indent=spaces, ensure_ascii=False)
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


ENVIRONMENT = _NunjucksLike(
    variable_start_string="${{",
    variable_end_string="}}",
    undefined=jinja2.ChainableUndefined,
    keep_trailing_newline=True,
    autoescape=False,
)
ENVIRONMENT.filters["dump"] = _dump

_WHOLE_PARAMETER = re.compile(r"^\$\{\{ parameters\.([A-Za-z_][A-Za-z0-9_]*) \}\}$")


def step_values(values: Any, parameters: dict[str, Any]) -> Any:
    """A step's `values` input with `${{ parameters.x }}` resolved; undefined ones are dropped."""
    if isinstance(values, dict):
        out = {}
        for key, value in values.items():
            resolved = step_values(value, parameters)
            if resolved is not _MISSING:
                out[key] = resolved
        return out
    if isinstance(values, str):
        match = _WHOLE_PARAMETER.match(values)
        if match:
            return parameters.get(match.group(1), _MISSING)
        if "${{" in values:
            return ENVIRONMENT.from_string(values).render(parameters=parameters)
    return values


_MISSING = object()


def render_skeleton(skeleton: Path, values: dict[str, Any]) -> dict[str, str]:
    """Every file of a skeleton rendered with `values`, by path relative to the skeleton."""
    rendered = {}
    for path in sorted(skeleton.rglob("*")):
        if path.is_file():
            relative = str(path.relative_to(skeleton))
            rendered[relative] = _compiled(path.read_text()).render(values=values)
    return rendered


@functools.lru_cache(maxsize=64)
def _compiled(text: str) -> jinja2.Template:
    return ENVIRONMENT.from_string(text)


# -- what the form sends ------------------------------------------------------------------------


def form_defaults(page: dict[str, Any], given: dict[str, Any] | None = None) -> dict[str, Any]:
    """What a form page sends untouched: every default, nested objects' too, and the fields
    revealed by a `dependencies` branch that matches the page's values (like react-jsonschema-form
    computes its default form state; test_backstage compares with the real one when it can).
    `given` values win over defaults."""
    values = {**_object_defaults(page), **(given or {})}
    for toggle, dependency in (page.get("dependencies") or {}).items():
        for branch in dependency.get("oneOf", ()):
            if values.get(toggle) in branch["properties"][toggle].get("enum", ()):
                for name, value in _object_defaults(branch).items():
                    values.setdefault(name, value)
    return values


def _object_defaults(schema: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for name, child in (schema.get("properties") or {}).items():
        if child.get("default") == {}:
            continue  # react-jsonschema-form leaves an empty map out
        if "default" in child:
            out[name] = child["default"]
        elif child.get("type") == "array":
            out[name] = []  # react-jsonschema-form starts a list without a default empty
        elif child.get("type") == "object" and child.get("properties"):
            nested = _object_defaults(child)
            if nested:
                out[name] = nested
    return out


def properties(page: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every field a page can show, those behind a `dependencies` toggle too."""
    yield from (page.get("properties") or {}).items()
    for dependency in (page.get("dependencies") or {}).values():
        for branch in dependency.get("oneOf", ()):
            for name, schema in branch["properties"].items():
                if "enum" not in schema or "type" in schema:
                    yield name, schema
