"""Guardrails of XDatabase and XBucket: every input AWS would refuse is refused up front, with one
FATAL result naming the field, in both modes (and over real gRPC for a sample); the inputs next
to each rule that AWS accepts are composed."""

from __future__ import annotations

from typing import Any

import pytest
from server.serving import serving
from support.compose import assert_fatal, fatal_messages, load_xr, namespaced, run, with_parameters
from support.database import POSTGRES

from functions import simulate

BUCKET = load_xr("bucket/claim.yaml")
EXPLICIT = POSTGRES["spec"]["parameters"]["network"]
KEY = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
MODES = ["claim", "namespaced"]


def in_mode(xr: dict[str, Any], mode: str) -> dict[str, Any]:
    return xr if mode == "claim" else namespaced(xr)


def cidrs(*blocks: str) -> dict[str, Any]:
    return {"network": {**EXPLICIT, "allowedCidrs": list(blocks)}}


# (parameters, the message's start) — each row a way to get it wrong.
DATABASE_REFUSED: dict[str, tuple[dict[str, Any], str]] = {
    "half the internet": (
        cidrs("0.0.0.0/1", "128.0.0.0/1"),
        "spec.parameters.network.allowedCidrs[0]: value error, 0.0.0.0/1 is not a private range",
    ),
    "a public /8": (
        cidrs("8.0.0.0/8"),
        "spec.parameters.network.allowedCidrs[0]: value error, 8.0.0.0/8 is not a private range",
    ),
    "just outside RFC 1918": (
        cidrs("10.0.0.0/16", "172.32.0.0/16"),
        "spec.parameters.network.allowedCidrs[1]: value error, 172.32.0.0/16 is not a private",
    ),
    "half of IPv6": (
        cidrs("::/1"),
        "spec.parameters.network.allowedCidrs[0]: value error, ::/1 is IPv6; "
        "the database is reachable over IPv4 only",
    ),
    "IPv6 ULA on an IPv4 database": (
        cidrs("fd00::/8"),
        "spec.parameters.network.allowedCidrs[0]: value error, fd00::/8 is IPv6",
    ),
    "backup window hour 24": (
        {"backupWindow": "24:00-01:00"},
        "spec.parameters.backupWindow: string should match pattern",
    ),
    "backup window minute 60": (
        {"backupWindow": "01:60-02:30"},
        "spec.parameters.backupWindow: string should match pattern",
    ),
    "backup window of 15 minutes": (
        {"backupWindow": "01:00-01:15"},
        "spec.parameters.backupWindow: 01:00-01:15 is 15 minutes long; RDS needs at least 30",
    ),
    "empty backup window": (
        {"backupWindow": "01:00-01:00"},
        "spec.parameters.backupWindow: 01:00-01:00 is 0 minutes long",
    ),
    "maintenance window on a day that is not one": (
        {"maintenanceWindow": "sun:03:00-sunday:04:00"},
        "spec.parameters.maintenanceWindow: string should match pattern",
    ),
    "maintenance window of 20 minutes": (
        {"maintenanceWindow": "sun:03:00-sun:03:20"},
        "spec.parameters.maintenanceWindow: sun:03:00-sun:03:20 is 20 minutes long",
    ),
    "overlapping windows": (
        {"backupWindow": "03:30-04:30", "maintenanceWindow": "sun:04:00-sun:05:00"},
        "spec.parameters.backupWindow: 03:30-04:30 overlaps spec.parameters.maintenanceWindow "
        "sun:04:00-sun:05:00",
    ),
    "overlapping across midnight and the week's end": (
        {"backupWindow": "23:45-00:30", "maintenanceWindow": "mon:00:00-mon:01:00"},
        "spec.parameters.backupWindow: 23:45-00:30 overlaps spec.parameters.maintenanceWindow",
    ),
    "a key in another region": (
        {"kmsKeyArn": KEY.replace("eu-west-1", "us-east-1")},
        "spec.parameters.kmsKeyArn: the key is in region us-east-1, the resource in eu-west-1",
    ),
    "a key in another partition": (
        {"kmsKeyArn": KEY.replace("arn:aws:", "arn:aws-cn:").replace("eu-west-1", "cn-north-1")},
        "spec.parameters.kmsKeyArn: the key is in partition aws-cn, the resource in aws",
    ),
}

DATABASE_ACCEPTED: dict[str, dict[str, Any]] = {
    "RFC 1918 and RFC 6598": cidrs(
        "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10"
    ),
    "windows of exactly 30 minutes": {
        "backupWindow": "01:00-01:30",
        "maintenanceWindow": "sun:03:00-sun:03:30",
    },
    "windows next to each other": {
        "backupWindow": "03:00-04:00",
        "maintenanceWindow": "sun:04:00-sun:05:00",
    },
    "a backup window across midnight": {"backupWindow": "23:30-00:30"},
    "a maintenance window across the week's end": {"maintenanceWindow": "sun:23:30-mon:00:30"},
    "a key of the region": {"kmsKeyArn": KEY},
}

BUCKET_REFUSED: dict[str, tuple[dict[str, Any], str]] = {
    "expiring before moving to IA": (
        {"lifecycle": {"expirationDays": 30, "transitionToInfrequentAccessDays": 60}},
        "spec.parameters.lifecycle.transitionToInfrequentAccessDays: 60 days is not before "
        "spec.parameters.lifecycle.expirationDays (30)",
    ),
    "expiring the day it moves": (
        {"lifecycle": {"expirationDays": 45, "transitionToInfrequentAccessDays": 45}},
        "spec.parameters.lifecycle.transitionToInfrequentAccessDays: 45 days is not before",
    ),
    "noncurrent versions without versioning": (
        {"versioning": False, "lifecycle": {"noncurrentVersionExpirationDays": 30}},
        "spec.parameters.lifecycle.noncurrentVersionExpirationDays: there are no noncurrent "
        "versions to expire while spec.parameters.versioning is false",
    ),
    "a key in another region": (
        {"encryption": {"kmsKeyArn": KEY.replace("eu-west-1", "us-east-1")}},
        "spec.parameters.encryption.kmsKeyArn: the key is in region us-east-1, "
        "the resource in eu-west-1",
    ),
    "a key alias in another partition": (
        {"encryption": {"kmsKeyArn": "arn:aws-us-gov:kms:us-gov-west-1:123456789012:alias/x"}},
        "spec.parameters.encryption.kmsKeyArn: the key is in partition aws-us-gov",
    ),
}

BUCKET_ACCEPTED: dict[str, dict[str, Any]] = {
    "moving to IA before expiring": {
        "lifecycle": {"expirationDays": 365, "transitionToInfrequentAccessDays": 30}
    },
    "noncurrent versions with versioning": {
        "versioning": True,
        "lifecycle": {"noncurrentVersionExpirationDays": 30},
    },
    "expiring without versioning": {"versioning": False, "lifecycle": {"expirationDays": 7}},
    "a key alias of the region": {
        "encryption": {"kmsKeyArn": "arn:aws:kms:eu-west-1:123456789012:alias/team"}
    },
}


# (the XR, its table) by blueprint.
XRS = {"database": POSTGRES, "bucket": BUCKET}
REFUSED = {"database": DATABASE_REFUSED, "bucket": BUCKET_REFUSED}
ACCEPTED = {"database": DATABASE_ACCEPTED, "bucket": BUCKET_ACCEPTED}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("blueprint", "case"), [(b, case) for b, table in REFUSED.items() for case in table]
)
def test_input_aws_would_refuse_is_refused(mode: str, blueprint: str, case: str) -> None:
    parameters, message = REFUSED[blueprint][case]
    assert_fatal(with_parameters(in_mode(XRS[blueprint], mode), **parameters), message)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("blueprint", "case"), [(b, case) for b, table in ACCEPTED.items() for case in table]
)
def test_input_aws_accepts_is_composed(mode: str, blueprint: str, case: str) -> None:
    parameters = ACCEPTED[blueprint][case]
    rsp = run(with_parameters(in_mode(XRS[blueprint], mode), **parameters))
    assert not fatal_messages(rsp)
    assert rsp.desired.resources


def named(xr: dict[str, Any], name: str, namespace: str | None = None) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": name}
    if namespace:
        metadata["namespace"] = namespace
    return {**xr, "metadata": metadata}


# The final bucket name is derived from the XR: S3's rules apply to what it becomes.
BUCKET_NAMES_REFUSED: dict[str, tuple[dict[str, Any], str]] = {
    "too short": (named(BUCKET, "ab"), "is 2 characters long; S3 needs 3 to 63"),
    "reserved prefix sthree-": (
        simulate.claim_to_xr({**named(BUCKET, "sthree-data", "team-a"), "kind": "Bucket"}),
        "starts with sthree-, which S3 reserves",
    ),
    "reserved prefix amzn-s3-demo-": (
        named(BUCKET, "logs", "amzn-s3-demo-team"),
        "starts with amzn-s3-demo-, which S3 reserves",
    ),
    "reserved suffix -s3alias": (
        named(BUCKET, "data-s3alias"),
        "ends with -s3alias, which S3 reserves",
    ),
}


@pytest.mark.parametrize("case", BUCKET_NAMES_REFUSED)
def test_a_bucket_name_s3_would_refuse_is_refused_naming_the_xrs_name(case: str) -> None:
    xr, problem = BUCKET_NAMES_REFUSED[case]
    (fatal,) = fatal_messages(run(xr))
    assert fatal.startswith("metadata.name: the bucket would be named ")
    assert problem in fatal


def test_names_s3_would_refuse_cannot_come_out_of_other_xr_names() -> None:
    """xn--, --ol-s3, --x-s3 and .mrap need a double hyphen or a dot, which names never keep;
    namespaced names end in a hash, and long names are shortened to 63 characters."""
    for xr in (
        named(BUCKET, "xn--data"),
        named(BUCKET, "data--ol-s3"),
        named(BUCKET, "data.mrap"),
        named(BUCKET, "data--x-s3"),
        named(BUCKET, "data-s3alias", "team-a"),
        named(BUCKET, "b" * 63, "n" * 63),
    ):
        rsp = run(xr)
        assert not fatal_messages(rsp), xr["metadata"]
        name = simulate.desired_resources(rsp)["bucket"]["metadata"]["annotations"][
            "crossplane.io/external-name"
        ]
        assert 3 <= len(name) <= 63


def test_a_sample_of_guardrails_over_real_grpc() -> None:
    samples = {
        DATABASE_REFUSED["a public /8"][1]: with_parameters(POSTGRES, **cidrs("8.0.0.0/8")),
        DATABASE_REFUSED["overlapping windows"][1]: with_parameters(
            namespaced(POSTGRES), **DATABASE_REFUSED["overlapping windows"][0]
        ),
        BUCKET_REFUSED["noncurrent versions without versioning"][1]: with_parameters(
            BUCKET, **BUCKET_REFUSED["noncurrent versions without versioning"][0]
        ),
    }
    with serving("--insecure") as served, served.channel() as channel:
        stub = served.v1(channel)
        for message, xr in samples.items():
            rsp = stub.RunFunction(simulate.request(xr), timeout=10)
            fatal = fatal_messages(rsp)
            assert len(fatal) == 1 and fatal[0].startswith(message), fatal
        assert served.stop() == 0


# -- the XRD says the same as the function -------------------------------------------------------

FORMATS: list[tuple[dict[str, Any], bool]] = [
    ({"backupWindow": "01:00-02:00"}, True),
    ({"backupWindow": "23:30-00:30"}, True),
    ({"backupWindow": "24:00-01:00"}, False),
    ({"backupWindow": "1:00-2:00"}, False),
    ({"backupWindow": "01:60-02:30"}, False),
    ({"maintenanceWindow": "sun:03:00-sun:04:00"}, True),
    ({"maintenanceWindow": "sun:23:30-mon:00:30"}, True),
    ({"maintenanceWindow": "sunday:03:00-sunday:04:00"}, False),
    ({"maintenanceWindow": "sun:03:00"}, False),
    (cidrs("10.0.0.0/8"), True),
    (cidrs("100.64.0.0/10"), True),
    (cidrs("10.0.0.0/33"), False),
    (cidrs("fd00::/8"), False),
    (cidrs("10.0.0.0"), False),
]


@pytest.mark.parametrize(("parameters", "well_formed"), FORMATS)
def test_the_xrd_refuses_exactly_the_malformed_values_the_function_refuses(
    parameters: dict[str, Any], well_formed: bool
) -> None:
    """kubectl apply refuses a malformed claim before Crossplane sees it; the function refuses the
    same values for XRs that bypass the API server (render, older XRDs)."""
    import jsonschema

    from functions.blueprints.database import DatabaseParameters
    from functions.generate import structural

    values = {**POSTGRES["spec"]["parameters"], **parameters}
    schema_errors = list(
        jsonschema.Draft7Validator(structural(DatabaseParameters)).iter_errors(values)
    )
    assert (not schema_errors) == well_formed, schema_errors
    if not well_formed:
        assert fatal_messages(run(with_parameters(POSTGRES, **parameters)))
