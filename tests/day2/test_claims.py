"""Claim mode as Crossplane runs it: the claim's XR, its connection secret, and the claim's copy.

Crossplane (internal/controller/apiextensions/claim, composite/api.go) never copies the claim's
`writeConnectionSecretToRef` to the XR: the XR's ref comes from the Composition's
`spec.writeConnectionSecretsToNamespace` (`{name: <XR uid>, namespace}`), the XR's Secret holds the
XRD's `connectionSecretKeys` of what the function returned, and the claim controller copies that
Secret into the claim's namespace once the XR is Ready. These tests use the committed
Compositions and XRDs, exactly what a platform team applies.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from crossplane.function.proto.v1 import run_function_pb2 as fnv1

from functions import simulate
from functions.runner import FunctionRunner

REPO = Path(__file__).resolve().parents[2]
RUNNER = FunctionRunner()

# Example claim, its XR kind, and the connection keys a developer's app reads.
CLAIMS = {
    "bucket": ("examples/bucket/claim.yaml", "XBucket"),
    "cluster": ("examples/cluster/claim.yaml", "XCluster"),
    "database": ("examples/database/claim-postgres.yaml", "XDatabase"),
}


def _yaml(path: str) -> dict[str, Any]:
    return yaml.safe_load((REPO / path).read_text())


def _composition(xr_kind: str) -> dict[str, Any]:
    return _yaml(f"compositions/{xr_kind.lower()}.yaml")


def _connection_secret_keys(xr_kind: str) -> list[str]:
    return _yaml(f"xrds/claim/{xr_kind.lower()}.yaml")["spec"]["connectionSecretKeys"]


def _replay_claim(example: str) -> tuple[dict[str, Any], list[simulate.Round]]:
    path, xr_kind = CLAIMS[example]
    claim = _yaml(path)
    xr = simulate.claim_to_xr(claim, _composition(xr_kind))
    return claim, simulate.replay(RUNNER.run, xr, claim=claim)


@pytest.mark.parametrize("example", sorted(CLAIMS))
def test_the_claims_connection_secret_holds_the_xrds_keys_once_the_xr_is_ready(
    example: str,
) -> None:
    claim, rounds = _replay_claim(example)
    final = rounds[-1]
    namespace, name = claim["metadata"]["namespace"], claim["spec"]["writeConnectionSecretToRef"]
    claim_secret = final.secret(namespace, name["name"])

    returned = set(final.response.desired.composite.connection_details)

    assert final.xr_ready
    assert claim_secret is not None, "the developer never gets a connection secret"
    assert claim_secret
    assert set(claim_secret) == returned & set(_connection_secret_keys(CLAIMS[example][1]))
    assert all(claim_secret.values())


@pytest.mark.parametrize("example", sorted(CLAIMS))
def test_the_xr_writes_its_secret_to_the_compositions_namespace_named_after_its_uid(
    example: str,
) -> None:
    claim, rounds = _replay_claim(example)
    xr = rounds[-1].xr
    xr_secret = rounds[-1].secret("crossplane-system", xr["metadata"]["uid"])
    claim_secret = rounds[-1].secret(
        claim["metadata"]["namespace"], claim["spec"]["writeConnectionSecretToRef"]["name"]
    )

    assert xr["spec"]["writeConnectionSecretToRef"] == {
        "name": xr["metadata"]["uid"],
        "namespace": "crossplane-system",
    }
    assert xr_secret == claim_secret


@pytest.mark.parametrize("example", sorted(CLAIMS))
def test_no_claim_secret_before_the_xr_is_ready(example: str) -> None:
    claim, rounds = _replay_claim(example)
    ref = simulate.SecretRef(
        claim["metadata"]["namespace"], claim["spec"]["writeConnectionSecretToRef"]["name"]
    )
    for round_ in rounds:
        if not round_.xr_ready:
            assert ref not in round_.secrets


def test_every_composition_names_a_namespace_for_xr_connection_secrets() -> None:
    for path in sorted((REPO / "compositions").glob("*.yaml")):
        spec = yaml.safe_load(path.read_text())["spec"]
        assert spec.get("writeConnectionSecretsToNamespace") == "crossplane-system", path.name


# -- the simulator follows Crossplane's claim -> XR translation ---------------------------------

CLAIM = {
    "apiVersion": "platform.paved.dev/v1alpha1",
    "kind": "Bucket",
    "metadata": {
        "name": "assets",
        "namespace": "team-a",
        "labels": {"team": "a", "app.kubernetes.io/name": "web"},
        "annotations": {
            "kubectl.kubernetes.io/last-applied-configuration": "{}",
            "note": "keep",
        },
    },
    "spec": {
        "parameters": {"region": "eu-west-1"},
        "compositionRef": {"name": "xbuckets.platform.paved.dev"},
        "compositionRevisionRef": {"name": "xbuckets-abc"},
        "compositeDeletePolicy": "Foreground",
        "writeConnectionSecretToRef": {"name": "assets"},
        "resourceRef": {"name": "smuggled"},
        "resourceRefs": [{"apiVersion": "v1", "kind": "Secret", "name": "smuggled"}],
    },
}


def test_the_xr_gets_the_claims_spec_without_claim_and_xr_machinery_fields() -> None:
    xr = simulate.claim_to_xr(CLAIM, composition={"spec": {}})

    assert xr["kind"] == "XBucket"
    assert xr["spec"] == {
        "parameters": {"region": "eu-west-1"},
        "compositionRef": {"name": "xbuckets.platform.paved.dev"},
        "claimRef": {
            "apiVersion": "platform.paved.dev/v1alpha1",
            "kind": "Bucket",
            "name": "assets",
            "namespace": "team-a",
        },
    }


def test_the_xr_gets_the_claims_labels_and_annotations_except_kubernetes_ones() -> None:
    metadata = simulate.claim_to_xr(CLAIM, composition={"spec": {}})["metadata"]

    assert metadata["name"].startswith("assets-")
    assert metadata["labels"] == {
        "team": "a",
        "crossplane.io/claim-name": "assets",
        "crossplane.io/claim-namespace": "team-a",
    }
    assert metadata["annotations"] == {"note": "keep"}


def test_without_a_composition_namespace_the_xr_has_no_connection_secret() -> None:
    xr = simulate.claim_to_xr(CLAIM, composition={"spec": {}})

    assert "writeConnectionSecretToRef" not in xr["spec"]


def _answering(details: dict[str, bytes], ready: int) -> simulate.Run:
    """A function that composes one resource and returns `details` for the XR."""

    def run(req: fnv1.RunFunctionRequest) -> fnv1.RunFunctionResponse:
        rsp = fnv1.RunFunctionResponse()
        rsp.desired.resources["thing"].resource.update(
            {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "thing"}}
        )
        rsp.desired.resources["thing"].ready = ready
        for key, value in details.items():
            rsp.desired.composite.connection_details[key] = value
        return rsp

    return run


def test_the_xr_secret_keeps_only_the_xrds_connection_secret_keys() -> None:
    xr = simulate.claim_to_xr(CLAIM)
    run = _answering({"bucket": b"b", "region": b"r", "arn": b"a", "secret": b"s"}, fnv1.READY_TRUE)

    final = simulate.replay(run, xr, claim=CLAIM)[-1]

    assert final.secret("team-a", "assets") == {"arn": "a", "bucket": "b", "region": "r"}


def test_the_claim_secret_waits_for_the_xr_to_be_ready() -> None:
    xr = simulate.claim_to_xr(CLAIM)
    run = _answering({"bucket": b"b"}, fnv1.READY_FALSE)

    final = simulate.replay(run, xr, claim=CLAIM)[-1]

    assert not final.xr_ready
    assert final.secret("crossplane-system", xr["metadata"]["uid"]) == {"bucket": "b"}
    assert final.secret("team-a", "assets") is None


def test_the_function_sees_the_xr_secret_as_observed_connection_details() -> None:
    xr = simulate.claim_to_xr(CLAIM)
    rounds = simulate.replay(_answering({"bucket": b"b"}, fnv1.READY_TRUE), xr, claim=CLAIM)

    assert dict(rounds[-1].request.observed.composite.connection_details) == {"bucket": b"b"}


def test_the_claim_shows_the_xrs_status_and_its_conditions_for_the_claim() -> None:
    _, rounds = _replay_claim("cluster")
    first, final = rounds[0].claim, rounds[-1].claim
    assert first is not None and final is not None
    xr_status = rounds[-1].xr["status"]

    assert {c["type"]: c["reason"] for c in first["status"]["conditions"]}["Ready"] == "Waiting"
    assert final["status"]["progress"] == xr_status["progress"]
    assert "claimConditionTypes" not in final["status"]
    claim_conditions = {c["type"] for c in final["status"]["conditions"]}
    assert set(xr_status["claimConditionTypes"]) <= claim_conditions
    assert {c["type"]: c["reason"] for c in final["status"]["conditions"]}["Ready"] == "Available"


def test_a_manual_update_policy_propagates_the_claims_revision() -> None:
    pinned = {
        **CLAIM,
        "spec": {
            **CLAIM["spec"],
            "compositionUpdatePolicy": "Manual",
            "compositionRevisionRef": {"name": "xbuckets-abc"},
        },
    }

    assert simulate.claim_to_xr(pinned)["spec"]["compositionRevisionRef"] == {
        "name": "xbuckets-abc"
    }
    assert "compositionRevisionRef" not in simulate.claim_to_xr(CLAIM)["spec"]
