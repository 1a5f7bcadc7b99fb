"""Issue 8's remaining findings as specifications: keys outlive their data, add-ons upgrade with
the cluster, guardrails without holes, the Crossplane version that has what Paved composes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from day2 import known_bugs
from day2.scenarios import SCENARIOS, blueprint_of
from support.oracle import crossplane_facts
from support.transitions import RUNNER, steady_state

from functions import simulate

# The composed resource holding the data a composed KMS key encrypts, by blueprint.
DATA_HOLDERS = {"bucket": ("Bucket",), "cluster": ("Cluster",), "database": ("Instance",)}
USAGE_KINDS = ("Usage", "ClusterUsage")


def _kms_key_scenarios() -> list[Any]:
    return [
        pytest.param(
            name,
            marks=known_bugs.xfail(known_bugs.KMS_KEY_USAGE),
        )
        for name in SCENARIOS
        if blueprint_of(name) in DATA_HOLDERS
    ]


def _used(usage: dict[str, Any], side: str) -> tuple[str, str]:
    spec = usage["spec"][side]
    return spec.get("kind", ""), (spec.get("resourceRef") or {}).get("name", "")


@pytest.mark.parametrize("scenario", _kms_key_scenarios())
def test_a_composed_kms_key_is_held_by_a_usage_until_its_data_is_gone(scenario: str) -> None:
    desired = steady_state(SCENARIOS[scenario]).desired
    keys = [r for r in desired.values() if r["kind"] == "Key"]
    if not keys:
        pytest.skip("no composed KMS key")
    holders = [r for r in desired.values() if r["kind"] in DATA_HOLDERS[blueprint_of(scenario)]]
    usages = {
        (_used(u, "of"), _used(u, "by")) for u in desired.values() if u["kind"] in USAGE_KINDS
    }
    missing = [
        f"no Usage of Key {key['metadata']['name']} by {holder['kind']} "
        f"{holder['metadata']['name']}"
        for key in keys
        for holder in holders
        if (("Key", key["metadata"]["name"]), (holder["kind"], holder["metadata"]["name"]))
        not in usages
    ]
    assert not missing, "\n".join(missing)


@pytest.mark.parametrize(
    "scenario",
    [
        pytest.param(
            name,
            marks=known_bugs.xfail(known_bugs.KMS_KEY_ORPHAN),
        )
        for name in SCENARIOS
        if blueprint_of(name) == "database"
    ],
)
def test_a_database_key_is_left_in_aws_when_the_database_goes(scenario: str) -> None:
    """Final snapshots and retained automated backups outlive the XR, so must their key."""
    desired = steady_state(SCENARIOS[scenario]).desired
    if "kms-key" not in desired:
        pytest.skip("the database uses a key of its own (kmsKeyArn)")
    key = desired["kms-key"]["spec"]
    if "managementPolicies" in key:
        assert "Delete" not in key["managementPolicies"] and "*" not in key["managementPolicies"]
    else:
        assert key.get("deletionPolicy") == "Orphan"


CLUSTERS = [name for name in SCENARIOS if blueprint_of(name) == "cluster"]


@pytest.mark.parametrize("scenario", CLUSTERS)
@known_bugs.xfail(known_bugs.ADDON_VERSIONS)
def test_every_eks_addon_has_an_explicit_version(scenario: str) -> None:
    desired = steady_state(SCENARIOS[scenario]).desired
    addons = {k: r for k, r in desired.items() if r["kind"] == "Addon"}
    assert addons
    unversioned = [k for k, r in addons.items() if not r["spec"]["forProvider"].get("addonVersion")]
    assert not unversioned, unversioned


@pytest.mark.parametrize("scenario", CLUSTERS)
@known_bugs.xfail(known_bugs.IAM_TAGS)
def test_developer_tags_stay_off_iam_principals(scenario: str) -> None:
    running = SCENARIOS[scenario]
    developer_tags = set(running.parameters.get("tags") or {})
    desired = steady_state(running).desired
    tagged = {
        key: sorted(developer_tags & set(resource["spec"]["forProvider"].get("tags") or {}))
        for key, resource in desired.items()
        if resource["kind"] == "Role"
    }
    assert developer_tags
    assert not any(tagged.values()), tagged


@pytest.mark.parametrize(
    "cidrs",
    [
        pytest.param(["0.0.0.0/1", "128.0.0.0/1"], id="the-internet-in-two-halves"),
        pytest.param(["8.0.0.0/8"], id="public-range"),
        pytest.param(["::/1"], id="half-of-ipv6"),
    ],
)
@known_bugs.xfail(known_bugs.PRIVATE_CIDRS)
def test_a_database_allows_only_private_ranges(cidrs: list[str]) -> None:
    xr = SCENARIOS["database-claim"].with_parameters(
        {
            **SCENARIOS["database-claim"].parameters,
            "network": {
                **SCENARIOS["database-claim"].parameters["network"],
                "allowedCidrs": cidrs,
            },
        }
    )
    fatal = simulate.fatal_messages(RUNNER.run(simulate.request(xr)))

    assert len(fatal) == 1 and "spec.parameters.network.allowedCidrs" in fatal[0], fatal


# -- Crossplane versions --------------------------------------------------------------------------

REPO = Path(__file__).resolve().parents[2]


def test_the_package_requires_the_crossplane_that_has_usages() -> None:
    """protection.crossplane.io Usage/ClusterUsage first shipped in Crossplane v2.0.0 (facts
    `_crossplane.usage_api`), and every blueprint's deletion order relies on them."""
    assert "v2.0.0" in crossplane_facts()["usage_api"]["fact"]
    packages = sorted((REPO / "package").rglob("crossplane.yaml"))
    assert packages
    for path in packages:
        package = yaml.safe_load(path.read_text())
        assert package["spec"]["crossplane"]["version"].startswith(">=v2."), path


@known_bugs.xfail(known_bugs.CROSSPLANE_1)
def test_the_readme_offers_no_mode_on_crossplane_1() -> None:
    assert "Crossplane 1.x" not in (REPO / "README.md").read_text()
