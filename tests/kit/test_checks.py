"""Every blueprint is checked with the kit's habits: stages and deletion order, at every stage.

Every example is replayed to the end, in both modes; one that runs on another Cluster (a tenant,
a database placed on a cluster) gets the example cluster as its required resource.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from support.compose import EXAMPLE_XRS, example_id, replay_example

from functions.blueprints import BLUEPRINTS
from functions.kit.checks import compose, problems


@pytest.mark.parametrize("mode", ["claim", "namespaced"])
@pytest.mark.parametrize("example", EXAMPLE_XRS, ids=example_id)
def test_every_blueprint_declares_stages_and_deletion_order(example: Path, mode: str) -> None:
    rounds = replay_example(example, mode)
    found: list[str] = []
    for round_ in rounds:
        assert not round_.fatal, round_.fatal
        blueprint = BLUEPRINTS[round_.xr["kind"]]
        found += [p for p in problems(compose(blueprint, round_.request)) if p not in found]
    assert found == []
    assert rounds[-1].response.desired.resources, "composed nothing: the check saw nothing"
