"""Plugin blueprints: found through the paved.blueprints entry point group, refused at start
when they clash with a kind already served or are not blueprints."""

from __future__ import annotations

import re
from importlib.metadata import EntryPoint
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from support.crds import crds_available, validate

from functions.blueprints import BUILTIN, ENTRY_POINT_GROUP, PluginError, discover
from functions.cli import main
from functions.kit import Blueprint, CommonParameters, Composite, Desired, Model

NOT_A_BLUEPRINT = "a string"


def _compose(xr: Composite[CommonParameters], out: Desired) -> None:
    pass


def toy(kind: str, claim_kind: str) -> Blueprint[CommonParameters]:
    return Blueprint(kind, claim_kind, "A toy.", CommonParameters, Model, _compose)


TOY = toy("XToy", "Toy")
CLASHING_KIND = toy("XBucket", "Pail")
CLASHING_CLAIM = toy("XPail", "Cluster")


def plugin(name: str, attribute: str) -> EntryPoint:
    return EntryPoint(name, f"{__name__}:{attribute}", ENTRY_POINT_GROUP)


def test_built_ins_and_plugins_are_served_by_kind_with_their_source() -> None:
    registry = discover([plugin("toy", "TOY")])
    assert registry["XToy"].blueprint is TOY
    assert registry["XBucket"].source == BUILTIN
    assert list(registry) == ["XBucket", "XCluster", "XDatabase", "XToy"]


@pytest.mark.parametrize(
    ("attribute", "message"),
    [
        ("CLASHING_KIND", "kind XBucket is already served by paved (built-in)"),
        ("CLASHING_CLAIM", "kind Cluster is already served by paved (built-in)"),
        ("NOT_A_BLUEPRINT", "is a str, not a Blueprint"),
        ("MISSING", "cannot load"),
    ],
)
def test_a_plugin_that_cannot_be_served_is_an_error_at_start(attribute: str, message: str) -> None:
    with pytest.raises(PluginError, match=re.escape(message)):
        discover([plugin("broken", attribute)])


def test_two_plugins_with_one_kind_clash() -> None:
    with pytest.raises(PluginError, match="kind XToy is already served by"):
        discover([plugin("a", "TOY"), plugin("b", "TOY")])


def test_paved_blueprints_lists_the_built_ins() -> None:
    result = CliRunner().invoke(main, ["blueprints"])
    assert result.exit_code == 0
    assert result.output.splitlines()[1].split()[:2] == ["XBucket", "Bucket"]


@pytest.mark.skipif(not crds_available(), reason="no CRDs in ../shared/crds")
def test_generate_for_another_group_is_valid_and_names_nothing_of_paved(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main,
        [
            "generate",
            "--group",
            "platform.acme.io",
            "--api-version",
            "v1",
            "--output",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 0, result.output
    for path in sorted((tmp_path / "xrds").rglob("*.yaml")) + sorted(
        (tmp_path / "compositions").rglob("*.yaml")
    ):
        text = path.read_text()
        assert "platform.paved.dev" not in text.replace("platform.paved.dev/blueprint", ""), path
        errors = validate(yaml.safe_load(text))
        assert [e for e in errors if "deprecated version" not in e] == [], path


@pytest.mark.parametrize("group", ["Platform.Acme.io", "acme", "-acme.io"])
def test_generate_refuses_a_group_that_is_not_a_dns_subdomain(group: str) -> None:
    result = CliRunner().invoke(main, ["generate", "--group", group, "--check"])
    assert result.exit_code == 2
    assert "is not an API group" in result.output
