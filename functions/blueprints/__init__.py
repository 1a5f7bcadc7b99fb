"""The blueprints Paved serves, by XR kind."""

from typing import Any

from functions.blueprints import bucket, cluster, database
from functions.kit.blueprint import Blueprint

BLUEPRINTS: dict[str, Blueprint[Any]] = {
    blueprint.kind: blueprint
    for blueprint in (bucket.BLUEPRINT, cluster.BLUEPRINT, database.BLUEPRINT)
}
