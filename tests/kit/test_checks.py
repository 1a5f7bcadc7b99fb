"""Every blueprint is checked with the kit's habits: stages and deletion order, at every stage.

Every example is replayed to the end, in both modes; one that runs on another Cluster (a tenant,
a database placed on a cluster) gets the example cluster as its required resource.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from support.compose import CLAIM_KINDS, EXAMPLES, namespaced

from functions import simulate
from functions.blueprints import BLUEPRINTS
from functions.kit.checks import compose, problems
from functions.runner import FunctionRunner

RUNNER = FunctionRunner()
# The example of a Ready cluster, as Crossplane hands it to the XRs that reference it.
REQUIRED_CLUSTER = yaml.safe_load((EXAMPLES / "cluster/required-host.yaml").read_text())


def _examples() -> list[Path]:
    """Every example XR or claim (not the required resources, which carry a status)."""
    return [
        path
        for path in sorted(EXAMPLES.glob("*/*.yaml"))
        if str(yaml.safe_load(path.read_text()).get("apiVersion", "")).startswith(
            "platform.paved.dev/"
        )
        and "status" not in yaml.safe_load(path.read_text())
    ]


@pytest.mark.parametrize("mode", ["claim", "namespaced"])
@pytest.mark.parametrize("example", _examples(), ids=lambda p: str(p.relative_to(EXAMPLES)))
def test_every_blueprint_declares_stages_and_deletion_order(example: Path, mode: str) -> None:
    xr = simulate.as_xr(yaml.safe_load(example.read_text()), CLAIM_KINDS)
    if mode == "namespaced" and not xr["metadata"].get("namespace"):
        xr = namespaced(xr)
    blueprint = BLUEPRINTS[xr["kind"]]
    found: list[str] = []
    required = {"host": [REQUIRED_CLUSTER], "cluster": [REQUIRED_CLUSTER]}
    rounds = simulate.replay(RUNNER.run, xr, required=required)
    for round_ in rounds:
        assert not round_.fatal, round_.fatal
        found += [p for p in problems(compose(blueprint, round_.request)) if p not in found]
    assert found == []
    assert rounds[-1].response.desired.resources, "composed nothing: the check saw nothing"
