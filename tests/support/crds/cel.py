"""`x-kubernetes-validations` CEL rules, evaluated with celpy the way Kubernetes exposes objects.

Transition rules (`oldSelf`) need the previous object and are skipped; rules calling Kubernetes
CEL library functions celpy lacks are skipped and recorded in UNSUPPORTED_RULES.
"""

from __future__ import annotations

import functools
import re
import string
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import celpy
from celpy import celtypes
from celpy.adapter import json_to_cel

from support.crds.paths import display_path

Json = Any
Schema = dict[str, Any]

# Rule texts skipped because they need a Kubernetes CEL library celpy lacks.
UNSUPPORTED_RULES: set[str] = set()


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
class Rule:
    text: str
    program: _Program
    message: str | None
    message_program: _Program | None
    field_path: str


def compile_rules(validations: list[dict[str, Any]]) -> list[Rule]:
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
            Rule(
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


def rule_errors(
    value: Json, schema: Mapping[str, Any], rules: list[Rule], path: str
) -> Iterator[str]:
    activation = {"self": json_to_cel(_cel_input(value, schema))}
    for rule in rules:
        where = display_path(path + rule.field_path if path else rule.field_path.lstrip("."))
        result, problem = _evaluate(rule.program, activation)
        if problem is not None:
            yield f"{where}: rule {rule.text!r} {problem}"
        elif not isinstance(result, celtypes.BoolType):
            yield f"{where}: rule {rule.text!r} returned {result!r}, not a bool"
        elif not result:
            yield f"{where}: {_rule_message(rule, activation)}"


def _rule_message(rule: Rule, activation: dict[str, Any]) -> str:
    if rule.message_program is not None:
        message, problem = _evaluate(rule.message_program, activation)
        if problem is None and isinstance(message, str) and message:
            return str(message)
    return rule.message or f"failed rule: {rule.text}"
