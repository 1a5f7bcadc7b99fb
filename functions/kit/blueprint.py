"""A blueprint: one XR kind, its parameter and status models, and the function that composes it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, NamedTuple

from pydantic import BaseModel

from functions.kit.composite import Composite, P
from functions.kit.desired import Desired

GROUP = "platform.paved.dev"
VERSION = "v1alpha1"


@dataclass(frozen=True)
class ApiGroup:
    """The API group and version the XRDs are generated in (`paved generate --group`).

    Only generation needs it: at run time the function serves whatever group the request's XR
    is in, so one function serves every group its Compositions use.
    """

    group: str = GROUP
    version: str = VERSION

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}"


DEFAULT_API = ApiGroup()


class Measure(NamedTuple):
    """How big an XR is in one respect, for the Composition's policy limits."""

    field: str  # the field path to name when a limit is broken
    value: int | str


@dataclass(frozen=True)
class Blueprint(Generic[P]):
    kind: str  # XBucket
    claim_kind: str  # Bucket
    description: str
    parameters: type[P]
    status: type[BaseModel]  # the blueprint's own status fields, e.g. {bucket: {...}}
    compose: Callable[[Composite[P], Desired], None]
    # Connection detail keys the XR publishes (the XRD's connectionSecretKeys in claim mode).
    connection_keys: tuple[str, ...] = ()
    # Printer columns for the XRD: (name, JSONPath, type).
    columns: tuple[tuple[str, str, str], ...] = ()
    # What the policy's limits measure: "nodePools", "nodes", "storageGiB", "databaseSize".
    measure: Callable[[P], dict[str, Measure]] | None = None

    @property
    def plural(self) -> str:
        return self.kind.lower() + "s"

    @property
    def claim_plural(self) -> str:
        return self.claim_kind.lower() + "s"

    @property
    def api_version(self) -> str:
        return f"{GROUP}/{VERSION}"

    def run(self, composite: Composite[Any], out: Desired) -> None:
        composite.check_identity()
        self.compose(composite, out)
        out.finish()
