"""`paved bench` measures what the issue asks: the largest blueprint as its example is used."""

from __future__ import annotations

import pytest
from support import crds

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


def test_requests_carry_each_composed_resource_as_the_api_server_returns_it(
    found: dict[str, bench.Workload],
) -> None:
    """Every workload's observed resources: Crossplane's metadata and field manager, the
    finalizer, and valid against their CRDs, status included (as replayed, and as sent)."""
    for workload in found.values():
        assert workload.replayed is not None
        xr = lookup(workload.request.observed.composite.resource)
        for key, resource in workload.request.observed.resources.items():
            stored = lookup(resource.resource)
            metadata = stored["metadata"]
            assert metadata["labels"]["crossplane.io/composite"] == xr["metadata"]["name"], key
            assert metadata["ownerReferences"][-1]["controller"] is True
            managers = [entry["manager"] for entry in metadata["managedFields"]]
            assert managers[0].startswith("apiextensions.crossplane.io/composed/")
            if "forProvider" in stored["spec"]:
                assert metadata["finalizers"] == ["finalizer.managedresource.crossplane.io"]
            replayed = lookup(workload.replayed.observed.resources[key].resource)
            assert crds.validate(replayed) == [], (key, crds.validate(replayed))
            assert crds.validate(stored) == [], (key, crds.validate(stored))
    big = bench.largest(found)
    assert big.replayed is not None
    assert len(big.request.SerializeToString()) > 2 * len(big.replayed.SerializeToString())
