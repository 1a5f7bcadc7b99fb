"""XDatabase names: what AWS calls each resource is unique per XR, valid for RDS, and never
changes once the resource exists (a renamed resource is a replaced, or stuck, resource)."""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest
from support.compose import composed, namespaced, run, settled, status, with_parameters
from support.database import EXAMPLES, ON_CLUSTER, POSTGRES, REQUIRED
from support.oracle import facts_available, misplaced_external_names

from functions import simulate
from functions.simulate import EXTERNAL_NAME

# RDS: 1-63 (identifiers) or 1-255 (group and snapshot names) letters, digits and hyphens, a
# letter first, no two hyphens in a row, no hyphen last.
RDS_NAME = re.compile(r"^[a-zA-Z](?!.*--)[a-zA-Z0-9-]*(?<!-)$")


def aws_names(resources: dict[str, dict[str, Any]]) -> dict[str, str]:
    """Every name AWS holds for these resources, by what it names."""
    instance = resources["instance"]["spec"]["forProvider"]
    names = {
        "identifier": instance["identifier"],
        "security group": resources["security-group"]["spec"]["forProvider"]["name"],
    }
    if "finalSnapshotIdentifier" in instance:
        names["final snapshot"] = instance["finalSnapshotIdentifier"]
    for key, resource in resources.items():
        external_name = resource["metadata"].get("annotations", {}).get(EXTERNAL_NAME)
        if external_name:
            names[key] = external_name
    return names


def test_names_are_pinned() -> None:
    """Renaming any of these makes Crossplane delete and recreate a real resource: the database.

    Claim mode keeps the names it always had; namespaced mode adds a hash of namespace and name.
    """
    xr = POSTGRES["metadata"]["name"]
    assert xr == "orders-db-f07cf"
    claim = composed(POSTGRES)
    assert {key: r["metadata"]["name"] for key, r in claim.items()} == {
        "instance": f"{xr}-instance",
        "kms-key": f"{xr}-kms-key",
        "usage-kms-key-by-instance": f"{xr}-usage-kms-key-by-instance",
        "parameter-group-postgres16": f"{xr}-parameter-group-postgres16",
        "security-group": f"{xr}-security-group",
        "subnet-group": f"{xr}-subnet-group",
        "ingress-10-20-0-0-19": f"{xr}-ingress-10-20-0-0-19",
        "ingress-10-20-32-0-19": f"{xr}-ingress-10-20-32-0-19",
    }
    assert aws_names(claim) == {
        "identifier": xr,
        "final snapshot": f"{xr}-final",
        "security group": f"{xr}-rds",
        "subnet-group": f"{xr}-subnet-group",
        "parameter-group-postgres16": f"{xr}-parameter-group-postgres16",
    }
    base = "team-a-payments-db-1aa897"
    assert aws_names(composed(ON_CLUSTER, REQUIRED)) == {
        "identifier": base,
        "final snapshot": f"{base}-final",
        "security group": f"{base}-rds",
        "subnet-group": f"{base}-subnet-group",
        "parameter-group-postgres16": f"{base}-parameter-group-postgres16",
    }


@pytest.mark.parametrize("example", EXAMPLES)
def test_the_instance_is_named_by_its_identifier_never_by_its_external_name(example: str) -> None:
    """The provider's external name for an RDS Instance is the DbiResourceId AWS assigns."""
    xr, required = EXAMPLES[example]
    steady = settled(xr, required)
    desired = simulate.desired_resources(run(xr, steady, required=required))
    instance = desired["instance"]
    assert EXTERNAL_NAME not in instance["metadata"].get("annotations", {})
    identifier = instance["spec"]["forProvider"]["identifier"]
    assert RDS_NAME.match(identifier) and len(identifier) <= 63
    # status reports the identifier AWS has, not the provider's external name.
    observed = steady["instance"].resource
    assert observed["metadata"]["annotations"][EXTERNAL_NAME].startswith("db-")
    rsp = run(xr, steady, required=required)
    assert status(rsp)["database"]["identifier"] == identifier


@pytest.mark.skipif(not facts_available(), reason="needs ../shared/provider-facts")
@pytest.mark.parametrize("example", EXAMPLES)
def test_every_external_name_is_set_exactly_where_the_provider_expects_one(example: str) -> None:
    xr, required = EXAMPLES[example]
    assert misplaced_external_names(composed(xr, required)) == []


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (("team-a", "platform"), ("team-b", "platform")),
        (("team-a", "b"), ("team", "a-b")),  # the same when joined with a hyphen
    ],
    ids=["same-name-two-namespaces", "ambiguous-join"],
)
def test_two_xrs_share_no_account_or_region_scoped_name(
    first: tuple[str, str], second: tuple[str, str]
) -> None:
    def names(namespace: str, name: str) -> set[str]:
        xr = namespaced(POSTGRES, namespace)
        xr["metadata"]["name"] = name
        return set(aws_names(composed(xr)).values())

    assert names(*first).isdisjoint(names(*second))


@pytest.mark.parametrize(
    "xr",
    [
        {**POSTGRES, "metadata": {**POSTGRES["metadata"], "name": "1orders-4f2a1"}},
        {**namespaced(POSTGRES, "7team"), "metadata": {"name": "1orders", "namespace": "7team"}},
        {
            **namespaced(POSTGRES),
            "metadata": {"name": "o" * 63 + ".long", "namespace": "n" * 63},
        },
    ],
    ids=["claim-1orders", "namespaced-1orders", "longest"],
)
def test_every_rds_name_is_valid_whatever_the_xr_is_called(xr: dict[str, Any]) -> None:
    names = aws_names(composed(xr))
    for what, name in names.items():
        assert RDS_NAME.match(name), (what, name)
        assert len(name) <= (63 if what == "identifier" else 255), (what, name)


@pytest.mark.parametrize("mode", ["claim", "namespaced"])
def test_names_of_existing_resources_are_kept(mode: str) -> None:
    """Whatever names the database and its groups were created with (an older Paved, an adopted
    database), they stay: the instance is not renamed, the groups are not replaced."""
    xr = POSTGRES if mode == "claim" else namespaced(POSTGRES)
    observed = copy.deepcopy(settled(xr))
    instance = observed["instance"].resource
    instance["spec"]["forProvider"]["identifier"] = "legacy-orders"
    instance["status"]["atProvider"]["identifier"] = "legacy-orders"
    for key in ("subnet-group", "parameter-group-postgres16"):
        observed[key].resource["metadata"]["annotations"][EXTERNAL_NAME] = f"legacy-{key}"
    observed["security-group"].resource["spec"]["forProvider"]["name"] = "legacy-rds"
    rsp = run(xr, observed)
    desired = simulate.desired_resources(rsp)

    assert desired["instance"]["spec"]["forProvider"]["identifier"] == "legacy-orders"
    assert desired["instance"]["spec"]["forProvider"]["finalSnapshotIdentifier"] == (
        "legacy-orders-final"
    )
    assert desired["instance"]["spec"]["forProvider"]["parameterGroupName"] == (
        "legacy-parameter-group-postgres16"
    )
    for key in ("subnet-group", "parameter-group-postgres16"):
        assert desired[key]["metadata"]["annotations"][EXTERNAL_NAME] == f"legacy-{key}"
    assert desired["security-group"]["spec"]["forProvider"]["name"] == "legacy-rds"
    assert status(rsp)["database"]["identifier"] == "legacy-orders"


def test_immutable_descriptions_are_kept_as_created() -> None:
    observed = copy.deepcopy(settled(POSTGRES))
    for key in ("security-group", "parameter-group-postgres16"):
        observed[key].resource["spec"]["forProvider"]["description"] = "written by an older Paved"
    desired = simulate.desired_resources(run(POSTGRES, observed))
    for key in ("security-group", "parameter-group-postgres16"):
        assert desired[key]["spec"]["forProvider"]["description"] == "written by an older Paved"


def test_the_claim_mode_names_do_not_depend_on_the_parameters() -> None:
    changed = with_parameters(POSTGRES, engine="mysql", version="8.4", region="us-east-1")
    assert aws_names(composed(changed))["identifier"] == "orders-db-f07cf"
