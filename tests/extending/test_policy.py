"""Organisation policy from the Composition's function input: given this policy and this XR,
one FATAL naming every field and rule at fault, or a compose with the policy's defaults filled in.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from support.compose import RUNNER, fatal_messages, load_xr, namespaced, with_parameters
from support.crds import CRDCatalog, crds_available

from functions import simulate
from functions.generate import input_crd

INPUT = {"apiVersion": "fn.paved.dev/v1alpha1", "kind": "Input"}
BUCKET = load_xr("bucket/claim.yaml")
CLUSTER = load_xr("cluster/claim.yaml")
DATABASE = load_xr("database/claim-postgres.yaml")


def compose(xr: dict[str, Any], policy: dict[str, Any]) -> Any:
    return RUNNER.run(simulate.request(xr, input_={**INPUT, "policy": policy}))


def desired_region(rsp: Any) -> set[str]:
    return {
        r["spec"]["forProvider"]["region"]
        for r in simulate.desired_resources(rsp).values()
        if "forProvider" in r.get("spec", {})
    }


# (name, xr, policy, the message the one FATAL holds)
REFUSED = [
    (
        "region not allowed",
        BUCKET,
        {"allowedRegions": ["us-east-1"]},
        "spec.parameters.region: eu-west-1 is not allowed by the Composition's policy "
        "allowedRegions (us-east-1)",
    ),
    (
        "provider config not allowed anywhere",
        with_parameters(BUCKET, providerConfigName="prod"),
        {"allowedProviderConfigs": ["default"]},
        "spec.parameters.providerConfigName: prod is not allowed by the Composition's policy "
        "allowedProviderConfigs (default)",
    ),
    (
        "another team's account (claim namespace)",
        with_parameters(BUCKET, providerConfigName="team-b"),
        {"providerConfigsByNamespace": [{"namespace": "team-a", "names": ["team-a"]}]},
        "providerConfigName: team-b is not allowed by the Composition's policy "
        "providerConfigsByNamespace[team-a] (team-a)",
    ),
    (
        "another team's account (namespaced XR, glob)",
        namespaced(with_parameters(BUCKET, providerConfigName="team-b"), "team-a"),
        {"providerConfigsByNamespace": [{"namespace": "team-*", "names": ["team-a"]}]},
        "providerConfigsByNamespace[team-*] (team-a)",
    ),
    (
        "required tag missing",
        BUCKET,
        {"requiredTags": [{"key": "owner", "values": ["payments", "search"]}]},
        "spec.parameters.tags: the Composition's policy requiredTags needs tag 'owner' "
        "(one of payments, search)",
    ),
    (
        "required tag with a value not allowed",
        with_parameters(BUCKET, tags={"cost-center": "9999"}),
        {"requiredTags": [{"key": "cost-center", "values": ["1234"]}]},
        "spec.parameters.tags.cost-center: '9999' is not allowed",
    ),
    (
        "too many node pools",
        CLUSTER,
        {"limits": {"maxNodePools": 0}},
        "spec.parameters.nodePools: 2 is over the Composition's policy limit limits.maxNodePools",
    ),
    (
        "too many nodes",
        CLUSTER,
        {"limits": {"maxNodes": 2}},
        "is over the Composition's policy limit limits.maxNodes (2)",
    ),
    (
        "database size not allowed",
        DATABASE,
        {"limits": {"databaseSizes": ["small"]}},
        "spec.parameters.size: medium is not allowed by the Composition's policy "
        "limits.databaseSizes (small)",
    ),
    (
        "database storage over the limit",
        DATABASE,
        {"limits": {"maxStorageGiB": 50}},
        "spec.parameters.maxStorageGiB: ",
    ),
]


@pytest.mark.parametrize(("name", "xr", "policy", "message"), REFUSED, ids=[r[0] for r in REFUSED])
def test_a_claim_that_breaks_the_policy_is_refused_naming_field_and_rule(
    name: str, xr: dict[str, Any], policy: dict[str, Any], message: str
) -> None:
    req = simulate.request(xr, input_={**INPUT, "policy": policy})
    rsp = RUNNER.run(req)
    (fatal,) = fatal_messages(rsp)
    assert message in fatal
    assert rsp.desired == req.desired, "nothing is composed"


def test_every_broken_rule_is_reported_at_once() -> None:
    rsp = compose(
        with_parameters(BUCKET, providerConfigName="prod"),
        {
            "allowedRegions": ["us-east-1"],
            "allowedProviderConfigs": ["default"],
            "requiredTags": [{"key": "owner"}],
        },
    )
    (fatal,) = fatal_messages(rsp)
    assert fatal.count("policy") == 3
    for field in ("region", "providerConfigName", "tags"):
        assert f"spec.parameters.{field}:" in fatal


def test_a_claim_within_the_policy_composes() -> None:
    rsp = compose(
        with_parameters(BUCKET, tags={"cost-center": "1234"}),
        {
            "allowedRegions": ["eu-west-1"],
            "allowedProviderConfigs": ["default"],
            "requiredTags": [{"key": "cost-center", "values": ["1234"]}],
        },
    )
    assert not fatal_messages(rsp)
    assert simulate.desired_resources(rsp)


def test_defaults_fill_what_the_developer_left_out_and_the_developer_wins() -> None:
    xr = with_parameters(BUCKET)
    del xr["spec"]["parameters"]["region"]
    rsp = compose(xr, {"defaults": {"region": "eu-central-1"}})
    assert desired_region(rsp) == {"eu-central-1"}
    rsp = compose(BUCKET, {"defaults": {"region": "eu-central-1"}})
    assert desired_region(rsp) == {"eu-west-1"}


def test_an_object_default_applies_to_every_item_of_a_list() -> None:
    pools = [{"name": "general"}, {"name": "batch", "instanceTypes": ["c7i.xlarge"]}]
    policy = {"defaults": {"parameters": {"nodePools": {"instanceTypes": ["m7i.2xlarge"]}}}}

    def run_with_policy(req: Any) -> Any:
        req.input.update({**INPUT, "policy": policy})
        return RUNNER.run(req)

    rounds = simulate.replay(run_with_policy, with_parameters(CLUSTER, nodePools=pools))
    assert not rounds[-1].fatal
    instance_types = {
        r["spec"]["forProvider"]["labels"]["paved.dev/node-pool"]: r["spec"]["forProvider"][
            "instanceTypes"
        ]
        for r in rounds[-1].desired.values()
        if r["kind"] == "NodeGroup"
    }
    assert instance_types == {"general": ["m7i.2xlarge"], "batch": ["c7i.xlarge"]}


def test_a_malformed_policy_is_a_fatal_naming_the_input_field() -> None:
    rsp = compose(BUCKET, {"allowedRegions": "eu-west-1"})
    (fatal,) = fatal_messages(rsp)
    assert "input.policy.allowedRegions" in fatal


@pytest.mark.skipif(not crds_available(), reason="no CRDs to validate against")
def test_the_input_crd_validates_policies(tmp_path: Path) -> None:
    (tmp_path / "input.yaml").write_text(yaml.safe_dump(input_crd()))
    catalog = CRDCatalog(tmp_path)
    meta = {**INPUT, "metadata": {"name": "policy", "namespace": "crossplane-system"}}
    good = {
        "allowedRegions": ["eu-west-1"],
        "limits": {"maxNodes": 10, "maxStorageGiB": 500},
        "defaults": {"parameters": {"nodePools": {"instanceTypes": ["m7i.large"]}}},
        "requiredTags": [{"key": "cost-center"}],
    }
    assert catalog.validate({**meta, "policy": good}) == []
    for bad in ({"limits": {"maxNodes": -1}}, {"requiredTags": [{"values": ["x"]}]}):
        assert catalog.validate({**meta, "policy": bad}) != [], bad
