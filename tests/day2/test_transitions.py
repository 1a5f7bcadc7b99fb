"""Changing a running XR: every change is applied safely or refused (issue 8).

Given a running XR (every blueprint, both modes, at steady state after a reconcile replay), when
one field of its spec changes and Crossplane reconciles again, then either
- the function refuses with exactly one FATAL result naming the field, and changes nothing, or
- no observed composed resource is dropped unless the change removes it on purpose, no field
  that forces a replacement (provider-facts `immutable_fields`, region and providerConfigRef)
  changes on a resource that stays, and no reference changes that will never resolve again.

Cases that fail because of a blueprint bug being fixed elsewhere are expected failures naming
the bug (`known_bugs.py`); the property-based test skips pairs touching those fields until the
entry is gone.
"""

from __future__ import annotations

import copy
import functools
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from day2 import known_bugs
from day2.scenarios import EXPLICIT_REMOVALS, SCENARIOS, blueprint_of
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from support.oracle import facts_available
from support.transitions import (
    RUNNER,
    Scenario,
    changed_paths,
    composes,
    judge,
    reconcile,
    steady_state,
    without_status,
)

from functions import simulate
from functions.blueprints import BLUEPRINTS

pytestmark = pytest.mark.skipif(
    not facts_available(), reason="../shared/provider-facts/facts.yaml not found"
)

REPO_ROOT = Path(__file__).resolve().parents[2]
REMOVE = object()  # the field is deleted from the spec

# The XR kind of each blueprint's scenarios (tenants are XClusters on a host).
XR_KINDS = {
    "bucket": "XBucket",
    "cluster": "XCluster",
    "tenant": "XCluster",
    "database": "XDatabase",
}


@dataclass(frozen=True)
class Change:
    """One edit of spec.parameters: `path` (dots and [index]) set to `value` (or removed), with
    the edits it needs to stay valid (`also`)."""

    path: str
    value: Any
    also: tuple[tuple[str, Any], ...] = ()

    def apply(self, parameters: dict[str, Any]) -> dict[str, Any]:
        changed = _edit(parameters, self.path, self.value)
        for path, value in self.also:
            changed = _edit(changed, path, value)
        return changed


def _edit(parameters: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    changed = copy.deepcopy(parameters)
    *parents, leaf = _parts(path)
    node: Any = changed
    for part in parents:
        node = node[part] if isinstance(part, int) else node.setdefault(part, {})
    if value is REMOVE:
        if isinstance(leaf, int):
            del node[leaf]
        else:
            node.pop(leaf, None)
    else:
        node[leaf] = copy.deepcopy(value)
    return changed


def _parts(path: str) -> list[str | int]:
    parts: list[str | int] = []
    for piece in path.replace("]", "").split("."):
        name, *indexes = piece.split("[")
        if name:
            parts.append(name)
        parts += [int(i) for i in indexes]
    return parts


ADMIN = "arn:aws:iam::123456789012:role/platform-admins"
KEY_ARN = "arn:aws:kms:eu-west-1:123456789012:key/0f0e0d0c-0b0a-0908-0706-050403020100"

COMMON = {
    "region": Change("region", "us-east-1"),
    "provider-config-name": Change("providerConfigName", "other-account"),
    "provider-config-kind": Change("providerConfigKind", "ProviderConfig"),
    "tags-added": Change("tags", {"team": "team-a", "cost-center": "1234"}),
    "tags-removed": Change("tags", REMOVE),
    "deletion-policy-orphan": Change("deletionPolicy", "Orphan"),
}

# One change per parameter (and a few that matter most), per blueprint, from its example.
CHANGES: dict[str, dict[str, Change]] = {
    "bucket": {
        **COMMON,
        "versioning-off": Change("versioning", False),
        "encryption-aes256": Change("encryption", {"type": "AES256"}),
        "encryption-own-key": Change("encryption", {"type": "aws:kms", "kmsKeyArn": KEY_ARN}),
        "block-public-access-off": Change("blockPublicAccess", False),
        "lifecycle-expiration": Change("lifecycle.expirationDays", 365),
        "lifecycle-noncurrent": Change("lifecycle.noncurrentVersionExpirationDays", 30),
        "lifecycle-transition": Change("lifecycle.transitionToInfrequentAccessDays", 60),
        "lifecycle-removed": Change("lifecycle", REMOVE),
        "enforce-tls-off": Change("enforceTls", False),
    },
    "cluster": {
        **COMMON,
        "version-upgrade": Change("version", "1.34"),
        "version-downgrade": Change("version", "1.32"),
        "network-cidr": Change("network.cidr", "10.50.0.0/16"),
        "network-zones-fewer": Change("network.zones", 2),
        "network-zones-more": Change("network.zones", 4),
        "network-availability-zones": Change(
            "network.availabilityZones", ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
        ),
        "network-nat-single": Change("network.natGateways", "single"),
        "endpoint-private-only": Change("endpoint.public", False),
        "endpoint-public-cidrs": Change("endpoint.publicCidrs", ["198.51.100.0/24"]),
        "endpoint-no-private": Change("endpoint.private", False),
        "pool-renamed": Change("nodePools[0].name", "general-v2"),
        "pool-instance-types": Change("nodePools[0].instanceTypes", ["m7i.xlarge"]),
        "pool-min-size": Change("nodePools[0].minSize", 3),
        "pool-max-size": Change("nodePools[0].maxSize", 8),
        "pool-desired-size": Change("nodePools[0].desiredSize", 4),
        "pool-capacity-type": Change("nodePools[0].capacityType", "SPOT"),
        "pool-disk-size": Change("nodePools[0].diskSizeGiB", 100),
        "pool-labels": Change("nodePools[0].labels", {"tier": "general"}),
        "pool-taints": Change(
            "nodePools[0].taints", [{"key": "tier", "value": "general", "effect": "NoSchedule"}]
        ),
        "pool-removed": Change("nodePools[1]", REMOVE),
        "pool-added": Change(
            "nodePools",
            [
                {"name": "general", "instanceTypes": ["m7i.large"], "minSize": 2, "maxSize": 6},
                {
                    "name": "batch",
                    "instanceTypes": ["m7i.xlarge", "m6i.xlarge", "m5.xlarge"],
                    "capacityType": "SPOT",
                    "minSize": 0,
                    "maxSize": 20,
                    "desiredSize": 0,
                    "diskSizeGiB": 100,
                    "labels": {"workload": "batch"},
                    "taints": [{"key": "workload", "value": "batch", "effect": "NoSchedule"}],
                },
                {"name": "gpu", "instanceTypes": ["g5.xlarge"], "minSize": 0, "maxSize": 2},
            ],
        ),
        "access-admin-added": Change(
            "access.admins", [ADMIN, "arn:aws:iam::123456789012:role/sre"]
        ),
        "access-admin-removed": Change("access.admins", []),
        "access-viewers-removed": Change("access.viewers", []),
        "access-admin-becomes-viewer": Change(
            "access.admins",
            [],
            also=(("access.viewers", ["arn:aws:iam::123456789012:role/developers", ADMIN]),),
        ),
        "oidc-issuer": Change("oidc.issuerUrl", "https://sso.example.com/other"),
        "oidc-client-id": Change("oidc.clientId", "k8s"),
        "oidc-username-claim": Change("oidc.usernameClaim", "sub"),
        "oidc-groups-claim": Change("oidc.groupsClaim", "roles"),
        "oidc-username-prefix": Change("oidc.usernamePrefix", "sso:"),
        "oidc-groups-prefix": Change("oidc.groupsPrefix", "sso:"),
        "oidc-removed": Change("oidc", REMOVE),
        "secrets-encryption-off": Change("secretsEncryption", False),
        "platform-monitoring-off": Change("platform.monitoring.enabled", False),
        "platform-gitops-revision": Change("platform.argocd.gitops.revision", "release-2"),
        "logging": Change("logging", ["api", "audit"]),
        "addon-version-pinned": Change("addonVersions.coredns", "v1.12.4-eksbuild.9"),
    },
    "tenant": {
        **COMMON,
        "isolation-changed": Change("isolation", "dedicated", also=(("host", REMOVE),)),
        "host-changed": Change("host.clusterRef.name", "other"),
        "quota-cpu": Change("quota.cpu", "32"),
        "quota-memory": Change("quota.memory", "128Gi"),
        "quota-pods": Change("quota.pods", 500),
        "quota-storage": Change("quota.storage", "1Ti"),
        "quota-removed": Change("quota", REMOVE),
        "access-admin-added": Change(
            "access.admins", ["group:checkout-developers", "user:alice@example.com"]
        ),
        "access-admins-removed": Change("access.admins", []),
        "access-viewers": Change("access.viewers", ["group:auditors"]),
        "addon-version-pinned": Change("addonVersions.coredns", "v1.12.4-eksbuild.9"),
    },
    "database": {
        **COMMON,
        "engine": Change("engine", "mysql", also=(("version", REMOVE),)),
        "version-major-upgrade": Change("version", "17"),
        "version-downgrade": Change("version", "15"),
        "size": Change("size", "large"),
        "instance-class": Change("instanceClass", "db.r7g.large"),
        "storage-grown": Change("storageGiB", 200),
        "storage-shrunk": Change("storageGiB", 20),
        "max-storage": Change("maxStorageGiB", 1000),
        "database-name": Change("databaseName", "sales"),
        "high-availability-toggled": Change("highAvailability", False),
        "backup-retention": Change("backupRetentionDays", 14),
        "allow-no-backups": Change("allowNoBackups", True),
        "deletion-protection-off": Change("deletionProtection", False),
        "final-snapshot-off": Change("finalSnapshot", False),
        "own-kms-key": Change("kmsKeyArn", KEY_ARN),
        "performance-insights-toggled": Change("performanceInsights", False),
        "maintenance-window": Change("maintenanceWindow", "sat:02:00-sat:03:00"),
        "backup-window": Change("backupWindow", "23:00-23:30"),
        "apply-immediately-off": Change("applyImmediately", False),
        "placement-cluster": Change(
            "placement",
            "cluster",
            also=(("network", {"clusterRef": {"name": "platform"}, "allowedNamespaces": ["app"]}),),
        ),
    },
}

# Changes only some scenarios of a blueprint can express.
CHANGES_BY_SCENARIO: dict[str, dict[str, Change]] = {
    "database-claim": {
        "network-vpc": Change("network.vpcId", "vpc-0ffffffffffff0001"),
        "network-subnets": Change(
            "network.subnetIds", ["subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002"]
        ),
        "network-cidr-added": Change(
            "network.allowedCidrs", ["10.20.0.0/19", "10.20.32.0/19", "10.20.64.0/19"]
        ),
        "network-cidr-removed": Change("network.allowedCidrs", ["10.20.0.0/19"]),
    },
    "database-own-key-claim": {"own-kms-key-removed": Change("kmsKeyArn", REMOVE)},
    "database-on-cluster-claim": {
        "network-cluster-ref": Change("network.clusterRef.name", "other")
    },
}
CHANGES_BY_SCENARIO["database-namespaced"] = CHANGES_BY_SCENARIO["database-claim"]
CHANGES_BY_SCENARIO["database-on-cluster-namespaced"] = CHANGES_BY_SCENARIO[
    "database-on-cluster-claim"
]


def _cases(known: dict[tuple[str, str], str] = known_bugs.TRANSITIONS) -> list[Any]:
    """(scenario, change) for every change case, expected to fail where `known` says so."""
    cases = []
    for scenario in SCENARIOS:
        blueprint = blueprint_of(scenario)
        changes = {**CHANGES[blueprint], **CHANGES_BY_SCENARIO.get(scenario, {})}
        for name in sorted(changes):
            reason = known.get((blueprint, name)) or known.get((scenario, name))
            cases.append(
                known_bugs.case(scenario, changes[name], id=f"{scenario}:{name}", reason=reason)
            )
    return cases


def assert_safe(scenario_name: str, before: dict[str, Any], after: dict[str, Any]) -> None:
    scenario = SCENARIOS[scenario_name]
    steady = steady_state(scenario)
    req, rsp = reconcile(steady, after, scenario.world)
    verdict = judge(steady, before, after, req, rsp, EXPLICIT_REMOVALS[blueprint_of(scenario_name)])
    assert not verdict.problems, (
        f"changing {sorted(verdict.changed)} of a running {scenario_name}:\n  "
        + "\n  ".join(verdict.problems)
    )


@pytest.mark.parametrize(("scenario", "change"), _cases())
def test_one_field_changed_on_a_running_xr_is_applied_safely_or_refused(
    scenario: str, change: Change
) -> None:
    before = SCENARIOS[scenario].parameters
    assert_safe(scenario, before, change.apply(before))


def test_every_parameter_has_a_change_case() -> None:
    """Adding a parameter to a blueprint means saying what changing it on a running XR does."""
    missing = {}
    for blueprint in CHANGES:
        covered = {
            c.path.split("[")[0].split(".")[0]
            for other, changes in CHANGES.items()
            if XR_KINDS[other] == XR_KINDS[blueprint]
            for c in changes.values()
        }
        for scenario, extra in CHANGES_BY_SCENARIO.items():
            if XR_KINDS[blueprint_of(scenario)] == XR_KINDS[blueprint]:
                covered |= {c.path.split(".")[0] for c in extra.values()}
        model = BLUEPRINTS[XR_KINDS[blueprint]].parameters
        fields = {f.alias or name for name, f in model.model_fields.items()}
        if fields - covered:
            missing[blueprint] = sorted(fields - covered)
    assert not missing, f"parameters without a day-2 change case: {missing}"


# -- property-based: pairs of valid specs --------------------------------------------------------


def _known_bug_fields(blueprint: str) -> set[str]:
    fields = {field for (owner, field) in known_bugs.PAIR_FIELDS if owner == blueprint}
    for (owner, name), _ in known_bugs.TRANSITIONS.items():
        if blueprint_of(owner) == blueprint:
            changes = {**CHANGES[blueprint], **CHANGES_BY_SCENARIO.get(owner, {})}
            if name in changes:
                fields.add(_parts(changes[name].path)[0])
    return {str(f) for f in fields}


_TAG_KEYS = st.sampled_from(["team", "cost-center", "env", "owner", "app.example.com/tier"])
_TAGS = st.dictionaries(_TAG_KEYS, st.from_regex(r"[a-z0-9-]{1,12}", fullmatch=True), max_size=4)
_PRIVATE_CIDRS = st.builds(
    lambda octet, third, bits: f"10.{octet}.{third * 16}.0/{bits}",
    st.integers(0, 255),
    st.integers(0, 15),
    st.sampled_from([20, 24, 28]),
)
_ROLES = st.from_regex(r"arn:aws:iam::123456789012:role/[a-z]{3,10}", fullmatch=True)

# Random values for fields whose valid range is wide, by blueprint: path -> strategy.
GENERATED: dict[str, dict[str, st.SearchStrategy[Any]]] = {
    "bucket": {
        "tags": _TAGS,
        "lifecycle.expirationDays": st.integers(1, 3650),
        "lifecycle.noncurrentVersionExpirationDays": st.integers(1, 3650),
        "lifecycle.transitionToInfrequentAccessDays": st.integers(30, 3650),
    },
    "cluster": {
        "tags": _TAGS,
        "access.admins": st.lists(_ROLES, max_size=3, unique=True),
        "access.viewers": st.lists(_ROLES, max_size=3, unique=True),
        "nodePools[0].maxSize": st.integers(6, 50),
        "logging": st.lists(
            st.sampled_from(["api", "audit", "authenticator", "controllerManager", "scheduler"]),
            unique=True,
        ),
    },
    "tenant": {"tags": _TAGS, "quota.pods": st.integers(1, 10000)},
    "database": {
        "tags": _TAGS,
        "backupRetentionDays": st.integers(1, 35),
        "maxStorageGiB": st.integers(400, 65536),
        "network.allowedCidrs": st.lists(_PRIVATE_CIDRS, min_size=1, max_size=4, unique=True),
    },
}


@st.composite
def _edits(draw: st.DrawFn, blueprint: str, scenario: str) -> dict[str, Any]:
    """A valid spec: the example's with a random subset of the change cases applied, and random
    values for fields with a wide valid range."""
    changes = {**CHANGES[blueprint], **CHANGES_BY_SCENARIO.get(scenario, {})}
    known = _known_bug_fields(blueprint)
    usable = sorted(name for name in changes if str(_parts(changes[name].path)[0]) not in known)
    names = draw(st.lists(st.sampled_from(usable), max_size=3, unique=True))
    parameters = SCENARIOS[scenario].parameters
    for name in names:
        parameters = changes[name].apply(parameters)
    generated = {
        path: strategy
        for path, strategy in GENERATED[blueprint].items()
        if str(_parts(path)[0]) not in known and _reachable(parameters, path)
    }
    for path in draw(st.lists(st.sampled_from(sorted(generated)), max_size=2, unique=True)):
        parameters = _edit(parameters, path, draw(generated[path], label=path))
    return parameters


def _reachable(parameters: dict[str, Any], path: str) -> bool:
    """Whether the list items `path` goes through exist (nodePools[0] needs a pool)."""
    node: Any = parameters
    for part in _parts(path)[:-1]:
        if isinstance(part, int):
            if not isinstance(node, list) or len(node) <= part:
                return False
            node = node[part]
        else:
            node = node.get(part, {}) if isinstance(node, dict) else {}
    return True


def _valid(scenario: str, parameters: dict[str, Any]) -> bool:
    blueprint = BLUEPRINTS[SCENARIOS[scenario].xr["kind"]]
    try:
        blueprint.parameters.model_validate(parameters)
    except ValueError:
        return False
    return True


# Examples per scenario; PAVED_DAY2_EXAMPLES=200 explores further (CI keeps it quick on 2 cores).
PAIR_EXAMPLES = int(os.environ.get("PAVED_DAY2_EXAMPLES", "8"))
PAIR_SCENARIOS = ["bucket-claim", "bucket-namespaced", "database-claim", "database-namespaced"]


@pytest.mark.slow
@pytest.mark.parametrize(
    "scenario",
    [*PAIR_SCENARIOS, "cluster-claim", "cluster-namespaced", "tenant-vcluster-namespaced"],
)
@settings(
    max_examples=PAIR_EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(data=st.data())
def test_a_running_xr_moved_between_two_valid_specs_is_safe(scenario: str, data: Any) -> None:
    """From one valid spec's steady state to another valid spec, in one step."""
    blueprint = blueprint_of(scenario)
    first = data.draw(_edits(blueprint, scenario), label="first spec")
    second = data.draw(_edits(blueprint, scenario), label="second spec")
    assume(_valid(scenario, first) and _valid(scenario, second))

    touched = {p.split("[")[0].split(".")[0] for p in changed_paths(first, second)}
    assume(touched and not touched & _known_bug_fields(blueprint))
    running = Scenario(
        f"{scenario}+{sorted(first)}",
        SCENARIOS[scenario].with_parameters(first),
        SCENARIOS[scenario].world,
    )
    assume(composes(running))
    steady = steady_state(running)
    req, rsp = reconcile(steady, second, running.world)
    verdict = judge(steady, first, second, req, rsp, EXPLICIT_REMOVALS[blueprint])
    assert not verdict.problems, "\n  ".join(verdict.problems)


# -- the same change after a restore: observed resources without status -----------------------


def _answer(rsp: Any) -> tuple[bool, dict[str, Any]]:
    desired = {
        key: {k: v for k, v in resource.items() if k in ("apiVersion", "kind", "spec", "data")}
        for key, resource in simulate.desired_resources(rsp).items()
    }
    return bool(simulate.fatal_messages(rsp)), desired


@functools.cache
def _stripped(scenario: str) -> dict[str, simulate.ObservedResource]:
    return without_status(steady_state(SCENARIOS[scenario]).observed)


@functools.cache
def _differing_unchanged(scenario: str) -> frozenset[str]:
    return frozenset(_composed_differently(scenario, SCENARIOS[scenario].parameters)[2])


def _composed_differently(
    scenario: str, parameters: dict[str, Any]
) -> tuple[list[str], list[str], set[str]]:
    """FATALs with status, FATALs without, and the keys composed differently without status."""
    running = SCENARIOS[scenario]
    steady = steady_state(running)
    _, with_status = reconcile(steady, parameters, running.world)
    _, without = reconcile(steady, parameters, running.world, observed=_stripped(scenario))
    desired, desired_without = _answer(with_status)[1], _answer(without)[1]
    differing = {
        k for k in set(desired) | set(desired_without) if desired.get(k) != desired_without.get(k)
    }
    return simulate.fatal_messages(with_status), simulate.fatal_messages(without), differing


@pytest.mark.parametrize(("scenario", "change"), _cases(known_bugs.MISSING_STATUS_TRANSITIONS))
def test_a_change_gets_the_same_answer_when_observed_status_is_missing(
    scenario: str, change: Change
) -> None:
    """After a restore or adoption the provider has not filled status.atProvider yet: safety
    checks fall back to the observed spec instead of failing open (issue 8.10).

    What differs without status even with no change at all is test_observed_state's business;
    here only what the change adds counts.
    """
    unchanged = _differing_unchanged(scenario)
    refused, refused_without, differing = _composed_differently(
        scenario, change.apply(SCENARIOS[scenario].parameters)
    )
    assert bool(refused_without) == bool(refused), (
        f"with status: {refused or 'applied'}; without: {refused_without or 'applied'}"
    )
    if not refused:
        assert not differing - unchanged, (
            f"composed differently without observed status: {sorted(differing - unchanged)}"
        )


# -- after the change: the XR settles again -------------------------------------------------------


def _settle(scenario: str, parameters: dict[str, Any], rounds: int = 12) -> list[simulate.Round]:
    """Reconcile the changed running XR until nothing changes any more, like Crossplane would."""
    running = SCENARIOS[scenario]
    steady = steady_state(running)
    xr = steady.xr
    xr["spec"]["parameters"] = parameters
    plane = simulate.ControlPlane(xr, dict(steady.observed), world=list(running.world))
    history = []
    for _ in range(rounds):
        before = set(plane.observed), {k: o.resource.get("spec") for k, o in plane.observed.items()}
        history.append(plane.reconcile(RUNNER.run))
        after = set(plane.observed), {k: o.resource.get("spec") for k, o in plane.observed.items()}
        if history[-1].fatal or before == after:
            break
    return history


@pytest.mark.slow
@pytest.mark.parametrize(("scenario", "change"), _cases(known_bugs.SETTLING))
def test_a_change_to_a_running_xr_settles_without_recreating_anything(
    scenario: str, change: Change
) -> None:
    """Applied changes converge (no endless reconcile) and nothing is deleted and then composed
    again under the same name (an outage of that resource)."""
    history = _settle(scenario, change.apply(SCENARIOS[scenario].parameters))
    if history[0].fatal:
        return
    assert not history[-1].fatal, history[-1].fatal
    assert len(history) < 12, "still changing after 12 reconciles"
    deleted: set[str] = set()
    for round_ in history:
        recreated = deleted & set(round_.desired)
        assert not recreated, f"deleted, then composed again: {sorted(recreated)}"
        deleted |= set(round_.deleted)


# -- the table for developers: what each change does to a running XR ----------------------------

TABLE = REPO_ROOT / "docs" / "changing-a-running-xr.md"
TABLE_SCENARIOS = {
    "XBucket / Bucket": "bucket-claim",
    "XCluster / Cluster": "cluster-claim",
    "XCluster / Cluster, isolation vcluster or namespace": "tenant-vcluster-claim",
    "XDatabase / Database": "database-claim",
    "XDatabase / Database on a Cluster (network.clusterRef)": "database-on-cluster-claim",
}


def _outcome(scenario: str, name: str, change: Change) -> str:
    running = SCENARIOS[scenario]
    before = running.parameters
    after = change.apply(before)
    steady = steady_state(running)
    req, rsp = reconcile(steady, after, running.world)
    verdict = judge(steady, before, after, req, rsp, EXPLICIT_REMOVALS[blueprint_of(scenario)])
    known = known_bugs.TRANSITIONS.get((blueprint_of(scenario), name)) or (
        known_bugs.TRANSITIONS.get((scenario, name))
    )
    if verdict.problems:
        return f"**unsafe today** ({known or 'unknown'})"
    if verdict.refused:
        message = verdict.fatal[0].split("; spec.parameters")[0]
        return f"refused: {message}"
    desired = simulate.desired_resources(rsp)
    added = sorted(set(desired) - set(steady.observed))
    removed = sorted(set(steady.observed) - set(desired))
    changed = sorted(
        k
        for k in set(desired) & set(steady.observed)
        if desired[k].get("spec") != steady.observed[k].resource.get("spec")
        or desired[k].get("data") != steady.observed[k].resource.get("data")
    )
    parts = []
    if changed:
        parts.append(f"updates {len(changed)} in place")
    if added:
        parts.append(f"adds {', '.join(added)}")
    if removed:
        parts.append(f"removes {', '.join(removed)}")
    return "applied: " + ("; ".join(parts) if parts else "nothing to change")


def _table() -> str:
    lines = [
        "# Changing a running XR",
        "",
        "<!-- Generated by tests/day2/test_transitions.py from the day-2 change cases; "
        "PAVED_UPDATE_GOLDEN=1 rewrites it. -->",
        "",
        "What one change to the spec of a running, Ready XR does on the next reconcile, as the "
        "day-2 tests observe it (claim mode; namespaced mode behaves the same). *Refused* means "
        "one FATAL result naming the field and nothing changed; *unsafe today* names the open "
        "bug of issue 8 (the test expects it to fail until it is fixed).",
    ]
    for title, scenario in TABLE_SCENARIOS.items():
        blueprint = blueprint_of(scenario)
        changes = {**CHANGES[blueprint], **CHANGES_BY_SCENARIO.get(scenario, {})}
        lines += ["", f"## {title}", "", "| change | on a running XR |", "|---|---|"]
        for name in sorted(changes):
            change = changes[name]
            edits = [(change.path, change.value), *change.also]
            what = "; ".join(
                f"`{path}` → {'removed' if value is REMOVE else json.dumps(value)}"
                for path, value in edits
            ).replace("|", "\\|")
            outcome = _outcome(scenario, name, change).replace("|", "\\|").replace("\n", " ")
            lines.append(f"| {what} | {outcome} |")
    return "\n".join(lines) + "\n"


def test_the_changing_a_running_xr_table_is_current() -> None:
    text = _table()
    if os.environ.get("PAVED_UPDATE_GOLDEN"):
        TABLE.write_text(text)
    assert TABLE.exists() and TABLE.read_text() == text, (
        f"{TABLE} is stale: PAVED_UPDATE_GOLDEN=1 rewrites it"
    )
