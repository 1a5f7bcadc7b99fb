"""XBucket, day 2 and names: the bucket's name is unique per XR and never changes, its composed key
lives as long as the bucket, and every change is applied without touching an immutable field or
refused naming the field."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from support.compose import (
    composed,
    fatal_messages,
    load_xr,
    namespaced,
    run,
    settled,
    with_parameters,
)
from support.oracle import facts_available, misplaced_external_names
from support.transitions import forced_replacements

from functions import simulate
from functions.simulate import EXTERNAL_NAME

CLAIM = load_xr("bucket/claim.yaml")
XR = load_xr("bucket/xr.yaml")
MODES = {"claim": CLAIM, "namespaced": XR}
KEY_ARN = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def bucket_name(resources: dict[str, dict[str, Any]]) -> str:
    return str(resources["bucket"]["metadata"]["annotations"][EXTERNAL_NAME])


# -- names --------------------------------------------------------------------------------------


def test_the_bucket_names_are_pinned() -> None:
    """Claim mode keeps the name it always had; namespaced mode adds a hash of both names."""
    assert bucket_name(composed(CLAIM)) == "team-assets-a1b16"
    assert bucket_name(composed(XR)) == "team-a-team-assets-a1b167"


@pytest.mark.parametrize(
    ("first", "second"),
    [(("team-a", "assets"), ("team-b", "assets")), (("team-a", "b"), ("team", "a-b"))],
    ids=["same-name-two-namespaces", "ambiguous-join"],
)
def test_two_xrs_never_get_the_same_bucket(first: tuple[str, str], second: tuple[str, str]) -> None:
    """Bucket names are world-wide: the second team would adopt, and later delete, the first's."""

    def name(namespace: str, xr_name: str) -> str:
        xr = namespaced(XR, namespace)
        xr["metadata"]["name"] = xr_name
        return bucket_name(composed(xr))

    assert name(*first) != name(*second)


@pytest.mark.parametrize("mode", MODES)
def test_the_name_of_an_existing_bucket_is_kept(mode: str) -> None:
    """Whatever an existing bucket is called (an older Paved, an adopted bucket), it stays."""
    observed = copy.deepcopy(settled(MODES[mode]))
    observed["bucket"].resource["metadata"]["annotations"][EXTERNAL_NAME] = "legacy-assets"
    desired = simulate.desired_resources(run(MODES[mode], observed))
    assert bucket_name(desired) == "legacy-assets"
    for key in ("versioning", "encryption", "ownership-controls", "tls-policy"):
        assert desired[key]["spec"]["forProvider"]["bucket"] == "legacy-assets", key


def test_an_existing_bucket_is_never_refused_for_its_name() -> None:
    """The naming rules guard new buckets only; an existing one is already named."""
    xr = {**XR, "metadata": {"name": "ab"}}
    observed = settled(with_parameters({**XR, "metadata": {"name": "abc"}}))
    assert not fatal_messages(run(xr, observed))


@pytest.mark.skipif(not facts_available(), reason="needs ../shared/provider-facts")
@pytest.mark.parametrize("mode", MODES)
def test_every_external_name_is_set_exactly_where_the_provider_expects_one(mode: str) -> None:
    assert misplaced_external_names(composed(MODES[mode])) == []


# -- the key ------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_the_composed_key_is_held_back_while_the_bucket_exists(mode: str) -> None:
    resources = composed(MODES[mode])
    usage = resources["usage-kms-key-by-bucket"]
    assert usage["kind"] == ("ClusterUsage" if mode == "claim" else "Usage")
    assert usage["spec"]["of"]["kind"] == "Key"
    assert usage["spec"]["of"]["resourceRef"] == {"name": resources["kms-key"]["metadata"]["name"]}
    assert usage["spec"]["by"]["kind"] == "Bucket"
    assert usage["spec"]["by"]["resourceRef"] == {"name": resources["bucket"]["metadata"]["name"]}
    assert usage["spec"]["replayDeletion"] is True
    # AWS refuses to delete a bucket holding objects: the key goes only once nothing is left.
    assert resources["bucket"]["spec"]["forProvider"]["forceDestroy"] is False


@pytest.mark.parametrize("mode", MODES)
def test_a_key_kept_after_encryption_changed_stays_held(mode: str) -> None:
    """Objects written before the change are still encrypted with the composed key."""
    changed = with_parameters(MODES[mode], encryption={"type": "AES256"})
    desired = simulate.desired_resources(run(changed, settled(MODES[mode])))
    assert {"kms-key", "usage-kms-key-by-bucket"} <= set(desired)


def test_no_key_and_no_usage_without_a_composed_key() -> None:
    for encryption in ({"type": "AES256"}, {"kmsKeyArn": KEY_ARN}):
        resources = composed(with_parameters(XR, encryption=encryption))
        assert "kms-key" not in resources
        assert "usage-kms-key-by-bucket" not in resources


@pytest.mark.parametrize("mode", MODES)
def test_no_iam_principal_is_composed(mode: str) -> None:
    assert not {r["kind"] for r in composed(MODES[mode]).values()} & {"Role", "User"}


# -- every change: applied without touching an immutable field, or refused ----------------------

# One change per parameter: the keys the change removes on purpose, or the field refused.
CHANGES: dict[str, tuple[dict[str, Any], set[str] | str]] = {
    "versioning off": ({"versioning": False, "lifecycle": {"expirationDays": 365}}, set()),
    "versioning off with noncurrent rules": (
        {"versioning": False},
        "spec.parameters.lifecycle.noncurrentVersionExpirationDays",
    ),
    "S3-managed encryption": ({"encryption": {"type": "AES256"}}, set()),
    "a given key": ({"encryption": {"kmsKeyArn": KEY_ARN}}, set()),
    "a key of another region": (
        {"encryption": {"kmsKeyArn": KEY_ARN.replace("eu-west-1", "eu-central-1")}},
        "spec.parameters.encryption.kmsKeyArn",
    ),
    "public access allowed": ({"blockPublicAccess": False}, {"public-access-block"}),
    "no lifecycle": ({"lifecycle": {}}, {"lifecycle"}),
    "other lifecycle": ({"lifecycle": {"expirationDays": 400}}, set()),
    "no TLS policy": ({"enforceTls": False}, {"tls-policy"}),
    "tags": ({"tags": {"team": "team-z"}}, set()),
    "deletionPolicy": ({"deletionPolicy": "Orphan"}, set()),
}


@pytest.mark.skipif(not facts_available(), reason="needs ../shared/provider-facts")
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("change", CHANGES)
def test_every_change_is_applied_safely_or_refused_naming_the_field(mode: str, change: str) -> None:
    parameters, expected = CHANGES[change]
    base = MODES[mode]
    if mode == "namespaced":  # give the namespaced example the claim's lifecycle rules
        base = with_parameters(base, lifecycle=CLAIM["spec"]["parameters"]["lifecycle"])
    observed = settled(base)
    rsp = run(with_parameters(base, **parameters), observed)
    if isinstance(expected, str):
        (fatal,) = fatal_messages(rsp)
        assert fatal.startswith(expected + ":")
        return
    assert not fatal_messages(rsp)
    desired = simulate.desired_resources(rsp)
    assert set(observed) - set(desired) == expected
    assert forced_replacements(observed, desired) == []


def test_an_odd_arn_is_unknown_not_a_crash() -> None:
    observed = copy.deepcopy(settled(CLAIM))
    observed["bucket"].resource["status"]["atProvider"]["arn"] = ["not", "an", "arn"]
    rsp = run(CLAIM, observed)
    assert not fatal_messages(rsp)
    assert [r.message for r in rsp.results] == [
        "observed bucket: status.atProvider.arn is a list, not a string; treated as unknown"
    ]
    assert set(simulate.desired_resources(rsp)) == set(observed)
