"""XCluster day 2: given a running cluster (observed state) and a changed spec, these resources.

Every change to a running XR is applied in place, rolled (a new node group before the old one
goes), or refused with one FATAL result naming the field; nothing observed is dropped except by an
explicit removal. Provider behaviour comes from ../shared/provider-facts/facts.yaml.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
import yaml
from crossplane.function.proto.v1 import run_function_pb2 as fnv1
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.compose import (
    RUNNER,
    fatal_messages,
    load_xr,
    namespaced,
    refusal,
    status,
    with_parameters,
)
from support.transitions import forced_replacements, without_status

from functions import simulate
from functions.resources.eks_addons import ADDON_VERSIONS

CLAIM = load_xr("cluster/claim.yaml")
XR = load_xr("cluster/xr.yaml")
MODES = {"claim": CLAIM, "namespaced": XR}
REPO = Path(__file__).resolve().parents[3]
Observed = dict[str, simulate.ObservedResource]


# -- a running cluster, and reconciling it ------------------------------------------------------


@functools.cache
def _steady(mode: str) -> fnv1.RunFunctionRequest:
    return simulate.replay(RUNNER.run, MODES[mode])[-1].request


def running(mode: str) -> tuple[dict[str, Any], Observed]:
    """The XR (with its status) and the observed resources of a fully composed, Ready cluster."""
    req = _steady(mode)
    xr = simulate.lookup(req.observed.composite.resource)
    return xr, simulate.observed_resources(req)


def compose(xr: dict[str, Any], observed: Observed) -> fnv1.RunFunctionResponse:
    return RUNNER.run(simulate.request(xr, observed))


def desired(rsp: fnv1.RunFunctionResponse) -> dict[str, dict[str, Any]]:
    return simulate.desired_resources(rsp)


def reconcile(
    xr: dict[str, Any],
    rsp: fnv1.RunFunctionResponse,
    *,
    not_ready: Iterable[str] = (),
    keep: Observed | None = None,
) -> Observed:
    """What Crossplane observes after applying `rsp`: every desired resource created (Ready unless
    listed), resources it already observed keep their observed state (`keep`)."""
    waiting = set(not_ready)
    observed: Observed = {}
    for key, resource in desired(rsp).items():
        fresh = simulate.observe(key, resource, ready=key not in waiting)
        before = (keep or {}).get(key)
        if before is not None and before.resource.get("spec") == resource.get("spec"):
            observed[key] = copy.deepcopy(before)
            if "conditions" in fresh.resource.get("status", {}):
                observed[key].resource["status"]["conditions"] = fresh.resource["status"][
                    "conditions"
                ]
        else:
            observed[key] = fresh
    return observed


def changed(xr: dict[str, Any], **parameters: Any) -> dict[str, Any]:
    return with_parameters(xr, **parameters)


def assert_refused(xr: dict[str, Any], observed: Observed, field: str, why: str) -> None:
    """One FATAL result naming `field`, and the desired state left as it was."""
    fatal = refusal(xr, observed)
    assert fatal.startswith(f"{field}: "), fatal
    assert why in fatal


def for_provider(resource: dict[str, Any]) -> dict[str, Any]:
    return resource["spec"]["forProvider"]


# -- 8.2 account-scoped names ----------------------------------------------------------------


def _account_scoped_names(rsp: fnv1.RunFunctionResponse) -> set[str]:
    """AWS names whose scope is the account or region: IAM roles and the EKS cluster."""
    return {
        r["metadata"]["annotations"]["crossplane.io/external-name"]
        for r in desired(rsp).values()
        if r["kind"] in ("Role", "Cluster") and r["apiVersion"].startswith(("iam.", "eks."))
    }


def _claim_in(namespace: str) -> dict[str, Any]:
    claim = yaml.safe_load((REPO / "examples" / "cluster" / "claim.yaml").read_text())
    claim["metadata"]["namespace"] = namespace
    return simulate.claim_to_xr(claim)


@pytest.mark.parametrize("mode", MODES)
def test_two_teams_clusters_of_the_same_name_share_no_account_scoped_name(mode: str) -> None:
    if mode == "namespaced":
        team_a, team_b = namespaced(XR, "team-a"), namespaced(XR, "team-b")
    else:
        team_a, team_b = _claim_in("team-a"), _claim_in("team-b")
    final_a = simulate.replay(RUNNER.run, team_a)[-1].response
    final_b = simulate.replay(RUNNER.run, team_b)[-1].response
    names_a, names_b = _account_scoped_names(final_a), _account_scoped_names(final_b)
    assert len(names_a) >= 4  # the cluster and its three roles, and the platform's roles
    assert names_a.isdisjoint(names_b)


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        # Claim mode: what every existing claim's roles are called; never changes.
        (
            "claim",
            {
                "cluster-role": "platform-2e523-cluster-role",
                "node-role": "platform-2e523-node-role",
                "ebs-csi-role": "platform-2e523-ebs-csi-role",
            },
        ),
        (
            "namespaced",
            {
                "cluster-role": "team-a-platform-cluster-role",
                "node-role": "team-a-platform-node-role",
                "ebs-csi-role": "team-a-platform-ebs-csi-role",
            },
        ),
    ],
)
def test_iam_role_names_are_pinned(mode: str, expected: dict[str, str]) -> None:
    resources = desired(compose(*running(mode)))
    names = {
        key: resources[key]["metadata"]["annotations"]["crossplane.io/external-name"]
        for key in expected
    }
    assert names == expected


def test_role_names_fit_iam_and_stay_unique_when_long() -> None:
    long_a = {**XR, "metadata": {"name": "p" * 63, "namespace": "n" * 63}}
    long_b = {**XR, "metadata": {"name": "p" * 63, "namespace": "n" * 62 + "m"}}
    roles = []
    for xr in (long_a, long_b):
        resources = desired(compose(xr, {}))
        roles.append(
            {
                r["metadata"]["annotations"]["crossplane.io/external-name"]
                for r in resources.values()
                if r["kind"] == "Role"
            }
        )
    assert all(len(name) <= 64 for names in roles for name in names)
    assert roles[0].isdisjoint(roles[1])


def test_a_role_keeps_the_name_it_was_created_with() -> None:
    """IAM role names cannot change (ForceNew): a namespaced cluster composed before namespaces
    were part of the name keeps its roles."""
    xr, observed = running("namespaced")
    observed["node-role"].resource["metadata"]["annotations"]["crossplane.io/external-name"] = (
        "platform-node-role"
    )
    resources = desired(compose(xr, observed))
    annotations = resources["node-role"]["metadata"]["annotations"]
    assert annotations["crossplane.io/external-name"] == "platform-node-role"


def test_the_eks_cluster_keeps_the_name_it_was_created_with() -> None:
    xr, observed = running("namespaced")
    annotations = observed["eks-cluster"].resource["metadata"]["annotations"]
    annotations["crossplane.io/external-name"] = "platform"
    rsp = compose(xr, observed)
    resources = desired(rsp)
    assert resources["eks-cluster"]["metadata"]["annotations"] == {
        "crossplane.io/external-name": "platform"
    }
    assert status(rsp)["cluster"]["name"] == "platform"


@pytest.mark.parametrize("mode", MODES)
def test_developer_tags_stay_off_iam_roles(mode: str) -> None:
    """On an IAM principal tags are principal tags, which ABAC policies grant access by."""
    resources = desired(compose(*running(mode)))
    for key in ("cluster-role", "node-role", "ebs-csi-role"):
        tags = for_provider(resources[key])["tags"]
        assert tags and all(k.startswith("paved.dev/") for k in tags), tags
    assert for_provider(resources["vpc"])["tags"]["team"] == "team-a"


# -- 8.7 network changes ---------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_removing_a_zone_is_refused(mode: str) -> None:
    xr, observed = running(mode)
    assert_refused(
        changed(xr, network={**xr["spec"]["parameters"]["network"], "zones": 2}),
        observed,
        "spec.parameters.network.zones",
        "the cluster runs in eu-west-1c: removing a zone is not supported",
    )


def test_dropping_an_explicit_availability_zone_is_refused() -> None:
    xr = changed(
        XR, network={"cidr": "10.40.0.0/16", "availabilityZones": ["eu-west-1a", "eu-west-1b"]}
    )
    observed = simulate.replay(RUNNER.run, xr)[-1].request
    observed_resources = simulate.observed_resources(observed)
    assert_refused(
        changed(
            xr, network={"cidr": "10.40.0.0/16", "availabilityZones": ["eu-west-1a", "eu-west-1c"]}
        ),
        observed_resources,
        "spec.parameters.network.availabilityZones",
        "eu-west-1b",
    )


@pytest.mark.parametrize("status_missing", [False, True])
@pytest.mark.parametrize("mode", MODES)
def test_changing_the_vpc_cidr_is_refused(mode: str, status_missing: bool) -> None:
    xr, observed = running(mode)
    if status_missing:
        observed = without_status(observed, "vpc")
    assert_refused(
        changed(xr, network={**xr["spec"]["parameters"]["network"], "cidr": "10.50.0.0/16"}),
        observed,
        "spec.parameters.network.cidr",
        "the VPC was created with 10.40.0.0/16; a VPC's CIDR cannot change",
    )


@pytest.mark.parametrize("mode", MODES)
def test_adding_a_zone_adds_its_network_and_rolls_the_node_groups_onto_it(mode: str) -> None:
    network = {"cidr": "10.40.0.0/16", "zones": 3}
    xr, observed = _running_xr(changed(MODES[mode], region="us-east-1", network=network))
    grown = changed(xr, network={**network, "zones": 4})
    name = xr["metadata"]["name"]

    rsp = compose(grown, observed)

    assert not fatal_messages(rsp)
    resources = desired(rsp)
    assert set(observed) <= set(resources), "nothing observed is dropped"
    for key in (
        "subnet-private-d",
        "subnet-public-d",
        "route-table-private-d",
        "route-private-d-nat",
    ):
        assert key in resources
    # EKS only takes control-plane subnets in the zones it was created in.
    assert for_provider(resources["eks-cluster"])["vpcConfig"]["subnetIdRefs"] == [
        {"name": f"{name}-subnet-private-{z}"} for z in "abc"
    ]
    # Node groups cannot change subnets: new ones over four zones replace them, the old ones stay
    # until those are Ready.
    (new,) = [k for k in resources if k.startswith("nodes-general-")]
    assert for_provider(resources[new])["subnetIdRefs"] == [
        {"name": f"{name}-subnet-private-{z}"} for z in "abcd"
    ]
    assert resources["nodes-general"]["spec"] == observed["nodes-general"].resource["spec"]


def _running_xr(xr: dict[str, Any]) -> tuple[dict[str, Any], Observed]:
    final = simulate.replay(RUNNER.run, xr)[-1].request
    xr = simulate.lookup(final.observed.composite.resource)
    return xr, simulate.observed_resources(final)


def _route_moved(observed: Observed, zone: str, nat_key: str) -> None:
    """The provider re-resolved the route's NAT gateway and AWS now routes through it."""
    nat_id = observed[nat_key].resource["status"]["atProvider"]["id"]
    observed[f"route-private-{zone}-nat"].resource["status"]["atProvider"]["natGatewayId"] = nat_id


def test_per_zone_nat_gateways_become_one_without_cutting_a_route() -> None:
    xr, observed = running("claim")  # natGateways: perZone
    for zone in "abc":
        _route_moved(observed, zone, f"nat-gateway-{zone}")
    single = changed(xr, network={"cidr": "10.40.0.0/16", "zones": 3, "natGateways": "single"})

    rsp = compose(single, observed)
    resources = desired(rsp)
    for zone in "abc":
        assert for_provider(resources[f"route-private-{zone}-nat"])["natGatewayIdRef"] == {
            "name": "platform-2e523-nat-gateway-a",
            "policy": {"resolve": "Always"},
        }
    # The routes still go through b and c: their gateways stay.
    assert {"nat-gateway-b", "nat-gateway-c", "eip-nat-b", "eip-nat-c"} <= set(resources)

    observed = reconcile(single, rsp, keep=observed)
    for zone in "abc":
        _route_moved(observed, zone, "nat-gateway-a")
    resources = desired(compose(single, observed))
    assert not {"nat-gateway-b", "nat-gateway-c", "eip-nat-b", "eip-nat-c"} & set(resources)
    assert "nat-gateway-a" in resources


def test_one_nat_gateway_becomes_one_per_zone_routes_move_once_each_is_ready() -> None:
    xr, observed = running("namespaced")  # natGateways: single
    per_zone = changed(xr, network={"cidr": "10.40.0.0/16", "natGateways": "perZone"})

    rsp = compose(per_zone, observed)
    resources = desired(rsp)
    assert {"nat-gateway-b", "nat-gateway-c", "eip-nat-b"} <= set(resources)
    route_b = for_provider(resources["route-private-b-nat"])["natGatewayIdRef"]
    assert route_b["name"] == "platform-nat-gateway-a", "b's own gateway is not Ready yet"

    observed = reconcile(per_zone, rsp, keep=observed)
    resources = desired(compose(per_zone, observed))
    assert for_provider(resources["route-private-b-nat"])["natGatewayIdRef"] == {
        "name": "platform-nat-gateway-b",
        "policy": {"resolve": "Always"},
    }


# -- 8.8 immutable fields: node pools roll, everything else is refused -----------------------


def _pools(xr: dict[str, Any]) -> list[dict[str, Any]]:
    return copy.deepcopy(xr["spec"]["parameters"]["nodePools"])


def _with_pool(xr: dict[str, Any], index: int, **fields: Any) -> dict[str, Any]:
    pools = _pools(xr)
    pools[index].update(fields)
    return changed(xr, nodePools=pools)


@pytest.mark.parametrize(
    "change",
    [
        {"instanceTypes": ["m7i.2xlarge"]},
        {"capacityType": "SPOT"},
        {"diskSizeGiB": 200},
        {"instanceTypes": ["m7g.large"]},  # architecture: the AMI type changes
    ],
    ids=["instanceTypes", "capacityType", "diskSizeGiB", "architecture"],
)
@pytest.mark.parametrize("mode", MODES)
def test_an_immutable_node_pool_change_rolls_a_new_node_group_in_before_the_old_goes(
    mode: str, change: dict[str, Any]
) -> None:
    xr, observed = running(mode)
    if mode == "namespaced" and change == {"instanceTypes": ["m7g.large"]}:
        change = {"instanceTypes": ["m7i.large"]}  # namespaced' general pool is Graviton
    rolled = _with_pool(xr, 0, **change)

    rsp = compose(rolled, observed)
    resources = desired(rsp)
    assert not fatal_messages(rsp)
    (new,) = [k for k in resources if k.startswith("nodes-general-")]
    assert resources["nodes-general"] == _as_desired(observed["nodes-general"])
    assert resources[new]["metadata"]["annotations"]["crossplane.io/external-name"] == (
        "general-" + new.removeprefix("nodes-general-")
    )
    assert f"usage-cluster-by-{new}" not in resources  # once the new group exists
    assert any("nodes-general: replaced by" in r.message for r in rsp.results)

    # The new group is created but not Ready yet: the old one stays.
    observed = reconcile(rolled, rsp, not_ready=[new], keep=observed)
    resources = desired(compose(rolled, observed))
    assert "nodes-general" in resources and new in resources

    # Ready: the old one goes (EKS drains it), and the new one is now the pool's.
    observed = reconcile(rolled, compose(rolled, observed), keep=observed)
    rsp = compose(rolled, observed)
    resources = desired(rsp)
    assert "nodes-general" not in resources
    assert "usage-cluster-by-nodes-general" not in resources
    assert {new, f"usage-cluster-by-{new}", f"usage-node-role-by-{new}"} <= set(resources)
    # Steady again: composing once more changes nothing.
    again = desired(compose(rolled, reconcile(rolled, rsp, keep=observed)))
    assert set(again) == set(resources)


def test_a_replacement_starts_with_as_many_nodes_as_the_group_it_replaces() -> None:
    xr, observed = running("claim")
    general = observed["nodes-general"].resource["status"]["atProvider"]
    general["scalingConfig"] = {"minSize": 2, "maxSize": 6, "desiredSize": 5}
    resources = desired(compose(_with_pool(xr, 0, instanceTypes=["m7i.2xlarge"]), observed))
    (new,) = [k for k in resources if k.startswith("nodes-general-")]
    assert resources[new]["spec"]["initProvider"] == {"scalingConfig": {"desiredSize": 5}}


def _as_desired(item: simulate.ObservedResource) -> dict[str, Any]:
    resource = item.resource
    metadata = {"name": resource["metadata"]["name"]}
    if "namespace" in resource["metadata"]:
        metadata["namespace"] = resource["metadata"]["namespace"]
    metadata["annotations"] = {
        "crossplane.io/external-name": resource["metadata"]["annotations"][
            "crossplane.io/external-name"
        ]
    }
    return {
        "apiVersion": resource["apiVersion"],
        "kind": resource["kind"],
        "metadata": metadata,
        "spec": resource["spec"],
    }


@pytest.mark.parametrize(
    "change",
    [{"minSize": 1}, {"maxSize": 9}, {"labels": {"tier": "web"}}, {"taints": []}],
    ids=["minSize", "maxSize", "labels", "taints"],
)
def test_a_mutable_node_pool_change_is_applied_in_place(change: dict[str, Any]) -> None:
    xr, observed = running("claim")
    resources = desired(compose(_with_pool(xr, 1, **change), observed))
    assert [k for k in resources if k.startswith("nodes-")] == ["nodes-batch", "nodes-general"]


def test_a_node_group_whose_status_is_missing_is_not_replaced() -> None:
    xr, observed = running("claim")
    resources = desired(compose(xr, without_status(observed)))
    assert sorted(k for k in resources if k.startswith("nodes-")) == [
        "nodes-batch",
        "nodes-general",
    ]


@pytest.mark.parametrize("mode", MODES)
def test_renaming_a_pool_keeps_the_old_node_group_until_the_new_one_is_ready(mode: str) -> None:
    xr, observed = running(mode)
    renamed = _with_pool(xr, 0, name="compute")

    rsp = compose(renamed, observed)
    resources = desired(rsp)
    assert {"nodes-compute", "nodes-general"} <= set(resources)
    observed = reconcile(renamed, rsp, not_ready=["nodes-compute"], keep=observed)
    assert "nodes-general" in desired(compose(renamed, observed))
    observed = reconcile(renamed, compose(renamed, observed), keep=observed)
    resources = desired(compose(renamed, observed))
    assert "nodes-general" not in resources and "nodes-compute" in resources


def test_removing_a_pool_drops_its_node_group_when_the_others_are_ready() -> None:
    xr, observed = running("claim")
    resources = desired(compose(changed(xr, nodePools=_pools(xr)[:1]), observed))
    assert "nodes-batch" not in resources
    assert "usage-cluster-by-nodes-batch" not in resources
    assert "nodes-general" in resources


def test_more_node_groups_than_eks_allows_at_once_is_refused() -> None:
    pools = [
        {"name": f"p{i}", "instanceTypes": ["m7i.large"], "minSize": 0, "maxSize": 2}
        for i in range(20)
    ]
    xr, observed = _running_xr(changed(XR, nodePools=pools))
    bigger = changed(xr, nodePools=[{**p, "instanceTypes": ["m7i.xlarge"]} for p in pools])
    assert_refused(bigger, observed, "spec.parameters.nodePools", "needs 40 at once; EKS allows 30")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"clientId": "other"}, "spec.parameters.oidc.clientId"),
        ({"issuerUrl": "https://sso.example.com/other"}, "spec.parameters.oidc.issuerUrl"),
        ({"usernamePrefix": "sso:"}, "spec.parameters.oidc.usernamePrefix"),
        ({"groupsClaim": "roles"}, "spec.parameters.oidc.groupsClaim"),
    ],
)
def test_changing_the_oidc_provider_of_a_running_cluster_is_refused(
    change: dict[str, Any], field: str
) -> None:
    xr, observed = running("claim")
    oidc = {**xr["spec"]["parameters"]["oidc"], **change}
    assert_refused(
        changed(xr, oidc=oidc), observed, field, "EKS cannot change an identity provider"
    )


def test_removing_oidc_is_an_explicit_removal() -> None:
    xr, observed = running("claim")
    parameters = {k: v for k, v in xr["spec"]["parameters"].items() if k != "oidc"}
    resources = desired(compose({**xr, "spec": {**xr["spec"], "parameters": parameters}}, observed))
    assert "oidc-identity-provider" not in resources


# -- 8.10 a missing status never fails open ---------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_encryption_stays_when_the_key_and_the_cluster_have_no_status(mode: str) -> None:
    xr, observed = running(mode)
    arn = for_provider(observed["eks-cluster"].resource)["encryptionConfig"]["provider"]["keyArn"]
    resources = desired(compose(xr, without_status(observed, "kms-key", "eks-cluster")))
    assert for_provider(resources["eks-cluster"])["encryptionConfig"] == {
        "provider": {"keyArn": arn},
        "resources": ["secrets"],
    }


def test_encryption_stays_even_if_the_key_is_no_longer_observed_and_turned_off() -> None:
    xr, observed = running("claim")
    observed = without_status(observed, "eks-cluster")
    del observed["kms-key"]
    resources = desired(compose(changed(xr, secretsEncryption=False), observed))
    assert "encryptionConfig" in for_provider(resources["eks-cluster"])


def test_a_downgrade_is_refused_when_the_cluster_has_no_status() -> None:
    xr, observed = running("claim")  # 1.33
    assert_refused(
        changed(xr, version="1.32"),
        without_status(observed, "eks-cluster"),
        "spec.parameters.version",
        "the cluster runs 1.33; EKS cannot downgrade to 1.32",
    )


# -- 8.12 upgrades: control plane, then add-ons and nodes -------------------------------------


def _reports(observed: Observed, version: str) -> None:
    observed["eks-cluster"].resource["status"]["atProvider"]["version"] = version


@pytest.mark.parametrize("mode", MODES)
def test_an_upgrade_moves_addons_and_nodes_after_the_control_plane(mode: str) -> None:
    xr, observed = running(mode)
    current = xr["spec"]["parameters"].get("version", "1.34")
    if current == "1.34":
        xr, observed = _running_xr(changed(MODES[mode], version="1.33"))
    upgraded = changed(xr, version="1.34")

    # The control plane is asked first; it still reports 1.33.
    rsp = compose(upgraded, observed)
    resources = desired(rsp)
    assert for_provider(resources["eks-cluster"])["version"] == "1.34"
    for key in (k for k in resources if k.startswith("nodes-")):
        assert for_provider(resources[key])["version"] == "1.33", key
    for name, version in ADDON_VERSIONS["1.33"].items():
        assert for_provider(resources[f"addon-{name}"])["addonVersion"] == version

    # Once it reports 1.34, add-ons and nodes follow.
    _reports(observed, "1.34")
    resources = desired(compose(upgraded, observed))
    for key in (k for k in resources if k.startswith("nodes-")):
        assert for_provider(resources[key])["version"] == "1.34", key
    for name, version in ADDON_VERSIONS["1.34"].items():
        assert for_provider(resources[f"addon-{name}"])["addonVersion"] == version


def test_an_addon_version_can_be_pinned_per_addon() -> None:
    xr, observed = running("claim")
    pinned = changed(xr, addonVersions={"coredns": "v1.12.9-eksbuild.3"})
    resources = desired(compose(pinned, observed))
    assert for_provider(resources["addon-coredns"])["addonVersion"] == "v1.12.9-eksbuild.3"
    assert (
        for_provider(resources["addon-kube-proxy"])["addonVersion"]
        == (ADDON_VERSIONS["1.33"]["kube-proxy"])
    )


def test_an_addon_is_never_downgraded() -> None:
    xr, observed = running("claim")
    # The provider late-initialized a newer build than Paved's table (clusters composed before
    # Paved set addonVersion).
    observed["addon-coredns"].resource["status"]["atProvider"]["addonVersion"] = (
        "v1.12.4-eksbuild.9"
    )
    resources = desired(compose(xr, observed))
    assert for_provider(resources["addon-coredns"])["addonVersion"] == "v1.12.4-eksbuild.9"
    assert_refused(
        changed(xr, addonVersions={"coredns": "v1.11.4-eksbuild.24"}),
        observed,
        "spec.parameters.addonVersions.coredns",
        "EKS cannot downgrade it",
    )


# -- the transition suite: every change is applied safely or refused --------------------------


CHANGES: dict[str, dict[str, Any]] = {
    "version": {"version": "1.34"},
    "tags": {"tags": {"team": "team-b"}},
    "endpoint": {"endpoint": {"public": False}},
    "logging": {"logging": ["api"]},
    "access": {"access": {"admins": ["arn:aws:iam::123456789012:role/other"]}},
    "secretsEncryption": {"secretsEncryption": False},
    "natGateways": {"network": {"cidr": "10.40.0.0/16", "zones": 3, "natGateways": "single"}},
    "zones": {"network": {"cidr": "10.40.0.0/16", "zones": 3, "natGateways": "perZone"}},
    "nodePools.instanceTypes": {
        "nodePools": [{"name": "general", "instanceTypes": ["c7i.large"], "maxSize": 6}]
    },
    "nodePools.rename": {"nodePools": [{"name": "compute"}]},
    "addonVersions": {"addonVersions": {"vpcCni": "v1.20.5-eksbuild.1"}},
    "deletionPolicy": {"deletionPolicy": "Orphan"},
    "cidr": {"network": {"cidr": "10.99.0.0/16", "zones": 3}},
    "zones.fewer": {"network": {"cidr": "10.40.0.0/16", "zones": 2}},
    "oidc": {"oidc": {"issuerUrl": "https://sso.example.com/dex", "clientId": "other"}},
    "region": {"region": "eu-central-1"},
    "providerConfigName": {"providerConfigName": "other"},
}
# What the developer removed on purpose: a pool, or a principal's access.
EXPLICIT_REMOVALS = {
    "nodePools.instanceTypes": {"nodes-batch", "nodes-spot"},
    "nodePools.rename": {"nodes-batch", "nodes-spot"},
    "access": {
        "access-262f3962",
        "access-262f3962-policy",
        "access-8425a28b",
        "access-8425a28b-policy",
    },
}


@pytest.mark.parametrize("change", CHANGES)
@pytest.mark.parametrize("mode", MODES)
def test_every_change_is_applied_safely_or_refused(mode: str, change: str) -> None:
    xr, observed = running(mode)
    assert_applied_safely_or_refused(
        xr, observed, changed(xr, **CHANGES[change]), EXPLICIT_REMOVALS.get(change, set())
    )


def assert_applied_safely_or_refused(
    xr: dict[str, Any], observed: Observed, changed_xr: dict[str, Any], may_drop: set[str]
) -> None:
    """Composing `changed_xr` over the running `xr` either refuses with one FATAL naming a
    parameter (the desired state left alone), or drops nothing observed but `may_drop` and
    changes no field that forces a replacement."""
    before = desired(compose(xr, observed))
    req = simulate.request(changed_xr, observed)
    rsp = RUNNER.run(req)
    fatal = fatal_messages(rsp)
    if fatal:
        (message,) = fatal
        assert message.startswith("spec.parameters."), message
        assert rsp.desired == req.desired
        return
    after = desired(rsp)
    # A Usage goes with what it protects.
    dropped = {k for k in set(observed) - set(after) if not k.startswith("usage-")}
    assert dropped <= may_drop, dropped - may_drop
    assert forced_replacements(before, after) == []


@pytest.mark.parametrize("mode", MODES)
def test_a_steady_state_without_any_status_composes_the_same_spec(mode: str) -> None:
    """After a restore or an adoption no observed resource has status.atProvider yet."""
    xr, observed = running(mode)
    with_status = desired(compose(xr, observed))
    without = desired(compose(xr, without_status(observed)))
    assert set(without) == set(with_status)
    for key, resource in with_status.items():
        if key != "connection-secret":
            assert without[key].get("spec") == resource.get("spec"), key


ODD_VALUES: list[Any] = [None, 7, "x", ["a"], {"a": 1}, True]
ODD_FIELDS = [
    ("nodes-general", ("metadata", "annotations")),
    ("nodes-general", ("spec", "forProvider", "labels")),
    ("nodes-general", ("spec", "forProvider", "subnetIdRefs")),
    ("nodes-general", ("spec", "forProvider", "version")),
    ("node-role", ("metadata", "annotations")),
    ("eks-cluster", ("status", "atProvider", "encryptionConfig")),
    ("eks-cluster", ("spec", "forProvider", "vpcConfig")),
    ("eks-cluster", ("status", "atProvider", "version")),
    ("addon-coredns", ("status", "atProvider", "addonVersion")),
    ("vpc", ("status", "atProvider", "cidrBlock")),
    ("route-private-b-nat", ("status", "atProvider", "natGatewayId")),
    ("route-private-b-nat", ("spec", "forProvider", "natGatewayIdRef")),
    ("oidc-identity-provider", ("spec", "forProvider", "oidc")),
]


@pytest.mark.parametrize(("key", "path"), ODD_FIELDS)
def test_odd_observed_values_never_crash_a_compose(key: str, path: tuple[str, ...]) -> None:
    xr, observed = running("claim")
    for value in ODD_VALUES:
        odd = copy.deepcopy(observed)
        node = odd[key].resource
        for part in path[:-1]:
            node = node.setdefault(part, {})
        node[path[-1]] = value
        rsp = compose(xr, odd)
        messages = fatal_messages(rsp)
        # Refusing is fine when the odd value is a real change (a VPC CIDR); crashing is not.
        assert all(m.startswith("spec.parameters.") for m in messages), messages
        if not messages:
            assert "nodes-general" in desired(rsp) or key == "nodes-general"


# -- property: any valid spec changed into any other valid spec --------------------------------

POOL_NAMES = ("general", "batch", "compute")


@st.composite
def _specs(draw: st.DrawFn) -> dict[str, Any]:
    names = draw(st.lists(st.sampled_from(POOL_NAMES), min_size=1, max_size=2, unique=True))
    pools = [
        {
            "name": name,
            "instanceTypes": [draw(st.sampled_from(["m7i.large", "m7i.xlarge", "m7g.large"]))],
            "capacityType": draw(st.sampled_from(["ON_DEMAND", "SPOT"])),
            "diskSizeGiB": draw(st.sampled_from([50, 100])),
            "minSize": draw(st.integers(0, 2)),
            "maxSize": draw(st.integers(3, 5)),
            "labels": draw(st.sampled_from([{}, {"tier": "web"}])),
        }
        for name in names
    ]
    spec: dict[str, Any] = {
        "region": "eu-west-1",
        "version": draw(st.sampled_from(["1.33", "1.34"])),
        "network": {
            "cidr": draw(st.sampled_from(["10.40.0.0/16", "10.50.0.0/16"])),
            "zones": draw(st.integers(2, 3)),
            "natGateways": draw(st.sampled_from(["single", "perZone"])),
        },
        "nodePools": pools,
        "secretsEncryption": draw(st.booleans()),
        "logging": draw(st.sampled_from([["api"], ["api", "audit"]])),
    }
    client = draw(st.sampled_from([None, "kubernetes", "other"]))
    if client is not None:
        spec["oidc"] = {"issuerUrl": "https://sso.example.com", "clientId": client}
    return spec


@functools.cache
def _steady_for(mode: str, spec_json: str) -> tuple[dict[str, Any], Observed]:
    import json

    return _running_xr({**MODES[mode], "spec": {"parameters": json.loads(spec_json)}})


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mode=st.sampled_from(sorted(MODES)), before=_specs(), after=_specs())
def test_any_spec_change_is_applied_safely_or_refused(
    mode: str, before: dict[str, Any], after: dict[str, Any]
) -> None:
    import json

    xr, observed = _steady_for(mode, json.dumps(before, sort_keys=True))
    kept_pools = {p["name"] for p in after["nodePools"]}
    allowed = {f"nodes-{p['name']}" for p in before["nodePools"] if p["name"] not in kept_pools}
    if "oidc" not in after:
        allowed.add("oidc-identity-provider")
    changed_xr = {**xr, "spec": {**xr["spec"], "parameters": after}}
    assert_applied_safely_or_refused(xr, observed, changed_xr, allowed)
