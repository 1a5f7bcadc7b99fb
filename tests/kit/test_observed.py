"""Observed values never crash a compose: a value of the wrong type is unknown, and said so."""

from __future__ import annotations

from typing import Any

import pytest
from crossplane.function.proto.v1 import run_function_pb2 as fnv1
from kit.toy import RUNNER, settled, toy
from support.compose import fatal_messages, status

from functions import simulate
from functions.kit.observed import Observed, ObservedResources


def _observed(resource: dict[str, Any], details: dict[str, bytes] | None = None) -> Observed:
    req = simulate.request(toy(), {"thing": simulate.ObservedResource(resource, details or {})})
    return ObservedResources(req.observed.resources)["thing"]


INSTANCE = {
    "apiVersion": "rds.aws.upbound.io/v1beta3",
    "kind": "Instance",
    "metadata": {"name": "db"},
    "spec": {"forProvider": {"region": "eu-west-1", "engineVersion": "16", "port": 5432}},
}


@pytest.mark.parametrize(
    ("at_provider", "read", "expected", "note"),
    [
        ({"port": 5432}, lambda o: o.integer("status", "atProvider", "port"), 5432, None),
        ({"port": "5432"}, lambda o: o.integer("status", "atProvider", "port"), 5432, None),
        (
            {"port": "fivefour"},
            lambda o: o.integer("status", "atProvider", "port"),
            None,
            "status.atProvider.port is a string, not a whole number",
        ),
        (
            {"arn": 12},
            lambda o: o.text("status", "atProvider", "arn"),
            None,
            "status.atProvider.arn is a number, not a string",
        ),
        (
            {"arn": ["arn:aws:rds:eu-west-1:123456789012:db:x"]},
            lambda o: o.text("status", "atProvider", "arn"),
            None,
            "status.atProvider.arn is a list, not a string",
        ),
        (
            {"encryptionConfig": {"provider": [{"keyArn": "k"}]}},
            lambda o: o.mapping("status", "atProvider", "encryptionConfig", "provider"),
            None,
            "status.atProvider.encryptionConfig.provider is a list, not an object",
        ),
        (
            {"subnetIds": "subnet-1"},
            lambda o: o.items("status", "atProvider", "subnetIds"),
            None,
            "status.atProvider.subnetIds is a string, not a list",
        ),
        ({"enabled": True}, lambda o: o.integer("status", "atProvider", "enabled"), None, ""),
    ],
)
def test_typed_reads_treat_a_wrong_type_as_unknown(
    at_provider: dict[str, Any], read: Any, expected: Any, note: str | None
) -> None:
    observed = _observed({**INSTANCE, "status": {"atProvider": at_provider}})
    assert read(observed) == expected
    if note is None:
        assert observed._notes == []
    elif note:
        assert observed._notes == [f"observed thing: {note}; treated as unknown"]


def test_actual_falls_back_to_the_spec_when_status_is_missing() -> None:
    """After a restore or adoption status is empty: a safety check must not pass for that."""
    restored = _observed(INSTANCE)
    assert restored.actual("engineVersion") == "16"
    assert restored.actual_text("engineVersion") == "16"
    running = _observed({**INSTANCE, "status": {"atProvider": {"engineVersion": "16.4"}}})
    assert running.actual_text("engineVersion") == "16.4"
    odd = _observed({**INSTANCE, "status": {"atProvider": {"engineVersion": 16.4}}})
    assert odd.actual_text("engineVersion") == "16"  # the odd status is unknown, spec is known
    assert odd._notes == [
        "observed thing: status.atProvider.engineVersion is a number, not a string; "
        "treated as unknown"
    ]
    assert _observed(INSTANCE).actual_mapping("missing") is None


def test_connection_details_that_are_not_utf8_are_unknown_and_never_shown() -> None:
    observed = _observed(INSTANCE, {"password": b"\xff\xfe-s3cret", "username": b"admin"})
    assert observed.connection_text("username") == "admin"
    assert observed.connection_text("password") is None
    assert observed._notes == [
        "observed thing: connection detail 'password' is not UTF-8 text; treated as unknown"
    ]


def test_odd_observed_values_are_warnings_and_the_compose_goes_on() -> None:
    xr = toy()
    observed = settled(xr)
    observed["cluster"].resource["status"]["atProvider"]["arn"] = {"not": "a string"}
    observed["key"].resource["metadata"] = ["not", "an", "object"]
    rsp = RUNNER.run(simulate.request(xr, observed))
    assert not fatal_messages(rsp)
    warnings = [r.message for r in rsp.results if r.severity == fnv1.SEVERITY_WARNING]
    assert warnings == [
        "observed cluster: status.atProvider.arn is an object, not a string; treated as unknown"
    ]
    assert "clusterArn" not in status(rsp)["toy"]
    assert set(rsp.desired.resources) == set(observed)


def test_odd_metadata_of_a_kept_resource_does_not_crash() -> None:
    xr = toy()
    observed = settled(xr)
    observed["legacy"] = simulate.ObservedResource(
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": ["odd"], "spec": 3}
    )
    rsp = RUNNER.run(simulate.request(xr, observed))
    assert not fatal_messages(rsp)
    assert "legacy" in rsp.desired.resources


def test_observed_resources_map_each_name_to_one_wrapper() -> None:
    resources = {
        "ready": {**INSTANCE, "status": {"conditions": [{"type": "Ready", "status": "True"}]}},
        "creating": {**INSTANCE, "status": {"conditions": [{"type": "Synced", "status": "True"}]}},
        "secret": {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}},
    }
    req = simulate.request(toy(), {k: simulate.ObservedResource(r) for k, r in resources.items()})
    observed = ObservedResources(req.observed.resources)
    assert len(observed) == 3 and sorted(observed) == sorted(resources)
    assert observed["ready"] is observed.get("ready") is observed["ready"]
    assert "creating" in observed and "missing" not in observed
    assert observed.get("missing") is None and observed.get("missing", "x") == "x"
    with pytest.raises(KeyError):
        observed["missing"]
    # A managed resource is ready by its Ready condition; one that never has conditions once it
    # exists.
    assert [observed.is_ready(k) for k in ("ready", "creating", "secret", "missing")] == [
        True,
        False,
        True,
        False,
    ]
    assert observed["creating"].not_ready_reason() == "NotReady"


def test_reading_through_a_value_that_is_not_an_object_finds_nothing_and_changes_nothing() -> None:
    odd = {
        "apiVersion": "v1",
        "kind": "Thing",
        "metadata": "a string",
        "spec": ["a", "list"],
        "status": {"conditions": "not a list"},
    }
    req = simulate.request(toy(), {"thing": simulate.ObservedResource(odd)})
    before = req.SerializeToString(deterministic=True)
    thing = ObservedResources(req.observed.resources)["thing"]
    assert thing.get("metadata", "name") is None
    assert thing.string("spec", "forProvider", "region") is None
    assert thing.at_provider("arn") is None
    assert thing.condition("Ready") is None and thing.ready
    assert thing.get("spec") == ["a", "list"] and thing.get() == odd
    assert req.SerializeToString(deterministic=True) == before
