"""The plugin is served, rendered and generated like a built-in blueprint."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from server.serving import serving
from support.crds import crds_available, validate

from functions import simulate
from functions.cli import main

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def test_paved_serve_composes_the_plugin_over_grpc() -> None:
    xr = yaml.safe_load((EXAMPLES / "xr.yaml").read_text())
    with serving("--insecure") as served:
        rsp = served.run(simulate.request(xr))
    assert not simulate.fatal_messages(rsp)
    assert set(rsp.desired.resources) == {"kms-key", "connection-secret"}


def test_paved_blueprints_lists_it_with_its_source() -> None:
    result = CliRunner().invoke(main, ["blueprints"])
    assert result.exit_code == 0
    assert any(
        line.split() == ["XQueue", "Queue", "paved-queue", "(xqueue)"]
        for line in result.output.splitlines()
    )


def test_paved_render_renders_a_queue_claim() -> None:
    result = CliRunner().invoke(main, ["render", str(EXAMPLES / "claim.yaml"), "--until-ready"])
    assert result.exit_code == 0, result.output
    kinds = [d["kind"] for d in yaml.safe_load_all(result.stdout) if d]
    assert kinds.count("Queue") == 2 and "QueuePolicy" in kinds


@pytest.mark.skipif(not crds_available(), reason="no CRDs in ../shared/crds")
def test_generate_for_another_group_writes_valid_xrds_and_compositions(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["generate", "--group", "platform.acme.io", "--output", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    written = {p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.yaml")}
    assert {"xrds/claim/xqueue.yaml", "xrds/namespaced/xqueue.yaml"} <= written
    composition = yaml.safe_load((tmp_path / "compositions/xqueue.yaml").read_text())
    assert composition["spec"]["compositeTypeRef"] == {
        "apiVersion": "platform.acme.io/v1alpha1",
        "kind": "XQueue",
    }
    for path in (
        "xrds/claim/xqueue.yaml",
        "xrds/namespaced/xqueue.yaml",
        "compositions/xqueue.yaml",
    ):
        errors = validate(yaml.safe_load((tmp_path / path).read_text()))
        assert [e for e in errors if "deprecated version" not in e] == [], path
