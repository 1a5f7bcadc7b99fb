"""Strict validation of Kubernetes manifests against real CRD schemas, for tests.

The CRDs are the upstream YAML files described in ``SOURCES.md`` in the CRD
folder. Validation approximates what the API server does on create:

1. apply schema ``default``s (structural defaulting),
2. check the OpenAPI v3 schema with jsonschema, rejecting unknown fields,
3. check embedded resources, ``x-kubernetes-list-type`` set/map uniqueness and
   ``x-kubernetes-validations`` CEL rules (with Kubernetes property escaping).
"""

from __future__ import annotations

import functools
import json
import os
import re
import string
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import celpy
import jsonschema
import yaml
from celpy import celtypes
from celpy.adapter import json_to_cel
from jsonschema.exceptions import ValidationError
from jsonschema.protocols import Validator

Json = Any
Schema = dict[str, Any]


def _default_crds_dir() -> Path:
    configured = os.environ.get("PAVED_CRDS_DIR")
    if configured:
        return Path(configured).expanduser().resolve()
    repo_root = Path(__file__).resolve().parents[2]
    return (repo_root.parent / "shared" / "crds").resolve()


CRDS_DIR: Path = _default_crds_dir()

# Rule texts skipped because they need a Kubernetes CEL library celpy lacks.
UNSUPPORTED_RULES: set[str] = set()

# crossplane.yaml package metadata: modelled as a Namespaced CRD, but these
# files are never applied to a cluster, so they carry no namespace.
_PACKAGE_META_GROUP = "meta.pkg.crossplane.io"


def crds_available() -> bool:
    """Whether the CRD folder exists and holds YAML files."""
    return CRDS_DIR.is_dir() and any(CRDS_DIR.rglob("*.yaml"))


# --- index -----------------------------------------------------------------


@dataclass(frozen=True)
class _Version:
    name: str
    served: bool
    storage: bool
    deprecated: bool


@dataclass(frozen=True)
class _CRDFile:
    path: Path
    group: str
    kind: str
    scope: str
    versions: dict[str, _Version]

    def preferred_version(self) -> str | None:
        """Storage version unless deprecated, else the last served, non-deprecated one."""
        usable = [v for v in self.versions.values() if v.served and not v.deprecated]
        for version in usable:
            if version.storage:
                return version.name
        return usable[-1].name if usable else None


# Keys indented 0, 2 or 4 spaces (or a "  - " list item): enough to read
# group, names.kind, scope and the per-version flags without parsing schemas.
_SHALLOW_KEY = re.compile(r"^( {0,4}|  - )([A-Za-z]+):(?: +(.*?))?[ \t\r]*$", re.M)
_DOC_SEPARATOR = re.compile(r"^---", re.M)


def _scan_crd(path: Path, text: str) -> _CRDFile | None:
    """Read the CRD's identity from its shallow keys; None if the layout is unusual."""
    fields: dict[str, str] = {}
    versions: list[dict[str, str]] = []
    in_spec = False
    section = ""
    for match in _SHALLOW_KEY.finditer(text):
        indent, key = match.group(1), match.group(2)
        value = (match.group(3) or "").strip("'\"")
        if indent == "":
            in_spec = key == "spec"
            if key == "kind":
                fields["crd_kind"] = value
        elif not in_spec:
            continue
        elif indent == "  ":
            section = key
            if key in ("group", "scope"):
                fields[key] = value
        elif section == "names" and indent == "    " and key == "kind":
            fields["kind"] = value
        elif section == "versions":
            if indent == "  - ":
                versions.append({})
            if versions:
                versions[-1][key] = value
    required = ("group", "kind", "scope")
    if fields.get("crd_kind") != "CustomResourceDefinition" or not all(
        k in fields for k in required
    ):
        return None
    if not versions or not all("name" in v for v in versions):
        return None
    return _CRDFile(
        path=path,
        group=fields["group"],
        kind=fields["kind"],
        scope=fields["scope"],
        versions={
            v["name"]: _Version(
                name=v["name"],
                served=v.get("served") == "true",
                storage=v.get("storage") == "true",
                deprecated=v.get("deprecated") == "true",
            )
            for v in versions
        },
    )


def _crd_from_document(path: Path, doc: Json) -> _CRDFile | None:
    if not isinstance(doc, dict) or doc.get("kind") != "CustomResourceDefinition":
        return None
    spec = doc["spec"]
    return _CRDFile(
        path=path,
        group=spec["group"],
        kind=spec["names"]["kind"],
        scope=spec["scope"],
        versions={
            v["name"]: _Version(
                name=v["name"],
                served=bool(v.get("served")),
                storage=bool(v.get("storage")),
                deprecated=bool(v.get("deprecated")),
            )
            for v in spec["versions"]
        },
    )


def _load_documents(path: Path) -> list[Json]:
    return list(yaml.load_all(path.read_text(), Loader=yaml.CSafeLoader))


def _index_file(path: Path) -> list[_CRDFile]:
    text = path.read_text()
    single_document = len(_DOC_SEPARATOR.findall(text.lstrip("\n").removeprefix("---"))) == 0
    scanned = _scan_crd(path, text) if single_document else None
    if scanned is not None:
        return [scanned]
    crds = (_crd_from_document(path, doc) for doc in _load_documents(path))
    return [crd for crd in crds if crd is not None]


# --- CEL -------------------------------------------------------------------

_CEL_RESERVED = frozenset(
    {"true", "false", "null", "in", "as", "break", "const", "continue", "else", "for"}
    | {"function", "if", "import", "let", "loop", "package", "namespace", "return"}
    | {"var", "void", "while"}
)
_ESCAPES = {"__": "__underscores__", ".": "__dot__", "-": "__dash__", "/": "__slash__"}
_ESCAPE_TOKEN = re.compile(r"__|[./-]")
_UNESCAPABLE_CHAR = re.compile(r"[^A-Za-z0-9_./-]")


@functools.lru_cache(maxsize=4096)
def _escape_property(name: str) -> str | None:
    """Kubernetes CEL property-name escaping; None if the name is inaccessible."""
    if not name or name[0].isdigit() or _UNESCAPABLE_CHAR.search(name):
        return None
    if name in _CEL_RESERVED:
        return f"__{name}__"
    return _ESCAPE_TOKEN.sub(lambda m: _ESCAPES[m.group()], name)


_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)
_ASCII_UPPER = str.maketrans(string.ascii_lowercase, string.ascii_uppercase)


def _lower_ascii(value: celtypes.StringType) -> celtypes.StringType:
    return celtypes.StringType(str(value).translate(_ASCII_LOWER))


def _upper_ascii(value: celtypes.StringType) -> celtypes.StringType:
    return celtypes.StringType(str(value).translate(_ASCII_UPPER))


_CEL_FUNCTIONS = {"lowerAscii": _lower_ascii, "upperAscii": _upper_ascii}

# Functions of the Kubernetes CEL libraries (strings, lists, regex, URLs, IP/CIDR,
# quantity, semver, sets, format, optionals) that celpy does not provide.
_K8S_EXTENSION_FUNCTIONS = frozenset(
    {"charAt", "indexOf", "lastIndexOf", "replace", "split", "substring", "trim"}
    | {"join", "format", "quote", "reverse", "encode", "decode"}
    | {"isSorted", "sum", "min", "max", "slice", "flatten", "distinct", "sort", "sortBy"}
    | {"first", "last", "find", "findAll"}
    | {"url", "isURL", "getScheme", "getHost", "getHostname", "getPort", "getEscapedPath"}
    | {"getQuery", "ip", "isIP", "cidr", "isCIDR", "family", "isUnspecified", "isLoopback"}
    | {"isLinkLocalMulticast", "isLinkLocalUnicast", "isGlobalUnicast", "containsIP"}
    | {"containsCIDR", "masked", "prefixLength", "isCanonical"}
    | {"quantity", "isQuantity", "asInteger", "asApproximateFloat", "sign", "add", "sub"}
    | {"isGreaterThan", "isLessThan", "compareTo", "semver", "isSemver", "major", "minor"}
    | {"patch", "equivalent", "intersects", "dns1123Label", "dns1123Subdomain"}
    | {"orValue", "hasValue", "value", "of", "none"}
    | {"transformList", "transformMap", "transformMapEntry", "authorizer"}
)
_CALLED_NAME = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\s*\(")
_STRING_LITERAL = re.compile(r"'(?:\\.|[^'\\])*'|\"(?:\\.|[^\"\\])*\"")
_OLD_SELF = re.compile(r"\boldSelf\b")


def _uses_unsupported_extension(rule: str) -> bool:
    code = _STRING_LITERAL.sub("''", rule)
    if "?." in code or "[?" in code:  # optional field selection
        return True
    return any(name in _K8S_EXTENSION_FUNCTIONS for name in _CALLED_NAME.findall(code))


def _new_cel_environment() -> celpy.Environment:
    # celpy.Environment() sets a fixed recursion limit; never lower ours.
    limit = sys.getrecursionlimit()
    environment = celpy.Environment()
    sys.setrecursionlimit(max(limit, sys.getrecursionlimit()))
    return environment


_CEL_ENV = _new_cel_environment()


@dataclass(frozen=True)
class _Program:
    runner: celpy.Runner | None
    error: str | None


@functools.cache
def _compile_cel(text: str) -> _Program:
    try:
        return _Program(_CEL_ENV.program(_CEL_ENV.compile(text), functions=_CEL_FUNCTIONS), None)
    except Exception as exc:  # celpy raises parse errors and plain Python errors alike
        detail = " ".join(str(exc).split())  # parse errors span lines, with a caret
        return _Program(None, f"{type(exc).__name__}: {detail}")


@dataclass(frozen=True)
class _Rule:
    text: str
    program: _Program
    message: str | None
    message_program: _Program | None
    field_path: str


def _compile_rules(validations: list[dict[str, Any]]) -> list[_Rule]:
    rules = []
    for validation in validations:
        text = validation["rule"]
        if _OLD_SELF.search(text):  # transition rule: needs the previous object
            continue
        if _uses_unsupported_extension(text):
            UNSUPPORTED_RULES.add(text)
            continue
        message_expression = validation.get("messageExpression")
        rules.append(
            _Rule(
                text=text,
                program=_compile_cel(text),
                message=validation.get("message"),
                message_program=_compile_cel(message_expression) if message_expression else None,
                field_path=validation.get("fieldPath", ""),
            )
        )
    return rules


def _cel_input(value: Json, schema: Mapping[str, Any]) -> Json:
    """Shape a JSON value as Kubernetes exposes it to CEL (escaped names, doubles)."""
    if isinstance(value, dict):
        properties = schema.get("properties")
        if properties is not None:
            converted = {}
            for key, item in value.items():
                name = _escape_property(key)
                if name is not None:
                    converted[name] = _cel_input(item, properties.get(key, {}))
            return converted
        additional = schema.get("additionalProperties")
        item_schema = additional if isinstance(additional, dict) else {}
        return {key: _cel_input(item, item_schema) for key, item in value.items()}
    if isinstance(value, list):
        items = schema.get("items")
        item_schema = items if isinstance(items, dict) else {}
        return [_cel_input(item, item_schema) for item in value]
    if schema.get("type") == "number" and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


def _evaluate(program: _Program, activation: dict[str, Any]) -> tuple[Any, str | None]:
    if program.runner is None:
        return None, f"failed to compile ({program.error})"
    try:
        result = program.runner.evaluate(activation)
    except Exception as exc:  # CELEvalError, or Python errors leaking from celpy
        return None, f"failed to evaluate ({exc.args[0] if exc.args else exc})"
    if isinstance(result, celpy.CELEvalError):
        return None, f"failed to evaluate ({result.args[0] if result.args else result})"
    return result, None


def _rule_errors(
    value: Json, schema: Mapping[str, Any], rules: list[_Rule], path: str
) -> Iterator[str]:
    activation = {"self": json_to_cel(_cel_input(value, schema))}
    for rule in rules:
        where = _display_path(path + rule.field_path if path else rule.field_path.lstrip("."))
        result, problem = _evaluate(rule.program, activation)
        if problem is not None:
            yield f"{where}: rule {rule.text!r} {problem}"
        elif not isinstance(result, celtypes.BoolType):
            yield f"{where}: rule {rule.text!r} returned {result!r}, not a bool"
        elif not result:
            yield f"{where}: {_rule_message(rule, activation)}"


def _rule_message(rule: _Rule, activation: dict[str, Any]) -> str:
    if rule.message_program is not None:
        message, problem = _evaluate(rule.message_program, activation)
        if problem is None and isinstance(message, str) and message:
            return str(message)
    return rule.message or f"failed rule: {rule.text}"


# --- schema preparation ------------------------------------------------------


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


def _root_schema(openapi: Schema) -> Schema:
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
class _Plan:
    """The parts of a schema that need walking beyond jsonschema."""

    schema: Schema
    defaults: dict[str, Json] = field(default_factory=dict)
    properties: dict[str, _Plan] = field(default_factory=dict)
    items: _Plan | None = None
    additional: _Plan | None = None
    rules: list[_Rule] = field(default_factory=list)
    list_type: str | None = None
    map_keys: tuple[str, ...] = ()
    embedded: bool = False
    has_defaults: bool = False
    has_checks: bool = False
    has_rules: bool = False


def _build_plan(schema: Schema) -> _Plan | None:
    properties = schema.get("properties") or {}
    items, additional = schema.get("items"), schema.get("additionalProperties")
    list_type = schema.get("x-kubernetes-list-type")
    plan = _Plan(
        schema=schema,
        defaults={name: sub["default"] for name, sub in properties.items() if "default" in sub},
        properties={
            name: child
            for name, sub in properties.items()
            if (child := _build_plan(sub)) is not None
        },
        items=_build_plan(items) if isinstance(items, dict) else None,
        additional=_build_plan(additional) if isinstance(additional, dict) else None,
        rules=_compile_rules(schema.get("x-kubernetes-validations") or []),
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


def _copy_json(value: Json) -> Json:
    if isinstance(value, dict):
        return {key: _copy_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_copy_json(item) for item in value]
    return value


def _apply_defaults(value: Json, plan: _Plan) -> None:
    if isinstance(value, dict):
        for name, default in plan.defaults.items():
            if name not in value:
                value[name] = _copy_json(default)
        for name, child in plan.properties.items():
            if child.has_defaults and name in value:
                _apply_defaults(value[name], child)
        if plan.additional is not None and plan.additional.has_defaults:
            for item in value.values():
                _apply_defaults(item, plan.additional)
    elif isinstance(value, list) and plan.items is not None and plan.items.has_defaults:
        for item in value:
            _apply_defaults(item, plan.items)


def _check(value: Json, plan: _Plan, path: str, run_rules: bool) -> Iterator[str]:
    if plan.embedded and isinstance(value, dict):
        yield from _embedded_errors(value, path)
    if plan.list_type and isinstance(value, list):
        yield from _duplicate_errors(value, plan, path)
    if plan.rules and run_rules:
        yield from _rule_errors(value, plan.schema, plan.rules, path)
    if isinstance(value, dict):
        for name, child in plan.properties.items():
            if child.has_checks and name in value:
                yield from _check(value[name], child, _join(path, name), run_rules)
        if plan.additional is not None and plan.additional.has_checks:
            for name, item in value.items():
                yield from _check(item, plan.additional, _join(path, name), run_rules)
    elif isinstance(value, list) and plan.items is not None and plan.items.has_checks:
        for index, item in enumerate(value):
            yield from _check(item, plan.items, _join(path, index), run_rules)


def _embedded_errors(value: dict[str, Json], path: str) -> Iterator[str]:
    for name in ("apiVersion", "kind"):
        if name not in value:
            yield f"{_join(path, name)}: required in an embedded resource"
        elif not isinstance(value[name], str) or not value[name]:
            yield f"{_join(path, name)}: must be a non-empty string"


def _duplicate_errors(items: list[Json], plan: _Plan, path: str) -> Iterator[str]:
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
            yield f"{_join(path, index)}: duplicate entry {key} (first at [{seen[key]}])"
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


_StrictValidator = jsonschema.validators.extend(
    _BASE_VALIDATOR,
    validators={"required": _required, "additionalProperties": _additional_properties},
    type_checker=_BASE_VALIDATOR.TYPE_CHECKER.redefine("integer", _is_integer),
)

_MAX_MESSAGE = 300


def _format_schema_error(error: ValidationError) -> str:
    path = ""
    for segment in error.absolute_path:
        path = _join(path, segment)
    message = error.message
    if len(message) > _MAX_MESSAGE:
        message = message[: _MAX_MESSAGE - 3] + "..."
    return f"{_display_path(path)}: {message}"


# --- paths -------------------------------------------------------------------

_SIMPLE_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")


def _join(path: str, segment: str | int) -> str:
    if isinstance(segment, int):
        return f"{path}[{segment}]"
    if not _SIMPLE_KEY.match(segment):
        return f"{path}[{segment!r}]"
    return f"{path}.{segment}" if path else segment


def _display_path(path: str) -> str:
    return path or "<root>"


# --- catalog -------------------------------------------------------------------


@dataclass(frozen=True)
class _Compiled:
    validator: Validator
    plan: _Plan | None


class CRDCatalog:
    """CRDs of a folder, indexed on first use and compiled per version on demand."""

    def __init__(self, crds_dir: Path = CRDS_DIR) -> None:
        self._dir = crds_dir
        self._index: dict[tuple[str, str], _CRDFile] | None = None
        self._documents: dict[Path, list[Json]] = {}
        self._compiled: dict[tuple[str, str, str], _Compiled] = {}

    def kinds(self) -> set[tuple[str, str]]:
        """(apiVersion, kind) for every served version, deprecated ones included."""
        return {
            (f"{crd.group}/{version.name}", crd.kind)
            for crd in self._crds().values()
            for version in crd.versions.values()
            if version.served
        }

    def scope(self, api_version: str, kind: str) -> str:
        """Return "Namespaced" or "Cluster"; KeyError for an unknown kind."""
        group = api_version.rpartition("/")[0]
        return self._crds()[(group, kind)].scope

    def validate(self, obj: dict[str, Json]) -> list[str]:
        """Errors found in the manifest, each prefixed by its JSON path; [] if valid."""
        if not isinstance(obj, dict):
            return [f"<root>: expected an object, got {type(obj).__name__}"]
        crd, version, errors = self._resolve(obj)
        if crd is None or version is None:
            return errors
        compiled = self._compile(crd, version)
        instance = _copy_json(obj)
        if compiled.plan is not None:
            _apply_defaults(instance, compiled.plan)
        errors.extend(_scope_errors(instance, crd))
        schema_errors = list(compiled.validator.iter_errors(instance))
        errors.extend(_format_schema_error(e) for e in schema_errors)
        # Like the API server: CEL rules are only run on well-typed objects.
        well_typed = not any(e.validator == "type" for e in schema_errors)
        if compiled.plan is not None:
            errors.extend(_check(instance, compiled.plan, "", run_rules=well_typed))
        if not well_typed and compiled.plan is not None and compiled.plan.has_rules:
            errors.append("<root>: validation rules were not checked because of type errors")
        return errors

    def _crds(self) -> dict[tuple[str, str], _CRDFile]:
        if self._index is None:
            index: dict[tuple[str, str], _CRDFile] = {}
            for path in sorted(self._dir.rglob("*.yaml")):
                for crd in _index_file(path):
                    index.setdefault((crd.group, crd.kind), crd)
            self._index = index
        return self._index

    def _resolve(self, obj: dict[str, Json]) -> tuple[_CRDFile | None, str | None, list[str]]:
        api_version, kind = obj.get("apiVersion"), obj.get("kind")
        if not isinstance(api_version, str) or not isinstance(kind, str):
            return None, None, ["<root>: apiVersion and kind must be strings"]
        group, _, version = api_version.rpartition("/")
        crd = self._crds().get((group, kind))
        if crd is None:
            return None, None, [f"apiVersion: no CRD for {api_version} {kind}"]
        served = [v.name for v in crd.versions.values() if v.served]
        if version not in served:
            error = f"apiVersion: {api_version} {kind} is not served (served: {', '.join(served)})"
            return None, None, [error]
        errors = []
        if crd.versions[version].deprecated:
            errors.append(f"apiVersion: {self._deprecation(crd, version)}")
        return crd, version, errors

    def _deprecation(self, crd: _CRDFile, version: str) -> str:
        api_version = f"{crd.group}/{version}"
        preferred = crd.preferred_version()
        if preferred is not None:
            return f"{api_version} is a deprecated version, use {crd.group}/{preferred}"
        warning = self._version_entry(crd, version).get("deprecationWarning")
        return f"{api_version} is a deprecated version ({warning or 'no alternative version'})"

    def _compile(self, crd: _CRDFile, version: str) -> _Compiled:
        key = (crd.group, version, crd.kind)
        if key not in self._compiled:
            openapi = self._version_entry(crd, version)["schema"]["openAPIV3Schema"]
            self._compiled[key] = _Compiled(
                validator=_StrictValidator(_root_schema(openapi)),
                plan=_build_plan(openapi),
            )
        return self._compiled[key]

    def _version_entry(self, crd: _CRDFile, version: str) -> dict[str, Any]:
        if crd.path not in self._documents:
            self._documents[crd.path] = _load_documents(crd.path)
        for doc in self._documents[crd.path]:
            spec = doc.get("spec", {}) if isinstance(doc, dict) else {}
            if spec.get("group") == crd.group and spec.get("names", {}).get("kind") == crd.kind:
                for entry in spec["versions"]:
                    if entry["name"] == version:
                        return entry
        raise LookupError(f"{crd.path}: no {crd.group}/{version} {crd.kind}")


def _scope_errors(obj: dict[str, Json], crd: _CRDFile) -> list[str]:
    if crd.group == _PACKAGE_META_GROUP:
        return []
    metadata = obj.get("metadata")
    namespace = metadata.get("namespace") if isinstance(metadata, dict) else None
    if crd.scope == "Namespaced" and not namespace:
        return [f"metadata.namespace: required, {crd.kind} in {crd.group} is namespaced"]
    if crd.scope == "Cluster" and namespace is not None:
        return [f"metadata.namespace: must not be set, {crd.kind} in {crd.group} is cluster-scoped"]
    return []


@functools.cache
def catalog() -> CRDCatalog:
    """The shared catalog of CRDS_DIR."""
    return CRDCatalog(CRDS_DIR)


def validate(obj: dict[str, Json]) -> list[str]:
    """Validate a manifest against the shared catalog; see CRDCatalog.validate."""
    return catalog().validate(obj)
