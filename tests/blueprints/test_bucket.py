"""XBucket: given a Bucket claim (or namespaced XBucket) and observed state, these resources."""

from __future__ import annotations

import json
from typing import Any

import pytest
from crossplane.function.proto.v1 import run_function_pb2 as fnv1
from support.compose import (
    assert_bad_parameters,
    assert_fatal,
    composed,
    documents,
    fatal_messages,
    load_xr,
    replay,
    run,
    status,
    waiting_for,
    with_parameters,
)
from support.golden import assert_golden

from functions import simulate

CLAIM = load_xr("bucket/claim.yaml")
XR = load_xr("bucket/xr.yaml")
MODES = {"claim": CLAIM, "namespaced": XR}


@pytest.mark.parametrize("mode", MODES)
def test_first_reconcile_composes_the_key_and_bucket_and_waits_for_the_bucket(mode: str) -> None:
    rsp = run(MODES[mode])

    assert sorted(rsp.desired.resources) == (
        ["bucket", "kms-key"] if mode == "claim" else ["bucket", "connection-secret", "kms-key"]
    )
    assert rsp.desired.composite.ready == fnv1.READY_FALSE
    waiting = waiting_for(rsp)
    assert waiting["encryption"] == "waiting for bucket, kms-key"
    assert waiting["bucket"] == "being created"
    assert_golden(f"bucket/{mode}-first-reconcile.yaml", documents(rsp))


@pytest.mark.parametrize("mode", MODES)
def test_fully_composed_bucket(mode: str) -> None:
    final = replay(MODES[mode])[-1].response

    total = len(final.desired.resources)
    assert status(final)["progress"] == {"ready": total, "total": total, "waitingFor": []}
    assert final.desired.composite.ready == fnv1.READY_UNSPECIFIED
    assert_golden(f"bucket/{mode}-composed.yaml", documents(final))


def test_names_are_pinned() -> None:
    """Renaming any of these makes Crossplane delete and recreate a real resource."""
    final = replay(CLAIM)[-1].response
    names = {
        key: (
            resource["metadata"]["name"],
            resource["metadata"].get("annotations", {}).get("crossplane.io/external-name"),
        )
        for key, resource in simulate.desired_resources(final).items()
    }
    xr = CLAIM["metadata"]["name"]
    assert xr == "team-assets-a1b16"
    assert names == {
        "bucket": (f"{xr}-bucket", xr),
        "encryption": (f"{xr}-encryption", None),
        "kms-key": (f"{xr}-kms-key", None),
        "usage-kms-key-by-bucket": (f"{xr}-usage-kms-key-by-bucket", None),
        "lifecycle": (f"{xr}-lifecycle", None),
        "ownership-controls": (f"{xr}-ownership-controls", None),
        "public-access-block": (f"{xr}-public-access-block", None),
        "tls-policy": (f"{xr}-tls-policy", None),
        "versioning": (f"{xr}-versioning", None),
    }
    namespaced_bucket = simulate.desired_resources(replay(XR)[-1].response)["bucket"]
    assert (
        namespaced_bucket["metadata"]["annotations"]["crossplane.io/external-name"]
        == "team-a-team-assets-a1b167"
    )


def test_status_and_connection_details_in_claim_mode() -> None:
    final = replay(CLAIM)[-1].response
    name = CLAIM["metadata"]["name"]

    assert status(final)["bucket"] == {
        "name": name,
        "arn": f"arn:aws:s3:::{name}",
        "region": "eu-west-1",
    }
    assert dict(final.desired.composite.connection_details) == {
        "arn": f"arn:aws:s3:::{name}".encode(),
        "bucket": name.encode(),
        "region": b"eu-west-1",
    }


def test_namespaced_mode_writes_connection_details_to_a_secret_next_to_the_xr() -> None:
    final = replay(XR)[-1].response
    secret = simulate.desired_resources(final)["connection-secret"]

    assert secret["metadata"] == {"name": "team-assets-connection", "namespace": "team-a"}
    assert simulate.decode_secret_data(secret) == {
        "arn": "arn:aws:s3:::team-a-team-assets-a1b167",
        "bucket": "team-a-team-assets-a1b167",
        "region": "eu-west-1",
    }
    assert status(final)["connectionSecret"] == "team-assets-connection"
    assert not final.desired.composite.connection_details


class TestSafeByDefault:
    def test_never_force_destroys_and_blocks_all_public_access(self) -> None:
        resources = composed(XR)
        assert resources["bucket"]["spec"]["forProvider"]["forceDestroy"] is False
        block = resources["public-access-block"]["spec"]["forProvider"]
        assert all(
            block[flag]
            for flag in (
                "blockPublicAcls",
                "blockPublicPolicy",
                "ignorePublicAcls",
                "restrictPublicBuckets",
            )
        )
        assert resources["ownership-controls"]["spec"]["forProvider"]["rule"] == {
            "objectOwnership": "BucketOwnerEnforced"
        }

    def test_versioned_and_encrypted_with_a_rotating_composed_key(self) -> None:
        resources = composed(XR)
        assert resources["versioning"]["spec"]["forProvider"]["versioningConfiguration"] == {
            "status": "Enabled"
        }
        assert resources["kms-key"]["spec"]["forProvider"]["enableKeyRotation"] is True
        rule = resources["encryption"]["spec"]["forProvider"]["rule"][0]
        assert rule["applyServerSideEncryptionByDefault"] == {
            "sseAlgorithm": "aws:kms",
            "kmsMasterKeyIdRef": {"name": "team-assets-kms-key"},
        }

    def test_denies_requests_without_tls(self) -> None:
        policy = json.loads(composed(XR)["tls-policy"]["spec"]["forProvider"]["policy"])
        (statement,) = policy["Statement"]
        assert statement["Effect"] == "Deny"
        assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        assert statement["Resource"] == [
            "arn:aws:s3:::team-a-team-assets-a1b167",
            "arn:aws:s3:::team-a-team-assets-a1b167/*",
        ]

    def test_every_resource_is_tagged_with_the_owner(self) -> None:
        for resource in composed(CLAIM).values():
            tags = resource["spec"].get("forProvider", {}).get("tags")
            if tags is not None:
                assert tags["paved.dev/claim"] == "team-a/team-assets"
                assert tags["team"] == "team-a"


class TestOptions:
    def test_s3_managed_encryption_composes_no_key(self) -> None:
        resources = composed(with_parameters(XR, encryption={"type": "AES256"}))
        assert "kms-key" not in resources
        rule = resources["encryption"]["spec"]["forProvider"]["rule"][0]
        assert rule == {
            "applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"},
            "bucketKeyEnabled": False,
        }

    def test_a_given_key_arn_is_used_instead_of_a_composed_key(self) -> None:
        arn = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
        resources = composed(with_parameters(XR, encryption={"kmsKeyArn": arn}))
        assert "kms-key" not in resources
        default = resources["encryption"]["spec"]["forProvider"]["rule"][0][
            "applyServerSideEncryptionByDefault"
        ]
        assert default == {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": arn}

    def test_a_composed_key_is_kept_when_encryption_changes_later(self) -> None:
        """Deleting the key would make every object encrypted with it unreadable."""
        observed = replay(XR)[-1].request.observed
        changed = with_parameters(XR, encryption={"type": "AES256"})
        req = simulate.request(changed)
        req.observed.resources.MergeFrom(observed.resources)
        from support.compose import RUNNER

        rsp = RUNNER.run(req)
        assert "kms-key" in rsp.desired.resources
        assert not fatal_messages(rsp)

    def test_lifecycle_rules_only_when_asked_for(self) -> None:
        assert "lifecycle" not in composed(XR)
        rules = composed(CLAIM)["lifecycle"]["spec"]["forProvider"]["rule"]
        assert rules == [
            {
                "abortIncompleteMultipartUpload": [{"daysAfterInitiation": 7}],
                "filter": [{"prefix": ""}],
                "id": "paved",
                "noncurrentVersionExpiration": [{"noncurrentDays": 90}],
                "status": "Enabled",
                "transition": [{"days": 30, "storageClass": "STANDARD_IA"}],
            }
        ]

    def test_orphan_deletion_policy_in_both_modes(self) -> None:
        claim = composed(with_parameters(CLAIM, deletionPolicy="Orphan"))["bucket"]["spec"]
        assert claim["deletionPolicy"] == "Orphan"
        xr = composed(with_parameters(XR, deletionPolicy="Orphan"))["bucket"]["spec"]
        assert "deletionPolicy" not in xr
        assert xr["managementPolicies"] == ["Observe", "Create", "Update", "LateInitialize"]

    def test_namespaced_provider_config_kind(self) -> None:
        spec = composed(
            with_parameters(XR, providerConfigName="team-a", providerConfigKind="ProviderConfig")
        )["bucket"]["spec"]
        assert spec["providerConfigRef"] == {"kind": "ProviderConfig", "name": "team-a"}

    def test_gov_cloud_arns(self) -> None:
        policy = json.loads(
            composed(with_parameters(XR, region="us-gov-west-1"))["tls-policy"]["spec"][
                "forProvider"
            ]["policy"]
        )
        assert (
            policy["Statement"][0]["Resource"][0] == "arn:aws-us-gov:s3:::team-a-team-assets-a1b167"
        )


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        ({"region": None}, "spec.parameters.region: "),
        (
            {"region": "mars-1"},
            "spec.parameters.region: value error, 'mars-1' is not an AWS region",
        ),
        (
            {"versioning": "sometimes"},
            "spec.parameters.versioning: input should be a valid boolean",
        ),
        (
            {"encryption": {"type": "rot13"}},
            "spec.parameters.encryption.type: input should be 'aws:kms' or 'AES256'",
        ),
        (
            {
                "encryption": {
                    "type": "AES256",
                    "kmsKeyArn": "arn:aws:kms:eu-west-1:123456789012:key/x",
                }
            },
            "spec.parameters.encryption: value error, kmsKeyArn can only be set with type aws:kms",
        ),
        (
            {"lifecycle": {"expirationDays": 0}},
            "spec.parameters.lifecycle.expirationDays: input should be greater than or equal to 1",
        ),
        (
            {"tags": {"team": 7}},
            'spec.parameters.tags.team: 7 is a number; write it as a string: "7"',
        ),
        ({"versionning": True}, "spec.parameters.versionning: unknown field"),
    ],
)
def test_bad_input_is_a_fatal_result_naming_the_field(
    parameters: dict[str, Any], message: str
) -> None:
    assert_bad_parameters(XR, parameters, message)


def test_missing_parameters_name_the_required_field() -> None:
    xr = {**XR, "spec": {}}
    (fatal,) = fatal_messages(run(xr))
    assert fatal == "spec.parameters.region: field required"


@pytest.mark.parametrize(
    ("tags", "message"),
    [
        ({"aws:cloudformation": "x"}, "the aws: prefix is reserved by AWS"),
        (
            {"team": "x" * 257},
            "spec.parameters.tags.team: string should have at most 256 characters",
        ),
    ],
)
def test_tags_aws_would_refuse_are_refused_up_front(tags: dict[str, str], message: str) -> None:
    assert_fatal(with_parameters(XR, tags=tags), message)
