"""The package files a platform team installs: valid against Crossplane's own CRDs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from support.crds import CRDS_DIR, crds_available, validate

from functions.cli import main

PACKAGE = Path(__file__).resolve().parent.parent.parent / "package"

pytestmark = pytest.mark.skipif(not crds_available(), reason=f"no CRDs at {CRDS_DIR}")


def _load(name: str) -> dict[str, Any]:
    return yaml.safe_load((PACKAGE / name).read_text())


def test_the_package_metadata_is_a_valid_function() -> None:
    meta = _load("function/crossplane.yaml")
    assert (meta["apiVersion"], meta["kind"]) == ("meta.pkg.crossplane.io/v1", "Function")
    assert meta["metadata"]["name"] == "function-paved"
    assert meta["spec"]["crossplane"]["version"]
    annotations = meta["metadata"]["annotations"]
    for key in ("maintainer", "source", "license", "description", "readme"):
        assert annotations[f"meta.crossplane.io/{key}"].strip()
    assert validate(meta) == []


def test_the_runtime_config_is_valid_and_configures_what_serve_reads() -> None:
    config = _load("runtime-config.yaml")
    assert validate(config) == []
    container = config["spec"]["deploymentTemplate"]["spec"]["template"]["spec"]["containers"][0]
    assert container["name"] == "package-runtime"  # the container Crossplane runs the function in
    serve = main.commands["serve"]
    envvars = {
        name
        for param in serve.params
        for name in ([param.envvar] if isinstance(param.envvar, str) else param.envvar or [])
    }
    assert {env["name"] for env in container["env"]} <= envvars
    workers = next(int(env["value"]) for env in container["env"] if env["name"] == "WORKERS")
    assert int(container["resources"]["requests"]["cpu"]) == workers


def test_serve_reads_its_settings_from_the_environment() -> None:
    result = CliRunner().invoke(main, ["serve", "--help"])
    assert "--workers" in result.output and "--metrics-address" in result.output
