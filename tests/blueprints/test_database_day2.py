"""XDatabase, day 2: every change to a running database is applied safely or refused, naming the
field; checks never fail open when the provider's status is missing; an upgrade moves the instance
to a new parameter group before the old one goes."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from crossplane.function.proto.v1 import run_function_pb2 as fnv1
from support.compose import (
    fatal_messages,
    namespaced,
    refusal,
    run,
    settled,
    status,
    with_parameters,
)
from support.database import MYSQL, ON_CLUSTER, POSTGRES, REQUIRED, cluster, engine
from support.oracle import facts_available, facts_of, field_value
from support.transitions import reconcile_until_settled, without_status

from functions import simulate
from functions.simulate import EXTERNAL_NAME

KEY_ARN = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
OTHER_KEY_ARN = "arn:aws:kms:eu-west-1:123456789012:key/9999abcd-12ab-34cd-56ef-1234567890ab"
MODES = ["claim", "namespaced"]


def in_mode(xr: dict[str, Any], mode: str) -> dict[str, Any]:
    return xr if mode == "claim" or xr["metadata"].get("namespace") else namespaced(xr)


def refused(xr: dict[str, Any], changed: dict[str, Any], required: Any = None) -> str:
    """The FATAL a change to the running `xr` gets."""
    return refusal(changed, settled(xr, required), required=required)


def desired_after(
    xr: dict[str, Any], observed: dict[str, simulate.ObservedResource], required: Any = None
) -> dict[str, dict[str, Any]]:
    rsp = run(xr, observed, required=required)
    assert not fatal_messages(rsp)
    return simulate.desired_resources(rsp)


# -- refused: RDS would replace the database or refuse for ever ---------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_changing_the_engine_of_an_existing_database_is_refused(mode: str) -> None:
    xr = in_mode(POSTGRES, mode)
    fatal = refused(xr, engine(xr, "mysql"))
    assert fatal.startswith(
        "spec.parameters.engine: the database runs postgres; changing the engine to mysql"
    )
    assert "lose its data" in fatal


@pytest.mark.parametrize("mode", MODES)
def test_shrinking_storage_is_refused(mode: str) -> None:
    xr = in_mode(POSTGRES, mode)
    assert refused(xr, with_parameters(xr, size="small")) == (
        "spec.parameters.size: storage would shrink from 100 to 20 GiB; "
        "RDS cannot shrink storage, it can only grow (set storageGiB to 100 or more to keep it)"
    )
    grown = with_parameters(xr, storageGiB=150)
    back_to_the_size = copy.deepcopy(grown)
    del back_to_the_size["spec"]["parameters"]["storageGiB"]
    assert refused(grown, back_to_the_size).startswith(
        "spec.parameters.storageGiB: storage would shrink from 150 to 100 GiB"
    )
    mysql = in_mode(MYSQL, mode)
    fatal = refused(with_parameters(mysql, storageGiB=80), mysql)
    assert fatal.startswith("spec.parameters.storageGiB: storage would shrink from 80 to 50 GiB")


@pytest.mark.parametrize("mode", MODES)
def test_downgrading_is_refused(mode: str) -> None:
    xr = in_mode(POSTGRES, mode)
    assert refused(xr, with_parameters(xr, version="15")) == (
        "spec.parameters.version: the database runs postgres 16; RDS cannot downgrade it to 15"
    )


@pytest.mark.parametrize("mode", MODES)
def test_renaming_the_database_or_changing_its_key_is_refused(mode: str) -> None:
    xr = in_mode(POSTGRES, mode)
    assert refused(xr, with_parameters(xr, databaseName="sales")).startswith(
        "spec.parameters.databaseName: the database was created as orders"
    )
    assert refused(xr, with_parameters(xr, kmsKeyArn=KEY_ARN)).startswith(
        "spec.parameters.kmsKeyArn: the database is encrypted with "
        "arn:aws:kms:eu-west-1:123456789012:key/"
    )


@pytest.mark.parametrize("mode", MODES)
def test_removing_or_changing_a_given_key_is_refused(mode: str) -> None:
    """Removing kmsKeyArn would compose a new key and move the database onto it."""
    xr = with_parameters(in_mode(POSTGRES, mode), kmsKeyArn=KEY_ARN)
    without_key = copy.deepcopy(xr)
    del without_key["spec"]["parameters"]["kmsKeyArn"]
    assert refused(xr, without_key) == (
        f"spec.parameters.kmsKeyArn: the database is encrypted with {KEY_ARN}; changing the key "
        "to a new key composed for it would replace it"
    )
    assert refused(xr, with_parameters(xr, kmsKeyArn=OTHER_KEY_ARN)).startswith(
        f"spec.parameters.kmsKeyArn: the database is encrypted with {KEY_ARN}; "
        f"changing the key to {OTHER_KEY_ARN}"
    )


def test_moving_the_database_to_another_vpc_is_refused() -> None:
    moved = {"cluster": [cluster(vpcId="vpc-0ffffffffffffffff")]}
    fatal = refusal(ON_CLUSTER, settled(ON_CLUSTER, REQUIRED), required=moved)
    assert fatal.startswith(
        "spec.parameters.network: the database is in vpc-0c1a2b3c4d5e6f708; "
        "moving it to vpc-0ffffffffffffffff"
    )


# -- ... also when the provider's status is missing (after a restore or an adoption) ------------

MISSING_STATUS_CASES = {
    "engine": (
        lambda xr: engine(xr, "mysql"),
        ("instance",),
        "spec.parameters.engine: the database runs postgres",
    ),
    "downgrade": (
        lambda xr: with_parameters(xr, version="15"),
        ("instance",),
        "spec.parameters.version: the database runs postgres 16",
    ),
    "shrink": (
        lambda xr: with_parameters(xr, size="small"),
        ("instance",),
        "spec.parameters.size: storage would shrink",
    ),
    "rename": (
        lambda xr: with_parameters(xr, databaseName="sales"),
        ("instance",),
        "spec.parameters.databaseName: the database was created as orders",
    ),
    "key set": (
        lambda xr: with_parameters(xr, kmsKeyArn=KEY_ARN),
        ("instance", "kms-key"),
        "spec.parameters.kmsKeyArn: the database is encrypted with",
    ),
}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("case", MISSING_STATUS_CASES)
def test_refusals_hold_without_the_providers_status(mode: str, case: str) -> None:
    change, stripped, expected = MISSING_STATUS_CASES[case]
    xr = in_mode(POSTGRES, mode)
    observed = without_status(settled(xr), *stripped, conditions=False)
    assert refusal(change(xr), observed).startswith(expected)


@pytest.mark.parametrize("mode", MODES)
def test_removing_a_given_key_is_refused_without_the_providers_status(mode: str) -> None:
    xr = with_parameters(in_mode(POSTGRES, mode), kmsKeyArn=KEY_ARN)
    without_key = copy.deepcopy(xr)
    del without_key["spec"]["parameters"]["kmsKeyArn"]
    observed = without_status(settled(xr), conditions=False)
    assert refusal(without_key, observed).startswith(
        f"spec.parameters.kmsKeyArn: the database is encrypted with {KEY_ARN}"
    )


def test_a_vpc_move_is_refused_without_the_providers_status() -> None:
    moved = {"cluster": [cluster(vpcId="vpc-0ffffffffffffffff")]}
    observed = without_status(
        settled(ON_CLUSTER, REQUIRED), "security-group", "instance", conditions=False
    )
    assert refusal(ON_CLUSTER, observed, required=moved).startswith(
        "spec.parameters.network: the database is in vpc-0c1a2b3c4d5e6f708"
    )


@pytest.mark.parametrize(
    ("xr", "required"),
    [
        (POSTGRES, None),
        (namespaced(POSTGRES), None),
        (with_parameters(MYSQL, kmsKeyArn=KEY_ARN.replace("eu-west-1", "us-east-1")), None),
        (ON_CLUSTER, REQUIRED),
    ],
    ids=["claim", "namespaced", "given-key", "on-cluster"],
)
def test_the_steady_state_without_any_status_composes_the_same_spec(
    xr: dict[str, Any], required: Any
) -> None:
    steady = settled(xr, required)
    desired = desired_after(xr, without_status(steady, conditions=False), required)

    assert set(desired) == set(steady)
    for key, resource in desired.items():
        before = steady[key].resource
        assert resource.get("spec") == before.get("spec"), key
        assert resource["metadata"]["name"] == before["metadata"]["name"], key
        names = (resource["metadata"].get("annotations") or {}).get(EXTERNAL_NAME)
        assert names in (None, before["metadata"]["annotations"].get(EXTERNAL_NAME)), key


# -- applied in place ---------------------------------------------------------------------------


def test_growing_storage_and_removing_a_cidr_are_applied() -> None:
    network = copy.deepcopy(POSTGRES["spec"]["parameters"]["network"])
    network["allowedCidrs"] = ["10.20.0.0/19"]
    desired = desired_after(
        with_parameters(POSTGRES, storageGiB=150, network=network), settled(POSTGRES)
    )
    assert desired["instance"]["spec"]["forProvider"]["allocatedStorage"] == 150
    # Revoking access is the point of removing a CIDR block: that rule alone goes.
    assert "ingress-10-20-32-0-19" not in desired
    assert "ingress-10-20-0-0-19" in desired


def test_storage_grown_by_autoscaling_is_not_a_shrink() -> None:
    observed = copy.deepcopy(settled(POSTGRES))
    observed["instance"].resource["status"]["atProvider"]["allocatedStorage"] = 130
    desired = desired_after(POSTGRES, observed)
    assert desired["instance"]["spec"]["forProvider"]["allocatedStorage"] == 100


@pytest.mark.parametrize("mode", MODES)
def test_changes_apply_immediately_unless_deferred_to_the_maintenance_window(mode: str) -> None:
    xr = in_mode(POSTGRES, mode)
    steady = settled(xr)
    assert steady["instance"].resource["spec"]["forProvider"]["applyImmediately"] is True
    deferred = desired_after(with_parameters(xr, applyImmediately=False), steady)
    assert deferred["instance"]["spec"]["forProvider"]["applyImmediately"] is False


# -- a major version upgrade --------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_a_major_upgrade_moves_the_instance_to_a_new_group_then_drops_the_old_one(
    mode: str,
) -> None:
    xr = in_mode(POSTGRES, mode)
    upgraded = with_parameters(xr, version="17")
    prefix = simulate.desired_resources(run(xr, settled(xr)))["instance"]["spec"]["forProvider"][
        "identifier"
    ]
    old_group, new_group = (f"{prefix}-parameter-group-postgres{v}" for v in ("16", "17"))

    # 1. The new family's group is composed; the instance stays on 16 and its group meanwhile.
    first = desired_after(upgraded, settled(xr))
    assert first["parameter-group-postgres17"]["spec"]["forProvider"]["family"] == "postgres17"
    assert "parameter-group-postgres16" in first
    instance = first["instance"]["spec"]["forProvider"]
    assert (instance["engineVersion"], instance["parameterGroupName"]) == ("16", old_group)
    assert "allowMajorVersionUpgrade" not in instance

    # 2. Once it is Ready, the instance moves to 17 and to the new group, with consent.
    second = desired_after(upgraded, simulate.observe_all(first))
    instance = second["instance"]["spec"]["forProvider"]
    assert (instance["engineVersion"], instance["parameterGroupName"]) == ("17", new_group)
    assert instance["allowMajorVersionUpgrade"] is True
    # The instance is not observed on the new group yet: the old one stays.
    assert "parameter-group-postgres16" in second

    # A deferred upgrade: asked for, not running yet. Consent stays until it runs.
    pending = simulate.observe_all(second)
    pending["instance"].resource["status"]["atProvider"]["engineVersionActual"] = "16.4"
    assert desired_after(upgraded, pending)["instance"]["spec"]["forProvider"][
        "allowMajorVersionUpgrade"
    ]

    # 3. Observed on the new group (the provider reports it): the old group goes.
    third = desired_after(upgraded, simulate.observe_all(second))
    assert "parameter-group-postgres16" not in third
    assert third["instance"]["spec"]["forProvider"]["parameterGroupName"] == new_group
    assert "allowMajorVersionUpgrade" not in third["instance"]["spec"]["forProvider"]


def test_the_old_group_is_kept_while_the_instance_reports_nothing() -> None:
    upgraded = with_parameters(POSTGRES, version="17")
    first = desired_after(upgraded, settled(POSTGRES))
    second = desired_after(upgraded, simulate.observe_all(first))
    observed = without_status(simulate.observe_all(second), "instance", conditions=False)
    assert "parameter-group-postgres16" in desired_after(upgraded, observed)


def test_the_group_reference_never_needs_resolving_again() -> None:
    """A *Ref is resolved once; the group is named literally so that an upgrade takes effect."""
    instance = settled(POSTGRES)["instance"].resource["spec"]["forProvider"]
    assert "parameterGroupNameRef" not in instance
    assert instance["parameterGroupName"] == "orders-db-f07cf-parameter-group-postgres16"


# -- every change: applied without touching an immutable field, or refused ----------------------

EXPLICIT = POSTGRES["spec"]["parameters"]["network"]
OTHER_SUBNETS = ["subnet-0a1b2c3d4e5f60009", "subnet-0a1b2c3d4e5f6000a"]

# One change per parameter; `None` when it is applied, else the field its FATAL result names.
CHANGES: dict[str, tuple[dict[str, Any], str | None]] = {
    "engine": ({"engine": "mysql", "version": "8.0"}, "spec.parameters.engine"),
    "version up": ({"version": "17"}, None),
    "version down": ({"version": "15"}, "spec.parameters.version"),
    "size up": ({"size": "large"}, None),
    "size down": ({"size": "small"}, "spec.parameters.size"),
    "instanceClass": ({"instanceClass": "db.r6g.large"}, None),
    "storageGiB": ({"storageGiB": 200}, None),
    "maxStorageGiB": ({"maxStorageGiB": 1000}, None),
    "databaseName": ({"databaseName": "sales"}, "spec.parameters.databaseName"),
    "highAvailability": ({"highAvailability": False}, None),
    "backupRetentionDays": ({"backupRetentionDays": 21}, None),
    "no backups": ({"backupRetentionDays": 0, "allowNoBackups": True}, None),
    "deletionProtection": ({"deletionProtection": False}, None),
    "finalSnapshot": ({"finalSnapshot": False}, None),
    "kmsKeyArn": ({"kmsKeyArn": KEY_ARN}, "spec.parameters.kmsKeyArn"),
    "performanceInsights": ({"performanceInsights": True}, None),
    "maintenanceWindow": ({"maintenanceWindow": "sat:05:00-sat:06:00"}, None),
    "backupWindow": ({"backupWindow": "03:00-04:00"}, None),
    "applyImmediately": ({"applyImmediately": False}, None),
    "tags": ({"tags": {"team": "team-z", "cost-center": "42"}}, None),
    "deletionPolicy": ({"deletionPolicy": "Orphan"}, None),
    "allowedCidrs": ({"network": {**EXPLICIT, "allowedCidrs": ["10.30.0.0/16"]}}, None),
    "subnetIds": (
        {
            "network": {
                **EXPLICIT,
                "subnetIds": ["subnet-0a1b2c3d4e5f60009", "subnet-0a1b2c3d4e5f6000a"],
            }
        },
        None,
    ),
}


@pytest.mark.skipif(not facts_available(), reason="needs ../shared/provider-facts")
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("change", CHANGES)
def test_every_change_is_applied_safely_or_refused_naming_the_field(mode: str, change: str) -> None:
    parameters, refused_field = CHANGES[change]
    xr = in_mode(POSTGRES, mode)
    changed = with_parameters(xr, **parameters)
    observed = settled(xr)

    if refused_field is not None:
        assert refusal(changed, observed).startswith(refused_field + ":")
        return
    rsp = reconcile_until_settled(
        lambda observed: run(changed, observed),
        observed,
        # Only what the change removes explicitly goes: a revoked CIDR's rule, a left-behind group.
        may_drop=lambda key: key.startswith(("ingress-", "parameter-group-")),
    )
    assert status(rsp)["progress"]["waitingFor"] == []


# -- every immutable field of every composed kind (provider facts) ------------------------------


def _other(value: Any) -> Any:
    """A different value of the same type, as a running resource could have been created with."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, str):
        return (
            "arn:aws:kms:eu-west-1:123456789012:key/0ther"
            if value.startswith("arn:")
            else "legacy-" + value
        )
    raise AssertionError(f"no other value for {value!r}")


def _set(resource: dict[str, Any], path: str, value: Any) -> None:
    if path.startswith("metadata.annotations["):
        resource["metadata"]["annotations"][path[len("metadata.annotations[") : -1]] = value
        return
    *parents, last = path.split(".")
    node = resource["spec"]
    for part in parents:
        node = node[part]
    node[last] = value
    field = path.split(".")[-1]
    at_provider = resource.get("status", {}).get("atProvider", {})
    if path.startswith("forProvider.") and field in at_provider:
        at_provider[field] = value


def _immutable_cases() -> list[tuple[str, str, str]]:
    cases = []
    for example, xr in (
        ("claim", POSTGRES),
        ("given-key", with_parameters(POSTGRES, kmsKeyArn=KEY_ARN)),
    ):
        for key, observed in settled(xr).items():
            facts = facts_of(observed.resource)
            for path in facts.unconditionally_immutable if facts else ():
                if field_value(observed.resource, path) is not None:
                    cases.append((example, key, path))
    return cases


@pytest.mark.skipif(not facts_available(), reason="needs ../shared/provider-facts")
@pytest.mark.parametrize(("example", "key", "path"), _immutable_cases())
def test_an_immutable_field_created_otherwise_is_kept_or_refused(
    example: str, key: str, path: str
) -> None:
    """Whatever a running resource's immutable field holds (an older Paved, an adoption), the
    compose either keeps it or refuses with a FATAL naming a parameter: never a change the
    provider would refuse for ever."""
    xr = POSTGRES if example == "claim" else with_parameters(POSTGRES, kmsKeyArn=KEY_ARN)
    observed = copy.deepcopy(settled(xr))
    created = _other(field_value(observed[key].resource, path))
    _set(observed[key].resource, path, created)
    rsp = run(xr, observed)
    fatal = fatal_messages(rsp)
    if fatal:
        (message,) = fatal
        assert message.startswith("spec.parameters"), message
        return
    desired = simulate.desired_resources(rsp)[key]
    assert field_value(desired, path) == created


# -- odd observed values never crash a compose --------------------------------------------------

ODD_VALUES: dict[str, tuple[str, list[str], Any]] = {
    "a non-numeric port": ("instance", ["status", "atProvider", "port"], "fifty"),
    "a port out of range": ("instance", ["status", "atProvider", "port"], 70000),
    "a list for the address": ("instance", ["status", "atProvider", "address"], ["a", "b"]),
    "a non-string ARN": ("instance", ["status", "atProvider", "arn"], 12),
    "a list for the engine": ("instance", ["spec", "forProvider", "engine"], ["postgres"]),
    "an object for dbName": ("instance", ["status", "atProvider", "dbName"], {"name": "x"}),
    "a number for the key": ("instance", ["status", "atProvider", "kmsKeyId"], 7),
    "a list for the VPC": ("security-group", ["status", "atProvider", "vpcId"], ["vpc-1"]),
    "a number for the identifier": ("instance", ["status", "atProvider", "identifier"], 5),
    "a list for a description": ("security-group", ["spec", "forProvider", "description"], [1]),
    "a number for the key's ARN": ("kms-key", ["status", "atProvider", "arn"], 3.5),
}


@pytest.mark.parametrize("case", ODD_VALUES)
def test_odd_observed_values_are_unknown_not_a_crash(case: str) -> None:
    key, path, value = ODD_VALUES[case]
    observed = copy.deepcopy(settled(POSTGRES))
    node = observed[key].resource
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    rsp = run(POSTGRES, observed)
    assert not fatal_messages(rsp)
    desired = simulate.desired_resources(rsp)
    assert set(desired) == set(observed)
    assert desired["instance"]["spec"]["forProvider"]["identifier"] == "orders-db-f07cf"


def test_non_utf8_connection_details_are_a_warning() -> None:
    observed = copy.deepcopy(settled(POSTGRES))
    observed["instance"].connection_details["password"] = b"\xff\xfe"
    rsp = run(POSTGRES, observed)
    assert not fatal_messages(rsp)
    warnings = [r.message for r in rsp.results if r.severity == fnv1.SEVERITY_WARNING]
    assert warnings == [
        "observed instance: connection detail 'password' is not UTF-8 text; treated as unknown"
    ]
    assert "password" not in rsp.desired.composite.connection_details
