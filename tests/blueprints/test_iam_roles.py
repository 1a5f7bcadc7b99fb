"""Every IAM role any blueprint composes carries only Paved's identifying tags.

On a role, tags are principal tags that IAM policies can grant access by (ABAC): a developer's
`tags` reaching a role would let them grant themselves what a policy keyed on a tag allows.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from support.compose import EXAMPLE_XRS, example_id, replay_example


def paved(tag: str) -> bool:
    return tag.startswith("paved.dev/")


EXAMPLES_WITH_TAGS = [path for path in EXAMPLE_XRS if "tags:" in path.read_text()]


def test_the_examples_carry_developer_tags() -> None:
    assert {path.parent.name for path in EXAMPLES_WITH_TAGS} >= {"cluster", "database"}


@pytest.mark.parametrize("example", EXAMPLES_WITH_TAGS, ids=example_id)
def test_roles_carry_only_paved_tags(example: Path) -> None:
    final = replay_example(example)[-1]
    roles = {k: r for k, r in final.desired.items() if r["kind"] == "Role"}
    developer_tags = {
        key: sorted(tag for tag in r["spec"]["forProvider"].get("tags", {}) if not paved(tag))
        for key, r in roles.items()
    }
    assert {k: v for k, v in developer_tags.items() if v} == {}
