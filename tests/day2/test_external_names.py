"""AWS names and references: what the providers expect, and no two XRs sharing a name.

From the provider-facts oracle: a kind whose external name is the AWS name (NameAsIdentifier and
friends: the annotation, `metadata.name` when unset) may carry the annotation; a kind whose
external name is an id the provider reads back (IdentifierFromProvider) must not, and where such
a kind has a user-chosen AWS name it lives in a forProvider field (RDS Instance `identifier`).
AWS names unique per account, region or partition must differ between XRs: two teams using the
same XR name in their namespaces must never adopt (and later delete) each other's resources.
"""

from __future__ import annotations

import copy
from collections import defaultdict
from typing import Any

import pytest
from day2 import known_bugs
from day2.scenarios import SCENARIOS
from support.oracle import facts_available, facts_of, kind_facts
from support.transitions import Scenario, steady_state

from functions import simulate
from functions.kit.shapes import Kind
from functions.resources import kinds
from functions.simulate import EXTERNAL_NAME

pytestmark = pytest.mark.skipif(
    not facts_available(), reason="../shared/provider-facts/facts.yaml not found"
)


# IdentifierFromProvider kinds with a user-chosen AWS name, and the field holding it (each
# checked against the oracle's words below).
NAME_FIELDS = {"Instance": "identifier", "SecurityGroup": "name", "Secret": "name"}

AWS_KINDS = sorted(
    (
        kind
        for kind in vars(kinds).values()
        if isinstance(kind, Kind) and ".aws." in kind.cluster_api_version
    ),
    key=lambda k: k.cluster_api_version + k.kind,
)


def _composed() -> list[tuple[str, dict[str, Any]]]:
    """(scenario, resource) for every resource composed at the steady state of every scenario."""
    return [
        (name, resource)
        for name, scenario in SCENARIOS.items()
        for resource in steady_state(scenario).desired.values()
    ]


def _of_kind(kind: Kind) -> list[tuple[str, dict[str, Any]]]:
    api_versions = {kind.cluster_api_version, kind.namespaced_api_version}
    return [
        (scenario, resource)
        for scenario, resource in _composed()
        if resource.get("apiVersion") in api_versions and resource.get("kind") == kind.kind
    ]


def _kind_cases(bugs: dict[str, str]) -> list[Any]:
    """Every AWS kind, expected to fail where `bugs` names it."""
    return [
        known_bugs.case(
            kind,
            id=f"{kind.cluster_api_version.split('.')[0]}-{kind.kind}",
            reason=bugs.get(kind.kind),
        )
        for kind in AWS_KINDS
    ]


@pytest.mark.parametrize("kind", _kind_cases(known_bugs.EXTERNAL_NAMES))
def test_every_composed_kind_uses_the_external_name_as_its_provider_does(kind: Kind) -> None:
    composed = _of_kind(kind)
    if not composed:
        pytest.skip(f"no blueprint composes {kind.kind}")
    facts = kind_facts(kind.cluster_api_version, kind.kind)
    assert facts is not None, f"the oracle has no facts for {kind.kind}"
    problems = []
    for scenario, resource in composed:
        where = f"{scenario} {resource['metadata']['name']}"
        annotations = resource["metadata"].get("annotations") or {}
        if facts.annotation_set_by_provider and EXTERNAL_NAME in annotations:
            problems.append(
                f"{where}: sets {EXTERNAL_NAME}={annotations[EXTERNAL_NAME]!r}, but the provider "
                f"writes it ({facts.external_name_kind}: {facts.annotation_value})"
            )
        name_field = NAME_FIELDS.get(kind.kind)
        if name_field and not (resource["spec"].get("forProvider") or {}).get(name_field):
            problems.append(f"{where}: no forProvider.{name_field}, AWS will pick a name")
    assert not problems, "\n".join(problems)


def test_the_name_fields_are_the_ones_the_oracle_names() -> None:
    for kind, field in NAME_FIELDS.items():
        group = {"Instance": "rds", "SecurityGroup": "ec2", "Secret": "secretsmanager"}[kind]
        facts = kind_facts(f"{group}.aws.upbound.io/v1beta1", kind)
        assert facts is not None
        assert f"forProvider.{field}" in facts.annotation_value or (
            f"spec.forProvider.{field}" in facts.annotation_value
        ), facts.annotation_value


def test_the_fake_providers_name_resources_as_the_oracle_says() -> None:
    """The simulator's providers take the AWS name from the annotation (or metadata.name) for
    exactly the kinds whose oracle external name does so."""
    for kind in AWS_KINDS:
        facts = kind_facts(kind.cluster_api_version, kind.kind)
        if facts is None:
            continue
        assert (kind in simulate.NAMED_BY_EXTERNAL_NAME) == facts.named_by_external_name, kind


# -- no shared names between XRs ----------------------------------------------------------------


def aws_name(resource: dict[str, Any]) -> str | None:
    """The AWS name the provider gives a composed resource, None when AWS assigns an id."""
    facts = facts_of(resource)
    if facts is None:
        return None
    metadata = resource.get("metadata") or {}
    if facts.named_by_external_name:
        return (metadata.get("annotations") or {}).get(EXTERNAL_NAME) or metadata.get("name")
    field = NAME_FIELDS.get(facts.kind)
    return (resource.get("spec", {}).get("forProvider") or {}).get(field) if field else None


def unique_names(resources: dict[str, dict[str, Any]]) -> dict[tuple[str, str], str]:
    """(kind, AWS name) -> key, for every name that must be unique beyond one parent resource."""
    names = {}
    for key, resource in resources.items():
        facts = facts_of(resource)
        name = aws_name(resource)
        if facts is None or name is None or not facts.unique_beyond_parent:
            continue
        if "case-insensitive" in facts.name_scope:
            name = name.lower()
        names[(facts.kind, name)] = key
    return names


def _world_in(scenario: Scenario, namespace: str) -> tuple[dict[str, Any], ...]:
    """The other objects the scenario requires, moved to `namespace` with the XR."""
    return tuple(
        {**o, "metadata": {**o["metadata"], "namespace": namespace}} for o in scenario.world
    )


def _in_namespace(scenario: Scenario, namespace: str) -> Scenario:
    xr = copy.deepcopy(scenario.xr)
    xr["metadata"]["namespace"] = namespace
    return Scenario(f"{scenario.name}@{namespace}", xr, _world_in(scenario, namespace))


def _claim_in_namespace(scenario: Scenario, namespace: str) -> Scenario:
    """The same claim, by name, in another namespace (Crossplane makes the XR for it)."""
    claim_ref = scenario.xr["spec"]["claimRef"]
    claim = {
        "apiVersion": claim_ref["apiVersion"],
        "kind": claim_ref["kind"],
        "metadata": {"name": claim_ref["name"], "namespace": namespace},
        "spec": {"parameters": copy.deepcopy(scenario.xr["spec"]["parameters"])},
    }
    return Scenario(
        f"{scenario.name}@{namespace}", simulate.claim_to_xr(claim), _world_in(scenario, namespace)
    )


@pytest.mark.parametrize(
    "scenario",
    [
        known_bugs.case(name, id=name, reason=known_bugs.NAME_CLASHES.get(name))
        for name in SCENARIOS
    ],
)
def test_two_xrs_of_the_same_name_in_two_namespaces_share_no_aws_name(scenario: str) -> None:
    base = SCENARIOS[scenario]
    moved = _claim_in_namespace if "claimRef" in base.xr["spec"] else _in_namespace
    team_a = unique_names(steady_state(moved(base, "team-a")).desired)
    team_b = unique_names(steady_state(moved(base, "team-b")).desired)

    shared = sorted(set(team_a) & set(team_b))
    assert not shared, "\n".join(
        f"{kind} {name!r}: {team_a[(kind, name)]} of both XRs" for kind, name in shared
    )


def test_the_name_checks_see_every_named_kind() -> None:
    """The checks above look at something: each blueprint has account- or region-wide names."""
    seen: dict[str, set[str]] = defaultdict(set)
    for scenario, resource in _composed():
        if aws_name(resource) is not None:
            seen[scenario.split("-")[0]].add(str(resource["kind"]))
    assert seen["bucket"] >= {"Bucket"}
    assert seen["cluster"] >= {"Cluster", "Role"}
    assert seen["database"] >= {"SubnetGroup", "ParameterGroup"}


# -- references -----------------------------------------------------------------------------------


def _reference_paths(node: Any, path: str) -> list[str]:
    found = []
    if isinstance(node, dict):
        for key, value in node.items():
            child = f"{path}.{key}"
            if key.endswith("SecretRef"):
                continue  # a key of a Secret (passwordSecretRef), not a resource reference
            if key.endswith(("Ref", "Refs", "Selector")):
                found.append(child)
            else:
                found += _reference_paths(value, child)
    elif isinstance(node, list):
        for item in node:
            found += _reference_paths(item, path)
    return found


@pytest.mark.parametrize("kind", _kind_cases(known_bugs.REFERENCES))
def test_every_reference_extracts_what_its_field_expects(kind: Kind) -> None:
    """A `*Ref`/`*Selector` fills its field with what the oracle's extractor yields; where that
    is not what the provider expects (oracle `mismatch`), the field must be set literally."""
    composed = _of_kind(kind)
    if not composed:
        pytest.skip(f"no blueprint composes {kind.kind}")
    facts = kind_facts(kind.cluster_api_version, kind.kind)
    assert facts is not None
    references = {r.ref_field: r for r in facts.references} | {
        r.selector_field: r for r in facts.references
    }
    problems = []
    for scenario, resource in composed:
        for path in _reference_paths(resource["spec"].get("forProvider"), "forProvider"):
            reference = references.get(path)
            if reference is None:
                problems.append(f"{scenario}: {path} is no reference the provider resolves")
            elif reference.mismatch:
                problems.append(f"{scenario}: {path}: {reference.note}")
    assert not problems, "\n".join(sorted(set(problems)))


# -- AWS name limits ------------------------------------------------------------------------------

# Longest AWS names, by kind (AWS API references: CreateBucket, CreateRole, CreateCluster,
# CreateNodegroup, CreateDBInstance, CreateDBSubnetGroup, CreateDBParameterGroup).
AWS_NAME_LIMITS = {
    "Bucket": 63,
    "Role": 64,
    "Cluster": 100,
    "NodeGroup": 63,
    "Instance": 63,
    "SubnetGroup": 255,
    "ParameterGroup": 255,
}
LONG_NAMESPACE = "n" * 63
LONG_NAME = "x" * 63


def _longest(scenario: Scenario) -> Scenario:
    if "claimRef" in scenario.xr["spec"]:
        claim_ref = scenario.xr["spec"]["claimRef"]
        claim = {
            "apiVersion": claim_ref["apiVersion"],
            "kind": claim_ref["kind"],
            "metadata": {"name": LONG_NAME, "namespace": LONG_NAMESPACE},
            "spec": {"parameters": copy.deepcopy(scenario.xr["spec"]["parameters"])},
        }
        xr = simulate.claim_to_xr(claim)
    else:
        xr = copy.deepcopy(scenario.xr)
        xr["metadata"] = {"name": LONG_NAME, "namespace": LONG_NAMESPACE}
    world = tuple(
        {**o, "metadata": {**o["metadata"], "namespace": LONG_NAMESPACE}} for o in scenario.world
    )
    return Scenario(f"{scenario.name}@longest", xr, world)


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_aws_names_fit_aws_limits_for_the_longest_names_kubernetes_allows(scenario: str) -> None:
    desired = steady_state(_longest(SCENARIOS[scenario])).desired
    too_long = [
        f"{resource['kind']} {key}: {name!r} ({len(name)} > {AWS_NAME_LIMITS[resource['kind']]})"
        for key, resource in desired.items()
        if resource["kind"] in AWS_NAME_LIMITS
        and (name := aws_name(resource)) is not None
        and len(name) > AWS_NAME_LIMITS[resource["kind"]]
    ]
    assert not too_long, "\n".join(too_long)
