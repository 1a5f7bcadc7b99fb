"""Blueprint bugs of issue 8 the day-2 tests find, fixed on other branches.

Each entry makes the matching test case an expected failure (not strict: a fix turns it green
without touching this file) whose reason names the bug. Once its fix is merged, delete the entry
(tables) or set it to None (single findings); the property-based pair test then covers that field
too.
"""

from __future__ import annotations

import pytest


def xfail(reason: str | None) -> pytest.MarkDecorator:
    """An expected failure naming its bug; None (the bug is fixed): expected to pass."""
    return pytest.mark.xfail(reason is not None, reason=reason or "", strict=False)


# -- test_transitions: one field changed on a running XR ---------------------------------------
# (blueprint or scenario, change case) -> why it fails.

_OIDC = (
    "issue 8.8: IdentityProviderConfig's oidc block is ForceNew; the change is composed in place "
    "(upjet refuses it: stuck) instead of refused with a FATAL"
)
_POOL = (
    "issue 8.8: a NodeGroup's {} is ForceNew; the change is composed in place (upjet refuses it: "
    "stuck) instead of a rolling replacement"
)
TRANSITIONS: dict[tuple[str, str], str] = {
    ("cluster", "network-cidr"): (
        "issue 8.7: network.cidr changes the VPC's and subnets' cidrBlock in place (ForceNew: "
        "stuck) instead of a FATAL"
    ),
    ("cluster", "network-nat-single"): (
        "issue 8.7: natGateways perZone -> single drops NAT gateways and EIPs that the private "
        "routes still point at; issue 8.9: the routes' natGatewayIdRef changes without "
        "policy.resolve: Always, so it never takes effect"
    ),
    ("cluster", "network-zones-fewer"): (
        "issue 8.7: zones 3 -> 2 drops a zone's subnets, route tables, NAT gateway and EIP, and "
        "moves the node groups' subnets in place (ForceNew); issue 8.9: the cluster's and node "
        "groups' subnetIdRefs change without policy.resolve: Always"
    ),
    **{
        ("cluster", f"oidc-{field}"): _OIDC
        for field in (
            "issuer",
            "client-id",
            "username-claim",
            "groups-claim",
            "username-prefix",
            "groups-prefix",
        )
    },
    ("cluster", "pool-instance-types"): _POOL.format("instanceTypes"),
    ("cluster", "pool-capacity-type"): _POOL.format("capacityType"),
    ("cluster", "pool-disk-size"): _POOL.format("diskSize"),
    ("cluster", "access-admin-becomes-viewer"): (
        "issue 8.8: moving a principal from admins to viewers changes its "
        "AccessPolicyAssociation's policyArn in place (ForceNew: stuck); found by the pair test"
    ),
    ("cluster", "pool-renamed"): (
        "issue 8.8: renaming a pool drops its node group at once instead of keeping it until the "
        "renamed pool's node group is Ready"
    ),
}


# -- test_transitions: the XR settles after a change (none known) -------------------------------

SETTLING: dict[tuple[str, str], str] = {}

# -- test_transitions: pairs of valid specs -------------------------------------------------------

# Fields whose change, combined with others, hits a known bug: pairs touching them are skipped.
PAIR_FIELDS: dict[tuple[str, str], str] = {}


# -- test_transitions: the same change without observed status ----------------------------------

# (blueprint or scenario, change) -> why the answer differs without observed status.
MISSING_STATUS_TRANSITIONS: dict[tuple[str, str], str] = {
    ("cluster", "version-downgrade"): (
        "issue 8.10: the version-downgrade check reads only the Cluster's status.atProvider: "
        "without it a downgrade is composed"
    ),
}


# -- test_external_names --------------------------------------------------------------------------
# By kind: its external-name use differs from the oracle's.
EXTERNAL_NAMES: dict[str, str] = {}


# By scenario: two XRs of the same name in two namespaces share an AWS name.
NAME_CLASHES: dict[str, str] = {
    "cluster-namespaced": (
        "issue 8.2: IAM role names (<xr>-cluster-role, -node-role, -ebs-csi-role) ignore the "
        "namespace: team-b's XR adopts team-a's roles"
    ),
}


# By kind: a reference extracts what its field does not expect.
REFERENCES: dict[str, str] = {}


# -- test_observed_state ---------------------------------------------------------------------------
# By scenario or blueprint.

_CONNECTION_DETAILS = (
    "connection details are read from status.atProvider only: without it the {} loses keys "
    "(the function could keep what it observes in the XR's secret)"
)
MISSING_STATUS: dict[str, str] = {
    "cluster": (
        "issue 8.10: without the EKS Cluster's status.atProvider its secrets encryptionConfig "
        "disappears from the composed Cluster (EKS cannot turn it off: stuck); and "
        + _CONNECTION_DETAILS.format("connection secret")
    ),
    "tenant-namespace": (
        "issue 8.10: a namespace tenant publishes no connection details at all while its "
        "composed objects report no status (after a restore), so its kubeconfig Secret is emptied"
    ),
}


UNKNOWN_OBSERVED: dict[str, str] = {}

# -- test_findings ---------------------------------------------------------------------------------

KMS_KEY_USAGE: str | None = (
    "issue 8.3: no Usage holds the composed KMS key back while the data it encrypts "
    "exists: deleting the claim schedules the key's deletion at once"
)
KMS_KEY_ORPHAN: str | None = None  # issue 8.3: fixed (database keys are orphaned)
ADDON_VERSIONS: str | None = (
    "issue 8.12: add-ons are composed without addonVersion; the provider late-initializes "
    "it, so a cluster upgrade leaves them behind"
)
IAM_TAGS: str | None = (
    "issue 8.14: developer tags are copied onto IAM roles, where they act as principal "
    "tags for ABAC"
)
PRIVATE_CIDRS: str | None = None  # issue 8.14: fixed (private ranges only)
CROSSPLANE_1: str | None = None  # issue 8.5: fixed (the README offers Crossplane 2 only)
