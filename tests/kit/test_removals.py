"""The kit keeps every observed resource a blueprint no longer plans; each blueprint removes on
purpose what a developer turned off or took away. A change like that still takes effect, in both
modes, and nothing else goes."""

from __future__ import annotations

from typing import Any

import pytest
from crossplane.function.proto.v1 import run_function_pb2 as fnv1
from support.compose import RUNNER, fatal_messages, load_xr, namespaced, with_parameters
from support.platform import CLAIM_PLATFORM_KEYS

from functions import simulate

BUCKET = load_xr("bucket/claim.yaml")
CLUSTER = load_xr("cluster/claim.yaml")
ADMIN = "arn:aws:iam::123456789012:role/platform-admins"
ISSUER = {"issuerUrl": "https://sso.example.com/dex", "clientId": "kubernetes"}


def _settled(xr: dict[str, Any]) -> dict[str, simulate.ObservedResource]:
    last = simulate.replay(RUNNER.run, xr)[-1]
    assert not last.fatal, last.fatal
    return simulate.observed_resources(last.request)


def _change(
    before: dict[str, Any], after: dict[str, Any], mode: str
) -> tuple[set[str], set[str], fnv1.RunFunctionResponse]:
    if mode == "namespaced":
        before, after = namespaced(before), namespaced(after)
    observed = _settled(before)
    rsp = RUNNER.run(simulate.request(after, observed))
    assert not fatal_messages(rsp)
    return set(observed), set(rsp.desired.resources), rsp


CHANGES = {
    "bucket: enforceTls off": (
        BUCKET,
        with_parameters(BUCKET, enforceTls=False),
        {"tls-policy"},
    ),
    "bucket: blockPublicAccess off": (
        BUCKET,
        with_parameters(BUCKET, blockPublicAccess=False),
        {"public-access-block"},
    ),
    "bucket: lifecycle removed": (
        BUCKET,
        with_parameters(BUCKET, lifecycle={}),
        {"lifecycle"},
    ),
    "cluster: a node pool removed": (
        CLUSTER,
        with_parameters(CLUSTER, nodePools=CLUSTER["spec"]["parameters"]["nodePools"][:1]),
        {"nodes-batch", "usage-cluster-by-nodes-batch", "usage-node-role-by-nodes-batch"}
        # the platform's Releases held the pool until they were uninstalled
        | {k for k in CLAIM_PLATFORM_KEYS if k.startswith("usage-nodes-batch-by-")},
    ),
    "cluster: oidc removed": (
        CLUSTER,
        with_parameters(CLUSTER, oidc=None),
        {"oidc-identity-provider"},
    ),
}


@pytest.mark.parametrize("mode", ["claim", "namespaced"])
@pytest.mark.parametrize("change", CHANGES, ids=str)
def test_what_the_developer_takes_away_goes_and_nothing_else(change: str, mode: str) -> None:
    before, after, gone = CHANGES[change]
    if after["spec"]["parameters"].get("oidc", ...) is None:
        after = {**after, "spec": {**after["spec"]}}
        after["spec"]["parameters"] = {
            k: v for k, v in after["spec"]["parameters"].items() if k != "oidc"
        }
    observed, desired, rsp = _change(before, after, mode)
    assert gone <= observed
    assert observed - desired == gone
    warnings = [r.message for r in rsp.results if r.severity == fnv1.SEVERITY_WARNING]
    assert not [w for w in warnings if w.startswith("kept ")]


def test_an_admin_taken_away_loses_access() -> None:
    """Keeping the access entry would leave the admin in: revoking is the point."""
    before = with_parameters(CLUSTER, access={"admins": [ADMIN], "viewers": []})
    after = with_parameters(CLUSTER, access={"admins": [], "viewers": []})
    observed, desired, _ = _change(before, after, "claim")
    removed = observed - desired
    assert removed and all(key.startswith("access-") for key in removed)
    assert len(removed) == 2  # the access entry and its policy association
