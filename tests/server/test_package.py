"""The package files a platform team installs: valid against Crossplane's own CRDs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from support.crds import CRDS_DIR, crds_available, validate

from functions.cli import main
from functions.metrics import Metrics

PACKAGE = Path(__file__).resolve().parent.parent.parent / "package"
EXAMPLES = PACKAGE.parent / "examples"

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


def _serve_envvars() -> set[str]:
    serve = main.commands["serve"]
    return {
        name
        for param in serve.params
        for name in ([param.envvar] if isinstance(param.envvar, str) else param.envvar or [])
    }


def test_the_runtime_config_is_not_in_a_package_root() -> None:
    """Crossplane's package parser refuses objects it does not know in a package root."""
    assert not list(PACKAGE.rglob("runtime-config*.yaml"))


def test_the_runtime_config_is_valid_and_runs_one_process_per_cpu() -> None:
    config = _example("runtime-config.yaml")
    assert validate(config) == []
    template = config["spec"]["deploymentTemplate"]
    pod = template["spec"]["template"]["spec"]
    container = pod["containers"][0]
    assert container["name"] == "package-runtime"  # the container Crossplane runs the function in
    env = {item["name"]: item["value"] for item in container["env"]}
    assert set(env) <= _serve_envvars()
    assert "WORKERS" not in env
    # One process uses one CPU; the pods, not processes, are what Crossplane spreads calls over.
    assert container["resources"]["requests"]["cpu"] == "1"
    assert template["spec"]["replicas"] >= 2
    # Room for the drain, and a plaintext health port the kubelet's gRPC probe can reach.
    assert pod["terminationGracePeriodSeconds"] > float(env["GRACE_PERIOD"])
    health_port = int(env["HEALTH_ADDRESS"].rpartition(":")[2])
    assert container["readinessProbe"]["grpc"]["port"] == health_port
    # The documented memory budget fits the limit.
    budget = 80 + int(env["CACHE_SIZE_MB"]) + 16 + (int(env["MAX_CONCURRENT_CALLS"]) * 4 + 6) * 4
    assert budget <= _mebibytes(container["resources"]["limits"]["memory"])


def test_the_autoscaler_example_scales_the_functions_deployment_on_its_own_metrics() -> None:
    import kubernetes_validate

    autoscaler = _example("runtime-config-hpa.yaml")
    kubernetes_validate.validate(autoscaler, "1.33", strict=True)
    config = _example("runtime-config.yaml")
    deployment = config["spec"]["deploymentTemplate"]["metadata"]["name"]
    assert autoscaler["spec"]["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": deployment,
    }
    metric_names = {
        metric["pods"]["metric"]["name"]
        for metric in autoscaler["spec"]["metrics"]
        if metric["type"] == "Pods"
    }
    exported = {family.name for family in Metrics().registry.collect() if family.type == "gauge"}
    assert metric_names and metric_names <= exported


def test_serve_reads_its_settings_from_the_environment() -> None:
    result = CliRunner().invoke(main, ["serve", "--help"])
    assert "--metrics-address" in result.output and "--max-concurrent-calls" in result.output
    assert {"MAX_CONCURRENT_CALLS", "HEALTH_ADDRESS", "GRACE_PERIOD"} <= _serve_envvars()


def _example(name: str) -> dict[str, Any]:
    return yaml.safe_load((EXAMPLES / name).read_text())


def _mebibytes(quantity: str) -> int:
    units = {"Mi": 1, "Gi": 1024}
    return int(quantity[:-2]) * units[quantity[-2:]]
