"""Every IAM role any blueprint composes carries only Paved's identifying tags.

On a role, tags are principal tags that IAM policies can grant access by (ABAC): a developer's
`tags` reaching a role would let them grant themselves what a policy keyed on a tag allows.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from support.compose import CLAIM_KINDS, EXAMPLES

from functions import simulate
from functions.runner import FunctionRunner

RUNNER = FunctionRunner()
REQUIRED_CLUSTER = yaml.safe_load((EXAMPLES / "cluster/required-host.yaml").read_text())
EXAMPLES_WITH_TAGS = [
    path
    for path in sorted(EXAMPLES.glob("*/*.yaml"))
    if "tags:" in path.read_text() and "status" not in yaml.safe_load(path.read_text())
]


def test_the_examples_carry_developer_tags() -> None:
    assert {path.parent.name for path in EXAMPLES_WITH_TAGS} >= {"cluster", "database"}


@pytest.mark.parametrize(
    "example", EXAMPLES_WITH_TAGS, ids=lambda path: str(path.relative_to(EXAMPLES))
)
def test_roles_carry_only_paved_tags(example: Path) -> None:
    xr = simulate.as_xr(yaml.safe_load(example.read_text()), CLAIM_KINDS)
    required = {"host": [REQUIRED_CLUSTER], "cluster": [REQUIRED_CLUSTER]}
    final = simulate.replay(RUNNER.run, xr, required=required)[-1]
    roles = {k: r for k, r in final.desired.items() if r["kind"] == "Role"}
    developer_tags = {
        key: sorted(
            t for t in r["spec"]["forProvider"].get("tags", {}) if not t.startswith("paved.dev/")
        )
        for key, r in roles.items()
    }
    assert {k: v for k, v in developer_tags.items() if v} == {}
