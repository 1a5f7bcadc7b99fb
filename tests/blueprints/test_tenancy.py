"""Tenants: a Cluster of isolation namespace or vcluster, given its host Cluster as Crossplane's
required resource, composes these resources into the host."""

from __future__ import annotations

import base64
import functools
from typing import Any

import pytest
import yaml
from support.compose import (
    REPO,
    RUNNER,
    documents,
    fatal_messages,
    load_xr,
    manifests,
    namespaced,
    status,
    with_parameters,
)
from support.crds import crds_available, validate
from support.golden import assert_golden

from functions import simulate

HOST_CLAIM = load_xr("cluster/claim.yaml")
TENANTS = {
    "namespace": load_xr("cluster/claim-namespace.yaml"),
    "vcluster": load_xr("cluster/claim-vcluster.yaml"),
}
MODES = ("claim", "namespaced")
REQUIRED_HOST_FILE = REPO / "examples/cluster/required-host.yaml"
READY = {"type": "Ready", "status": "True", "reason": "Available"}


@functools.cache
def host(mode: str) -> dict[str, Any]:
    """The host as Crossplane hands it to a tenant: the Cluster claim (claim mode) or the
    XCluster in the tenant's namespace (namespaced mode), composed, Ready, with its status."""
    xr = HOST_CLAIM if mode == "claim" else namespaced(HOST_CLAIM)
    final = simulate.replay(RUNNER.run, xr)[-1]
    reported = {**status(final.response), "conditions": [READY]}
    if mode == "namespaced":
        return {**xr, "status": reported}
    return {
        "apiVersion": xr["apiVersion"],
        "kind": "Cluster",
        "metadata": {"name": "platform", "namespace": "team-a"},
        "spec": {
            "parameters": xr["spec"]["parameters"],
            "resourceRef": {
                "apiVersion": xr["apiVersion"],
                "kind": "XCluster",
                "name": xr["metadata"]["name"],
            },
        },
        "status": reported,
    }


def tenant(isolation: str, mode: str) -> dict[str, Any]:
    xr = TENANTS[isolation]
    return xr if mode == "claim" else namespaced(xr)


def replay(xr: dict[str, Any], mode: str, **kwargs: Any) -> list[simulate.Round]:
    return simulate.replay(RUNNER.run, xr, required={"host": [host(mode)]}, **kwargs)


@functools.cache
def rounds(isolation: str, mode: str) -> tuple[simulate.Round, ...]:
    return tuple(replay(tenant(isolation, mode), mode))


def final(isolation: str, mode: str) -> simulate.Round:
    last = rounds(isolation, mode)[-1]
    assert not last.fatal, last.fatal
    return last


# -- whole compositions ----------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("isolation", TENANTS)
def test_golden(isolation: str, mode: str) -> None:
    assert_golden(
        f"cluster/{isolation}-tenant-{mode}.yaml", documents(final(isolation, mode).response)
    )


@pytest.mark.skipif(not crds_available(), reason="no CRDs in ../shared/crds")
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("isolation", TENANTS)
def test_every_resource_and_manifest_at_every_stage_is_valid(isolation: str, mode: str) -> None:
    import kubernetes_validate

    errors = []
    for stage, round_ in enumerate(rounds(isolation, mode)):
        for key, resource in round_.desired.items():
            if resource["kind"] == "Secret":
                continue
            errors += [f"stage {stage} {key}: {e}" for e in validate(resource)]
        for key, manifest in manifests(round_.desired).items():
            if manifest["kind"] == "Service" or (
                manifest["kind"] == "Secret" and "data" not in manifest
            ):
                continue  # observe-only references: just apiVersion, kind and name
            try:
                kubernetes_validate.validate(manifest, "1.33", strict=True)
            except kubernetes_validate.ValidationError as error:
                errors.append(f"stage {stage} {key}: {error.message}")
    assert errors == []


# -- namespace -------------------------------------------------------------------------------


def test_a_namespace_tenant_is_fenced_and_used_through_oidc() -> None:
    objects = manifests(final("namespace", "claim").desired)
    assert objects["namespace"]["metadata"] == {
        "name": "team-a-checkout-dev",
        "labels": {
            "paved.dev/tenant": TENANTS["namespace"]["metadata"]["name"],
            "pod-security.kubernetes.io/audit": "restricted",
            "pod-security.kubernetes.io/enforce": "baseline",
            "pod-security.kubernetes.io/enforce-version": "latest",
            "pod-security.kubernetes.io/warn": "restricted",
        },
    }
    assert objects["resource-quota"]["spec"]["hard"] == {
        "requests.cpu": "8",
        "requests.memory": "32Gi",
        "pods": "100",
        "requests.storage": "200Gi",
        "services.loadbalancers": "0",
        "services.nodeports": "0",
    }
    assert objects["network-default-deny"]["spec"] == {
        "podSelector": {},
        "policyTypes": ["Ingress", "Egress"],
    }
    assert objects["admins"]["roleRef"]["name"] == "admin"
    assert objects["admins"]["subjects"] == [
        {
            "kind": "Group",
            "name": "oidc:checkout-developers",
            "apiGroup": "rbac.authorization.k8s.io",
        }
    ]
    assert objects["viewers"]["roleRef"]["name"] == "view"


def test_every_object_goes_through_the_hosts_kubernetes_provider_config() -> None:
    host_config = host("claim")["status"]["cluster"]["providerConfigName"]
    for key, resource in final("namespace", "claim").desired.items():
        if resource["kind"] == "Object":
            assert resource["spec"]["providerConfigRef"] == {"name": host_config}, key


def test_the_namespace_comes_first_then_what_fences_it() -> None:
    first = [set(r.desired) for r in rounds("namespace", "claim")]
    assert first[0] == {"namespace"}
    assert {"resource-quota", "network-default-deny", "admins", "usage-host-by-namespace"} <= first[
        1
    ]


def test_connection_details_sign_in_through_the_hosts_oidc_provider() -> None:
    details = final("namespace", "claim").response.desired.composite.connection_details
    assert sorted(details) == [
        "certificate-authority-data",
        "endpoint",
        "kubeconfig",
        "namespace",
        "server",
    ]
    cluster = host("claim")["status"]["cluster"]
    assert details["server"].decode() == cluster["endpoint"]
    assert details["namespace"] == b"team-a-checkout-dev"
    config = yaml.safe_load(details["kubeconfig"])
    assert config["contexts"][0]["context"]["namespace"] == "team-a-checkout-dev"
    assert (
        config["clusters"][0]["cluster"]["certificate-authority-data"]
        == cluster["certificateAuthorityData"]
    )
    assert set(config["users"][0]["user"]) == {"exec"}, "no static token or certificate"
    assert (
        "--oidc-issuer-url=https://sso.example.com/dex"
        in config["users"][0]["user"]["exec"]["args"]
    )


def test_namespaced_mode_writes_the_connection_secret_next_to_the_xr() -> None:
    secret = final("namespace", "namespaced").desired["connection-secret"]
    name = TENANTS["namespace"]["metadata"]["name"]
    assert base64.b64decode(secret["data"]["namespace"]) == f"team-a-{name}".encode()


def test_the_host_cannot_be_deleted_while_the_tenant_uses_it() -> None:
    usage = final("namespace", "claim").desired["usage-host-by-namespace"]
    assert usage["kind"] == "ClusterUsage"
    assert usage["spec"]["of"] == {
        "apiVersion": "platform.paved.dev/v1alpha1",
        "kind": "XCluster",
        "resourceRef": {"name": HOST_CLAIM["metadata"]["name"]},
    }
    namespaced_usage = final("namespace", "namespaced").desired["usage-host-by-namespace"]
    assert namespaced_usage["kind"] == "Usage"
    assert namespaced_usage["spec"]["of"]["resourceRef"] == {"name": "platform"}


def test_status_reports_the_tenant() -> None:
    cluster = status(final("namespace", "claim").response)["cluster"]
    assert cluster == {
        "isolation": "namespace",
        "name": "team-a-checkout-dev",
        "namespace": "team-a-checkout-dev",
        "host": HOST_CLAIM["metadata"]["name"],
        "region": "eu-west-1",
        "endpoint": host("claim")["status"]["cluster"]["endpoint"],
    }


# -- vcluster --------------------------------------------------------------------------------


def test_a_vcluster_is_a_pinned_chart_with_quota_network_policy_and_oidc() -> None:
    release = final("vcluster", "claim").desired["vcluster"]["spec"]["forProvider"]
    assert release["chart"] == {
        "name": "vcluster",
        "repository": "https://charts.loft.sh",
        "version": "0.36.1",
    }
    assert release["namespace"] == "team-a-checkout-staging"
    values = release["values"]
    assert values["policies"]["networkPolicy"] == {"enabled": True}
    assert values["policies"]["resourceQuota"]["quota"]["requests.cpu"] == "16"
    assert (
        "--oidc-issuer-url=https://sso.example.com/dex"
        in values["controlPlane"]["distro"]["k8s"]["apiServer"]["extraArgs"]
    )


def test_vcluster_values_exist_in_the_chart_and_match_its_schema() -> None:
    import json

    import jsonschema

    chart = REPO.parent / "shared" / "charts" / "vcluster"
    if not chart.exists():
        pytest.skip("no charts in ../shared/charts")
    schema = json.loads((chart / "values.schema.json").read_text())
    for round_ in rounds("vcluster", "claim"):
        release = round_.desired.get("vcluster")
        if release:
            jsonschema.validate(release["spec"]["forProvider"]["values"], schema)


def test_the_kubeconfig_names_the_load_balancer_once_aws_assigned_it() -> None:
    round_ = final("vcluster", "claim")
    observed = {k: simulate.observe(k, r) for k, r in round_.desired.items()}
    service = observed["api-service"].resource
    service["status"]["atProvider"] = {
        "manifest": {
            "status": {
                "loadBalancer": {"ingress": [{"hostname": "vc-123.elb.eu-west-1.amazonaws.com"}]}
            }
        }
    }
    rsp = RUNNER.run(
        simulate.request(tenant("vcluster", "claim"), observed, required={"host": [host("claim")]})
    )
    values = simulate.desired_resources(rsp)["vcluster"]["spec"]["forProvider"]["values"]
    assert values["exportKubeConfig"] == {"server": "https://vc-123.elb.eu-west-1.amazonaws.com"}
    assert values["controlPlane"]["proxy"] == {"extraSANs": ["vc-123.elb.eu-west-1.amazonaws.com"]}
    # Status missing later (restore): the Release keeps the server it was told.
    observed = {k: simulate.observe(k, r) for k, r in simulate.desired_resources(rsp).items()}
    observed["api-service"].resource["status"].pop("atProvider", None)
    again = RUNNER.run(
        simulate.request(tenant("vcluster", "claim"), observed, required={"host": [host("claim")]})
    )
    assert simulate.desired_resources(again)["vcluster"]["spec"]["forProvider"]["values"] == values


def test_the_vcluster_gets_provider_configs_from_its_kubeconfig_and_access_inside_it() -> None:
    desired = final("vcluster", "claim").desired
    reader = desired["kubeconfig"]["spec"]
    assert reader["managementPolicies"] == ["Observe"]
    assert reader["connectionDetails"][0]["fieldPath"] == "data.config"
    secret = reader["writeConnectionSecretToRef"]
    for key in ("helm-provider-config", "kubernetes-provider-config"):
        ref = desired[key]["spec"]["credentials"]["secretRef"]
        assert (ref["namespace"], ref["name"], ref["key"]) == (
            secret["namespace"],
            secret["name"],
            "kubeconfig",
        )
    admins = desired["admins"]
    assert (
        admins["spec"]["providerConfigRef"]["name"]
        == desired["kubernetes-provider-config"]["metadata"]["name"]
    )
    assert admins["spec"]["forProvider"]["manifest"]["roleRef"]["name"] == "cluster-admin"


@pytest.mark.parametrize("isolation", TENANTS)
def test_removing_the_last_admin_revokes_the_access(isolation: str) -> None:
    running = final(isolation, "claim")
    assert "admins" in running.observed
    xr = with_parameters(
        tenant(isolation, "claim"),
        access={**TENANTS[isolation]["spec"]["parameters"]["access"], "admins": []},
    )
    rsp = RUNNER.run(simulate.request(xr, running.observed, required={"host": [host("claim")]}))
    desired = simulate.desired_resources(rsp)
    assert "admins" not in desired  # Crossplane deletes the binding
    assert not [key for key in desired if key.endswith("-by-admins")]
    assert "viewers" in desired or "viewers" not in running.observed


# -- waiting, refusing -----------------------------------------------------------------------


@pytest.mark.parametrize("isolation", TENANTS)
def test_moving_a_running_tenant_to_another_host_is_refused(isolation: str) -> None:
    running = final(isolation, "claim")
    other = {
        **host("claim"),
        "metadata": {**host("claim")["metadata"], "name": "other"},
        "spec": {**host("claim")["spec"], "resourceRef": {"name": "other-x7k2p"}},
    }
    xr = with_parameters(tenant(isolation, "claim"), host={"clusterRef": {"name": "other"}})
    req = simulate.request(xr, running.observed, required={"host": [other]})
    rsp = RUNNER.run(req)
    (fatal,) = fatal_messages(rsp)
    assert fatal.startswith(
        "spec.parameters.host.clusterRef.name: this tenant runs on the XCluster "
        f"{host('claim')['spec']['resourceRef']['name']}; moving it to Cluster other"
    )
    assert rsp.desired == req.desired


def test_a_tenant_waits_composing_nothing_until_the_host_is_ready() -> None:
    not_ready = {**host("claim"), "status": {**host("claim")["status"], "conditions": []}}
    rsp = RUNNER.run(simulate.request(TENANTS["namespace"], required={"host": [not_ready]}))
    assert not fatal_messages(rsp)
    assert not rsp.desired.resources
    assert "waiting for the host Cluster platform to be Ready" in str(status(rsp)["progress"])


def test_a_tenant_asks_crossplane_for_its_host() -> None:
    rsp = RUNNER.run(simulate.request(TENANTS["namespace"]))
    selector = rsp.requirements.resources["host"]
    assert (selector.kind, selector.match_name, selector.namespace) == (
        "Cluster",
        "platform",
        "team-a",
    )
    assert not rsp.desired.resources


REFUSED = [
    (
        "dedicated-only field",
        {"nodePools": [{"name": "x"}]},
        None,
        "spec.parameters.nodePools: is only for isolation dedicated",
    ),
    (
        "IAM ARN as tenant access",
        {"access": {"admins": ["arn:aws:iam::123456789012:role/x"]}},
        None,
        "spec.parameters.access.admins[0]",
    ),
    (
        "host in another region",
        {"region": "eu-central-1"},
        None,
        "spec.parameters.region: the host Cluster is in eu-west-1",
    ),
    (
        "host that is a tenant",
        {},
        {"isolation": "vcluster", "host": {"clusterRef": {"name": "x"}}},
        "spec.parameters.host.clusterRef.name: the host must be a dedicated Cluster",
    ),
    ("host without oidc", {}, {"oidc": None}, "the host Cluster has no oidc"),
    (
        "add-on versions of a cluster of its own",
        {"addonVersions": {"coredns": "v1.12.4-eksbuild.1"}},
        None,
        "spec.parameters.addonVersions: is only for isolation dedicated",
    ),
]


def test_a_vcluster_needs_the_hosts_load_balancer_controller() -> None:
    required = host("claim")
    parameters = required["spec"]["parameters"]
    platform = {**parameters["platform"], "loadBalancerController": {"enabled": False}}
    required = {
        **required,
        "spec": {**required["spec"], "parameters": {**parameters, "platform": platform}},
    }
    req = simulate.request(TENANTS["vcluster"], required={"host": [required]})
    rsp = RUNNER.run(req)
    (fatal,) = fatal_messages(rsp)
    assert fatal.startswith(
        "spec.parameters.host.clusterRef.name: the host Cluster does not run the AWS Load "
        "Balancer Controller"
    )
    assert rsp.desired == req.desired


@pytest.mark.parametrize(
    ("name", "parameters", "host_change", "message"), REFUSED, ids=[r[0] for r in REFUSED]
)
def test_refused_naming_the_field(
    name: str, parameters: dict[str, Any], host_change: dict[str, Any] | None, message: str
) -> None:
    xr = with_parameters(TENANTS["namespace"], **parameters)
    required = host("claim")
    if host_change is not None:
        host_parameters = {
            k: v
            for k, v in {**required["spec"]["parameters"], **host_change}.items()
            if v is not None
        }
        for field in (
            ("network", "nodePools", "endpoint", "oidc", "logging")
            if host_change.get("isolation")
            else ()
        ):
            host_parameters.pop(field, None)
        required = {**required, "spec": {**required["spec"], "parameters": host_parameters}}
    req = simulate.request(xr, required={"host": [required]})
    rsp = RUNNER.run(req)
    (fatal,) = fatal_messages(rsp)
    assert message in fatal
    assert rsp.desired == req.desired


@pytest.mark.parametrize(
    ("before", "after"),
    [("namespace", "vcluster"), ("namespace", "dedicated"), ("vcluster", "namespace")],
)
def test_changing_isolation_on_a_running_cluster_is_refused(before: str, after: str) -> None:
    running = final(before, "claim")
    observed = {k: simulate.observe(k, r) for k, r in running.desired.items()}
    xr = with_parameters(tenant(before, "claim"), isolation=after)
    if after == "dedicated":
        xr["spec"]["parameters"] = {
            k: v
            for k, v in xr["spec"]["parameters"].items()
            if k not in ("host", "quota", "access")
        }
    rsp = RUNNER.run(simulate.request(xr, observed, required={"host": [host("claim")]}))
    (fatal,) = fatal_messages(rsp)
    assert fatal.startswith(f"spec.parameters.isolation: this Cluster runs as {before}")


def test_a_dedicated_cluster_cannot_become_a_tenant() -> None:
    observed = {
        k: simulate.observe(k, r)
        for k, r in simulate.replay(RUNNER.run, HOST_CLAIM)[-1].desired.items()
    }
    xr = {
        **HOST_CLAIM,
        "spec": {
            "parameters": {
                "region": "eu-west-1",
                "isolation": "namespace",
                "host": {"clusterRef": {"name": "other"}},
            }
        },
    }
    (fatal,) = fatal_messages(RUNNER.run(simulate.request(xr, observed)))
    assert fatal.startswith("spec.parameters.isolation: this Cluster runs as dedicated")


def test_the_example_required_host_file_is_current() -> None:
    expected = yaml.safe_dump(host("claim"), sort_keys=True)
    assert REQUIRED_HOST_FILE.read_text().split("\n", 2)[2] == expected, (
        "regenerate examples/cluster/required-host.yaml"
    )
