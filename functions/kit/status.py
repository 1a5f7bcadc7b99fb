"""The status every XR reports, as models: blueprints fill them, generate turns them into XRDs.

Status is written through the models (`out.status_model(...)`, dumped by alias) and read through
them (`read_status(ClusterStatus, other_xr["status"])`), never as hand-typed camelCase dicts.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, Field, ValidationError

from functions.kit.params import Model, model_in

M = TypeVar("M", bound=BaseModel)


class WaitingFor(Model):
    resource: str = Field(description="Composition resource name.")
    reason: str = Field(description="What it is waiting for.")
    stage: str | None = Field(default=None, description="The stage the resource belongs to.")


class Kept(Model):
    resource: str = Field(description="Composition resource name.")
    reason: str = Field(description="Why it is still composed.")


class Progress(Model):
    ready: int = Field(description="Composed resources that are ready.")
    total: int = Field(description="Composed resources planned, created or not.")
    waiting_for: list[WaitingFor] = Field(
        default_factory=list, description="What is not ready yet, and why."
    )
    stage: str | None = Field(
        default=None, description="The first stage that is not ready yet (absent once all are)."
    )
    kept: list[Kept] | None = Field(
        default=None,
        description=(
            "Observed resources Paved no longer plans but keeps, so that nothing is deleted "
            "without an explicit removal."
        ),
    )


class CommonStatus(Model):
    progress: Progress | None = Field(default=None, description="How far composition has got.")
    connection_secret: str | None = Field(
        default=None,
        description="Namespaced mode: the Secret in this namespace holding the connection details.",
    )


def dump(model: BaseModel) -> dict[str, Any]:
    """A status model as it goes on the wire: camelCase, fields not known yet left out."""
    return model.model_dump(by_alias=True, exclude_none=True, mode="json")


def read_status(model: type[M], status: Any) -> M | None:
    """Another XR's status read through its model; None when it is absent or not of that shape.

    Fields the model does not know (progress, conditions...) are ignored, so a status written by
    a newer Paved can still be read.
    """
    if not isinstance(status, Mapping):
        return None
    try:
        return model.model_validate(_known_only(model, status))
    except ValidationError:
        return None


def _known_only(model: type[BaseModel], data: Mapping[str, Any]) -> dict[str, Any]:
    """`data` without the fields `model` does not know, at every depth."""
    known: dict[str, Any] = {}
    for name, field in model.model_fields.items():
        key = field.alias or name
        if key not in data:
            continue
        value = data[key]
        nested = model_in(field.annotation)
        if nested is not None and isinstance(value, Mapping):
            value = _known_only(nested, value)
        elif nested is not None and isinstance(value, list):
            value = [_known_only(nested, v) if isinstance(v, Mapping) else v for v in value]
        known[key] = value
    return known
