"""`paved bench` measures what the issue asks: the largest blueprint as its example is used."""

from __future__ import annotations

import pytest

from functions import bench
from functions.kit.observed import lookup


@pytest.fixture(scope="module")
def found() -> dict[str, bench.Workload]:
    return bench.workloads()


def test_the_largest_workload_is_the_cluster_claim_with_its_platform(
    found: dict[str, bench.Workload],
) -> None:
    big = bench.largest(found)
    assert (big.kind, big.example) == ("XCluster", "examples/cluster/claim.yaml")
    assert big.label == f"XCluster ({big.resources} resources, examples/cluster/claim.yaml)"
    assert big.resources == max(w.resources for w in found.values()) >= 150
    observed = big.request.observed.resources
    kinds = {lookup(resource.resource, "kind") for resource in observed.values()}
    assert "Release" in kinds  # the platform's Helm releases are composed and observed
    assert lookup(big.request.observed.composite.resource, "spec", "parameters", "platform")


def test_only_runs_the_blueprints_asked_for_and_refuses_unknown_ones() -> None:
    with pytest.raises(RuntimeError, match="no example of XNothing composes"):
        bench.run(requests=50, scaling=False, kinds=["XNothing"])
