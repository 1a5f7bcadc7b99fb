"""Errors a blueprint can raise; the runner turns each into one FATAL result naming the field."""

from __future__ import annotations

from pydantic import ValidationError


class ComposeError(Exception):
    """Input the blueprint cannot compose, with the path of the field at fault."""

    def __init__(self, path: str, message: str) -> None:
        # An empty path means the message names its fields itself (several pydantic errors).
        super().__init__(f"{path}: {message}" if path else message)
        self.path = path
        self.message = message


def field_path(prefix: str, loc: tuple[int | str, ...]) -> str:
    path = prefix
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


def describe(error: ValidationError, prefix: str) -> str:
    """`spec.parameters.region: field required; spec.parameters.x: ...` for a pydantic error."""
    messages = []
    for detail in error.errors(include_url=False):
        message = detail["msg"]
        message = message[:1].lower() + message[1:]
        if detail["type"] == "extra_forbidden":
            message = "unknown field"
        messages.append(f"{field_path(prefix, detail['loc'])}: {message}")
    return "; ".join(messages)
