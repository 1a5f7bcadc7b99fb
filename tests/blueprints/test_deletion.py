"""Deleting an XR: Crossplane deletes every composed resource at once and the Usages hold back
what is still used (`simulate.delete_all`). Given each example fully composed, deleting it
finishes, in an order that leaves nothing behind in AWS and nothing stuck in a cluster."""

from __future__ import annotations

import functools
from pathlib import Path

import pytest
from support.compose import EXAMPLE_XRS, EXAMPLES, example_id, replay_example

from functions import simulate


@functools.cache
def composed(example: str, mode: str) -> dict[str, dict]:  # type: ignore[type-arg]
    return replay_example(EXAMPLES / example, mode)[-1].desired


@pytest.mark.parametrize("mode", ["claim", "namespaced"])
@pytest.mark.parametrize("example", EXAMPLE_XRS, ids=example_id)
def test_deleting_the_xr_finishes(example: Path, mode: str) -> None:
    resources = composed(example_id(example), mode)
    deletion = simulate.delete_all(resources)
    assert deletion.stuck == []
    assert sorted(key for wave in deletion.waves for key in wave) == sorted(resources)


def _before(deletion: simulate.Deletion, first: list[str], then: list[str]) -> list[str]:
    """What of `first` is not deleted strictly before everything of `then`."""
    last_of_then = min(deletion.wave_of(key) for key in then)
    return [key for key in first if deletion.wave_of(key) >= last_of_then]


@pytest.mark.parametrize("mode", ["claim", "namespaced"])
def test_a_cluster_is_taken_down_from_the_inside_out(mode: str) -> None:
    resources = composed("cluster/claim.yaml", mode)
    deletion = simulate.delete_all(resources)
    kinds = {key: r["kind"] for key, r in resources.items()}
    releases = [k for k, kind in kinds.items() if kind == "Release"]
    node_groups = [k for k, kind in kinds.items() if kind == "NodeGroup"]
    applications = [k for k in resources if k.startswith("argocd-bootstrap")]
    addons = [k for k, kind in kinds.items() if kind == "Addon"]
    assert releases and node_groups and applications and len(addons) == 5

    # Argo CD's Applications first: their finalizer deletes the workloads, their load balancers
    # and volumes, while the load balancer controller and the EBS CSI driver still run.
    assert _before(deletion, applications, ["load-balancer-controller"]) == []
    assert _before(deletion, applications, ["addon-aws-ebs-csi-driver"]) == []
    # The load balancer controller before the rest of the platform, every Release before the
    # nodes they run on and the kubeconfig Helm uninstalls them with.
    others = [k for k in releases if k != "load-balancer-controller"]
    assert _before(deletion, ["load-balancer-controller"], others) == []
    assert _before(deletion, releases, [*node_groups, "cluster-auth"]) == []
    # The nodes before the cluster; what the nodes and their pods need (add-ons, the node role's
    # policies, the EBS CSI driver's identity) after it.
    assert _before(deletion, node_groups, ["eks-cluster"]) == []
    node_role = ["node-role-worker-policy", "node-role-ecr-policy", "node-role-cni-policy"]
    ebs_csi = ["ebs-csi-pod-identity", "ebs-csi-role", "ebs-csi-role-policy"]
    assert _before(deletion, ["eks-cluster"], [*addons, *node_role, *ebs_csi]) == []
    # In-cluster objects while the cluster and its kubeconfig are there; the network last.
    assert _before(deletion, ["storage-class"], ["eks-cluster", "cluster-auth"]) == []
    subnets = [k for k, kind in kinds.items() if kind == "Subnet" and "private" in k]
    assert _before(deletion, ["eks-cluster"], ["vpc", *subnets, "cluster-role"]) == []
    # The nodes' way out to AWS (NAT gateways, routes, route table associations: EC2 deletes
    # them whenever asked) stays until the cluster is gone: the load balancer controller and the
    # EBS CSI driver call AWS from the nodes while the platform is deleted.
    egress = [
        k for k, kind in kinds.items() if kind in ("NATGateway", "Route", "RouteTableAssociation")
    ]
    assert len(egress) == 3 + 4 + 6
    assert _before(deletion, ["eks-cluster"], egress) == []


@pytest.mark.parametrize("mode", ["claim", "namespaced"])
def test_a_vcluster_is_emptied_through_its_own_api_before_it_goes(mode: str) -> None:
    deletion = simulate.delete_all(composed("cluster/claim-vcluster.yaml", mode))
    bindings = [k for k in ("admins", "viewers") if any(k in wave for wave in deletion.waves)]
    assert bindings
    assert _before(deletion, bindings, ["vcluster", "kubeconfig"]) == []
    assert _before(deletion, ["vcluster"], ["vcluster-namespace"]) == []


def test_a_usage_cycle_never_finishes() -> None:
    def usage(name: str, of: str, by: str) -> dict:  # type: ignore[type-arg]
        def ref(target: str) -> dict:  # type: ignore[type-arg]
            return {"kind": "ConfigMap", "resourceRef": {"name": target}}

        return {"kind": "Usage", "metadata": {"name": name}, "spec": {"of": ref(of), "by": ref(by)}}

    thing = {"kind": "ConfigMap"}
    deletion = simulate.delete_all(
        {
            "a": {**thing, "metadata": {"name": "a"}},
            "b": {**thing, "metadata": {"name": "b"}},
            "a-by-b": usage("a-by-b", "a", "b"),
            "b-by-a": usage("b-by-a", "b", "a"),
        }
    )
    assert deletion.waves == []
    assert deletion.stuck == ["a", "a-by-b", "b", "b-by-a"]


def test_a_reconcile_cannot_delete_what_a_composed_usage_still_names() -> None:
    def usage(of: str, by: str) -> dict:  # type: ignore[type-arg]
        def ref(target: str) -> dict:  # type: ignore[type-arg]
            return {"kind": "ConfigMap", "resourceRef": {"name": target}}

        return {
            "kind": "Usage",
            "metadata": {"name": f"{of}-by-{by}"},
            "spec": {"of": ref(of), "by": ref(by)},
        }

    dropped = {
        "a": {"kind": "ConfigMap", "metadata": {"name": "a"}},
        "b": {"kind": "ConfigMap", "metadata": {"name": "b"}},
        "b-by-c": usage("b", "c"),
    }
    still_desired = {
        "a-by-c": usage("a", "c"),
        "c": {"kind": "ConfigMap", "metadata": {"name": "c"}},
    }
    # The webhook refuses to delete `a`; `b`'s Usage is decomposed with it and does not hold it.
    assert simulate.held_by_usages(still_desired, dropped) == {"a"}
