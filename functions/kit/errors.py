"""Errors a blueprint can raise; the runner turns each into one FATAL result naming the field.

Every error of one XR is reported together, in one FATAL: pydantic collects the model's errors,
`Problems` collects a blueprint's own checks, and `describe` makes each one say how to fix it
("did you mean ...", "write it as a string").
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from pydantic import BaseModel, ValidationError


class ComposeError(Exception):
    """Input the blueprint cannot compose, with the path of the field at fault."""

    def __init__(self, path: str, message: str) -> None:
        # An empty path means the message names its fields itself (several errors together).
        super().__init__(f"{path}: {message}" if path else message)
        self.path = path
        self.message = message

    @classmethod
    def together(cls, errors: Iterable[ComposeError]) -> ComposeError:
        """Several errors as one, in the order found: `a: ...; b: ...`."""
        errors = list(errors)
        if len(errors) == 1:
            return errors[0]
        return cls("", "; ".join(str(e) for e in errors))


class Problems:
    """Collects a blueprint's errors so the developer sees them all at once, not one per apply.

    problems = Problems()
    with problems.check():
        validate_network(p)          # raises ComposeError
    problems.add("spec.parameters.x", "must be ...")
    problems.raise_if_any()
    """

    def __init__(self) -> None:
        self.errors: list[ComposeError] = []

    def add(self, path: str, message: str) -> None:
        self.errors.append(ComposeError(path, message))

    @contextmanager
    def check(self) -> Iterator[None]:
        try:
            yield
        except ComposeError as error:
            self.errors.append(error)

    def run(self, *checks: Callable[[], Any]) -> None:
        for check in checks:
            with self.check():
                check()

    def raise_if_any(self) -> None:
        if self.errors:
            raise ComposeError.together(self.errors)


def field_path(prefix: str, loc: tuple[int | str, ...]) -> str:
    path = prefix
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


def describe(error: ValidationError, prefix: str, model: type[BaseModel] | None = None) -> str:
    """`spec.parameters.region: field required; spec.parameters.x: ...` for a pydantic error.

    With the model, an unknown field gets the closest known one ("did you mean ...").
    """
    schema = model.model_json_schema(by_alias=True) if model is not None else None
    messages = []
    for detail in error.errors(include_url=False):
        messages.append(f"{field_path(prefix, detail['loc'])}: {_message(detail, schema)}")
    return "; ".join(messages)


def _message(detail: Any, schema: dict[str, Any] | None) -> str:
    kind = detail["type"]
    value = detail.get("input")
    if kind == "extra_forbidden":
        known = _known_fields(schema, detail["loc"][:-1]) if schema is not None else []
        close = difflib.get_close_matches(str(detail["loc"][-1]), known, n=1, cutoff=0.6)
        return f"unknown field; did you mean {close[0]}?" if close else "unknown field"
    if _is_number(value) and _wants_string(kind, detail):
        text = _as_written(value, detail)
        return f'{value} is a number; write it as a string: "{text}"'
    message = str(detail["msg"])
    return message[:1].lower() + message[1:]


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _wants_string(kind: str, detail: Any) -> bool:
    if kind == "string_type":
        return True
    # Literal["1.33", ...]: pydantic lists the expected values quoted.
    return kind == "literal_error" and str(detail.get("ctx", {}).get("expected", "")).startswith(
        "'"
    )


def _as_written(value: int | float, detail: Any) -> str:
    """The string the developer meant: an allowed value that reads as the same number.

    YAML reads `version: 1.30` as 1.3: the digits typed are gone, the allowed "1.30" is meant.
    """
    expected: list[str] = re.findall(r"'([^']*)'", str(detail.get("ctx", {}).get("expected", "")))
    for candidate in expected:
        try:
            if float(candidate) == value:
                return candidate
        except ValueError:
            continue
    return str(value)


def _known_fields(schema: dict[str, Any], loc: tuple[int | str, ...]) -> list[str]:
    """The field names allowed at `loc` in a pydantic JSON schema (by alias)."""
    defs = schema.get("$defs", {})
    node: dict[str, Any] | None = schema
    for part in loc:
        node = _resolve(node, defs)
        if node is None:
            return []
        if isinstance(part, int):
            node = node.get("items")
        elif "properties" in node and part in node["properties"]:
            node = node["properties"][part]
        elif isinstance(node.get("additionalProperties"), dict):
            node = node["additionalProperties"]
        else:
            return []
    node = _resolve(node, defs)
    return sorted(node.get("properties", {})) if node is not None else []


def _resolve(node: dict[str, Any] | None, defs: dict[str, Any]) -> dict[str, Any] | None:
    while node is not None:
        if "$ref" in node:
            node = defs.get(node["$ref"].split("/")[-1])
        elif "anyOf" in node:
            options = [o for o in node["anyOf"] if o.get("type") != "null"]
            node = options[0] if len(options) == 1 else None
        else:
            return node
    return None
