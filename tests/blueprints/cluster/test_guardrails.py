"""XCluster guardrails: every input AWS or Kubernetes would refuse is refused up front, naming the
field, in both modes; where the rule can live in the XRD, the XRD refuses it too."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import pytest
import yaml
from support.compose import assert_fatal, load_xr, run, with_parameters
from support.crds import CRDCatalog

from functions import simulate

CLAIM = load_xr("cluster/claim.yaml")
XR = load_xr("cluster/xr.yaml")
MODES = {"claim": CLAIM, "namespaced": XR}
REPO = Path(__file__).resolve().parents[3]


def _pool(**fields: Any) -> list[dict[str, Any]]:
    return [{"name": "general", **fields}]


def _cidrs(count: int) -> list[str]:
    return [f"203.0.{i}.0/24" for i in range(count)]


# (id, parameters, the FATAL names this field, ... and says this, whether the XRD refuses it too)
GUARDRAILS: list[tuple[str, dict[str, Any], str, str, bool]] = [
    (
        "instance type without a size",
        {"nodePools": _pool(instanceTypes=["m7i"])},
        "spec.parameters.nodePools[0].instanceTypes[0]",
        "string should match pattern",
        True,
    ),
    (
        "instance type of a size that does not exist",
        {"nodePools": _pool(instanceTypes=["m7i.huge"])},
        "spec.parameters.nodePools[0].instanceTypes[0]",
        "string should match pattern",
        True,
    ),
    (
        "a1 (Graviton) mixed with x86",
        {"nodePools": _pool(instanceTypes=["a1.large", "m7i.large"])},
        "spec.parameters.nodePools[0].instanceTypes",
        "mixes Graviton (arm64) and x86_64",
        False,
    ),
    (
        "label in kubernetes.io",
        {"nodePools": _pool(labels={"kubernetes.io/role": "x"})},
        "spec.parameters.nodePools[0].labels",
        "'kubernetes.io/role' is in a namespace Kubernetes reserves",
        True,
    ),
    (
        "label in node-restriction.kubernetes.io",
        {"nodePools": _pool(labels={"node-restriction.kubernetes.io/team": "a"})},
        "spec.parameters.nodePools[0].labels",
        "is in a namespace Kubernetes reserves",
        True,
    ),
    (
        "label in k8s.io",
        {"nodePools": _pool(labels={"x.k8s.io/team": "a"})},
        "spec.parameters.nodePools[0].labels",
        "is in a namespace Kubernetes reserves",
        True,
    ),
    (
        "label key longer than EKS allows",
        {"nodePools": _pool(labels={"example.com/" + "a" * 52: "x"})},
        "spec.parameters.nodePools[0].labels",
        "of at most 63 characters",
        True,
    ),
    (
        "empty label value",
        {"nodePools": _pool(labels={"team": ""})},
        "spec.parameters.nodePools[0].labels.team",
        "at least 1 character",
        True,
    ),
    (
        "Paved's own pool label",
        {"nodePools": _pool(labels={"paved.dev/node-pool": "other"})},
        "spec.parameters.nodePools[0].labels",
        "is set by Paved to the pool's name",
        False,
    ),
    (
        "more labels than Paved allows",
        {"nodePools": _pool(labels={f"l{i}": "x" for i in range(50)})},
        "spec.parameters.nodePools[0].labels",
        "at most 49 items",
        True,
    ),
    (
        "taint key longer than EKS allows",
        {"nodePools": _pool(taints=[{"key": "example.com/" + "a" * 52, "effect": "NoSchedule"}])},
        "spec.parameters.nodePools[0].taints[0].key",
        "at most 63 characters",
        True,
    ),
    (
        "taint value that is no label value",
        {"nodePools": _pool(taints=[{"key": "a", "value": "a b", "effect": "NoSchedule"}])},
        "spec.parameters.nodePools[0].taints[0].value",
        "string should match pattern",
        True,
    ),
    (
        "more taints than EKS allows",
        {"nodePools": _pool(taints=[{"key": f"k{i}", "effect": "NoSchedule"} for i in range(51)])},
        "spec.parameters.nodePools[0].taints",
        "at most 50 items",
        True,
    ),
    (
        "a zone letter the region does not have",
        {"network": {"availabilityZones": ["eu-west-1a", "eu-west-1d"]}},
        "spec.parameters.network.availabilityZones[1]",
        "eu-west-1 has no zone eu-west-1d",
        False,
    ),
    (
        "more public CIDRs than EKS allows",
        {"endpoint": {"publicCidrs": _cidrs(41)}},
        "spec.parameters.endpoint.publicCidrs",
        "at most 40 items",
        True,
    ),
    (
        "an IPv6 public CIDR",
        {"endpoint": {"publicCidrs": ["2001:db8::/32"]}},
        "spec.parameters.endpoint.publicCidrs[0]",
        "EKS accepts only IPv4 CIDRs",
        False,
    ),
    (
        "empty OIDC username prefix",
        {"oidc": {"issuerUrl": "https://sso.example.com", "clientId": "k", "usernamePrefix": ""}},
        "spec.parameters.oidc.usernamePrefix",
        "at least 1 character",
        True,
    ),
    (
        "OIDC groups prefix system:",
        {
            "oidc": {
                "issuerUrl": "https://sso.example.com",
                "clientId": "k",
                "groupsPrefix": "system:masters",
            }
        },
        "spec.parameters.oidc.groupsPrefix",
        "names starting with system: are reserved",
        True,
    ),
    (
        "add-on version that is not one",
        {"addonVersions": {"coredns": "1.12"}},
        "spec.parameters.addonVersions.coredns",
        "string should match pattern",
        True,
    ),
]

ACCEPTED: list[tuple[str, dict[str, Any]]] = [
    (
        "metal and flex sizes",
        {"nodePools": _pool(instanceTypes=["c7i.metal-24xl", "m7i-flex.2xlarge"])},
    ),
    ("Graviton GPU and Graviton", {"nodePools": _pool(instanceTypes=["g5g.xlarge", "m7g.large"])}),
    (
        "labels a kubelet may set",
        {
            "nodePools": _pool(
                labels={"node.kubernetes.io/lifecycle": "spot", "topology.kubernetes.io/zone": "a"}
            )
        },
    ),
    ("40 public CIDRs", {"endpoint": {"publicCidrs": _cidrs(40)}}),
    (
        "zones the region has",
        {"region": "us-west-1", "network": {"availabilityZones": ["us-west-1a", "us-west-1c"]}},
    ),
    (
        "an OIDC prefix that is not system:",
        {"oidc": {"issuerUrl": "https://sso.example.com", "clientId": "k", "groupsPrefix": "sso:"}},
    ),
    ("a pinned add-on", {"addonVersions": {"awsEbsCsiDriver": "v1.48.0-eksbuild.2"}}),
]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("parameters", "field", "message"),
    [pytest.param(p, f, m, id=i) for i, p, f, m, _ in GUARDRAILS],
)
def test_refused_up_front_naming_the_field(
    mode: str, parameters: dict[str, Any], field: str, message: str
) -> None:
    assert_fatal(with_parameters(MODES[mode], **parameters), f"{field}: ")
    assert_fatal(with_parameters(MODES[mode], **parameters), message)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("parameters", [pytest.param(p, id=i) for i, p in ACCEPTED])
def test_what_aws_accepts_is_composed(mode: str, parameters: dict[str, Any]) -> None:
    rsp = run(with_parameters(MODES[mode], **parameters))
    assert not [r.message for r in rsp.results if r.severity == 1], rsp.results


def test_a_sample_over_grpc() -> None:
    from server.serving import serving

    sample = {"instance type without a size", "label in kubernetes.io", "an IPv6 public CIDR"}
    rows = [row for row in GUARDRAILS if row[0] in sample]
    assert len(rows) == len(sample)
    with serving("--insecure") as served:
        for _, parameters, field, message, _ in rows:
            rsp = served.run(simulate.request(with_parameters(XR, **parameters)))
            (fatal,) = [r.message for r in rsp.results if r.severity == 1]
            assert fatal.startswith(f"{field}: ") or f"; {field}: " in fatal
            assert message in fatal
        assert served.stop() == 0


# -- the XRD says the same --------------------------------------------------------------------


@functools.cache
def _xrd_catalog(tmp: Path) -> CRDCatalog:
    xrd = yaml.safe_load((REPO / "xrds" / "namespaced" / "xcluster.yaml").read_text())
    spec = xrd["spec"]
    for version in spec["versions"]:
        # What Crossplane adds to every XR's schema.
        version["schema"]["openAPIV3Schema"]["properties"].update(
            {
                "apiVersion": {"type": "string"},
                "kind": {"type": "string"},
                "metadata": {"type": "object"},
            }
        )
    crd = {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": xrd["metadata"]["name"]},
        "spec": {
            "group": spec["group"],
            "names": {"kind": spec["names"]["kind"], "plural": spec["names"]["plural"]},
            "scope": "Namespaced",
            "versions": [
                {"name": v["name"], "served": True, "storage": True, "schema": v["schema"]}
                for v in spec["versions"]
            ],
        },
    }
    (tmp / "xcluster.yaml").write_text(yaml.safe_dump(crd))
    return CRDCatalog(tmp)


@pytest.fixture(scope="module")
def xrd(tmp_path_factory: pytest.TempPathFactory) -> CRDCatalog:
    return _xrd_catalog(tmp_path_factory.mktemp("xrd"))


@pytest.mark.parametrize(
    ("parameters", "field"),
    [pytest.param(p, f, id=i) for i, p, f, _, in_xrd in GUARDRAILS if in_xrd],
)
def test_the_xrd_refuses_it_too(xrd: CRDCatalog, parameters: dict[str, Any], field: str) -> None:
    errors = xrd.validate(with_parameters(XR, **parameters))
    assert errors, f"the XRD accepts what the function refuses at {field}"
    assert xrd.validate(XR) == []


@pytest.mark.parametrize("parameters", [pytest.param(p, id=i) for i, p in ACCEPTED])
def test_the_xrd_accepts_what_the_function_accepts(
    xrd: CRDCatalog, parameters: dict[str, Any]
) -> None:
    assert xrd.validate(with_parameters(XR, **parameters)) == []
