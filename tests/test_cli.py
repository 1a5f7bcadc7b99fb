"""`paved render` and `paved generate`, as a platform engineer runs them."""

from __future__ import annotations

from pathlib import Path

import yaml
from click.testing import CliRunner
from support.compose import EXAMPLES, REPO

from functions.cli import main


def _render(*args: str) -> tuple[int, list[dict]]:
    result = CliRunner().invoke(main, ["render", *args])
    documents = [d for d in yaml.safe_load_all(result.stdout) if d] if result.stdout else []
    return result.exit_code, documents


def test_render_a_claim_shows_the_xr_and_the_first_stage() -> None:
    code, documents = _render(str(EXAMPLES / "bucket/claim.yaml"))
    assert code == 0
    xr, *composed = documents
    assert xr["kind"] == "XBucket"
    assert xr["status"]["progress"]["total"] == 8
    assert {d["kind"] for d in composed} == {"Bucket", "Key"}
    assert all(
        d["apiVersion"].endswith(".aws.upbound.io/v1beta2") or d["kind"] == "Key" for d in composed
    )


def test_render_a_namespaced_xr_until_ready() -> None:
    code, documents = _render(str(EXAMPLES / "bucket/xr.yaml"), "--until-ready", "--no-xr")
    assert code == 0
    assert {d["metadata"]["namespace"] for d in documents} == {"team-a"}
    assert len(documents) == 8


def test_render_with_observed_resources(tmp_path: Path) -> None:
    _, first = _render(str(EXAMPLES / "bucket/xr.yaml"), "--no-xr")
    bucket = next(d for d in first if d["kind"] == "Bucket")
    bucket["status"] = {"conditions": [{"type": "Ready", "status": "True", "reason": "Available"}]}
    observed = tmp_path / "observed.yaml"
    observed.write_text(yaml.safe_dump(bucket))
    _, documents = _render(str(EXAMPLES / "bucket/xr.yaml"), "--observed", str(observed), "--no-xr")
    assert "BucketVersioning" in {d["kind"] for d in documents}


def test_render_bad_input_exits_non_zero_with_the_message(tmp_path: Path) -> None:
    claim = tmp_path / "claim.yaml"
    claim.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "platform.paved.dev/v1alpha1",
                "kind": "Bucket",
                "metadata": {"name": "b", "namespace": "n"},
                "spec": {"parameters": {}},
            }
        )
    )
    result = CliRunner().invoke(main, ["render", str(claim)])
    assert result.exit_code == 1
    assert "spec.parameters.region: field required" in result.stderr


def test_generate_check_passes_on_the_committed_files() -> None:
    result = CliRunner().invoke(main, ["generate", "--check", "--root", str(REPO)])
    assert result.exit_code == 0, result.output
