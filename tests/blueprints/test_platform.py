"""The platform on every XCluster: given a cluster's claim (or namespaced XR) and what is observed,
these Helm Releases, in-cluster Objects, Pod Identity roles and Usages, in this order."""

from __future__ import annotations

import copy
import functools
import hashlib
import json
from importlib import resources
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from crossplane.function.proto.v1 import run_function_pb2 as fnv1
from support.compose import (
    EXAMPLES,
    RUNNER,
    assert_fatal,
    first_rounds,
    load_xr,
    run,
    status,
    waiting_for,
    with_parameters,
)
from support.crds import CRDS_DIR, crds_available, validate
from support.golden import assert_golden
from support.platform import (
    CLAIM_PLATFORM_KEYS,
    chart_file,
    chart_sources,
    chart_value_errors,
    charts_available,
    manifest_errors,
)

from functions import simulate
from functions.blueprints import BLUEPRINTS
from functions.blueprints.cluster.platform import load_balancer_controller
from functions.blueprints.cluster.platform.charts import CHARTS
from functions.blueprints.cluster.platform.compose import STATUS_NAMES, is_platform_key
from functions.cli import main
from functions.kit.checks import compose as compose_with
from functions.kit.checks import problems

CLAIM = load_xr("cluster/claim.yaml")  # every component on, local Argo CD with gitops
XR = load_xr("cluster/xr.yaml")  # namespaced, defaults, Argo CD in hub mode
XR_NAME = CLAIM["metadata"]["name"]
COMPONENTS = tuple(STATUS_NAMES.values())  # argocd, kyverno, loadBalancerController, ...
RELEASE_KEYS = {
    "argocd": "argocd",
    "kyverno": "kyverno",
    "loadBalancerController": "load-balancer-controller",
    "certManager": "cert-manager",
    "externalSecrets": "external-secrets",
    "metricsServer": "metrics-server",
    "monitoring": "monitoring",
    "cloudnativePg": "cloudnative-pg",
}
READY_TO_DEPLOY = ("helm-provider-config", "kubernetes-provider-config", "storage-class")
HUB = {
    "mode": "hub",
    "hub": {
        "providerConfigName": "hub",
        "roleArn": "arn:aws:iam::123456789012:role/argocd-hub",
    },
    "gitops": {"repoURL": "https://github.com/example/apps.git"},
}


def platform(xr: dict[str, Any], **components: Any) -> dict[str, Any]:
    """`xr` with these platform settings merged over the ones it has."""
    settings = copy.deepcopy(xr["spec"]["parameters"].get("platform", {}))
    for name, value in components.items():
        settings[name] = {**settings.get(name, {}), **value}
    return with_parameters(xr, platform=settings)


def namespaced_claim() -> dict[str, Any]:
    """The claim example as a namespaced XR: every component on, both modes covered."""
    return {**CLAIM, "metadata": {"name": "platform", "namespace": "team-a"}}


MODES = {"claim": CLAIM, "namespaced": namespaced_claim(), "hub": XR}


@functools.cache
def _rounds(mode: str) -> tuple[simulate.Round, ...]:
    return tuple(simulate.replay(RUNNER.run, MODES[mode]))


def _final(mode: str) -> dict[str, dict[str, Any]]:
    return _rounds(mode)[-1].desired


def _replay(xr: dict[str, Any]) -> list[simulate.Round]:
    rounds = simulate.replay(RUNNER.run, xr)
    assert not rounds[-1].fatal, rounds[-1].fatal
    return rounds


def _releases(resources: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {k: r for k, r in resources.items() if r["kind"] == "Release"}


def _objects(resources: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {k: r for k, r in resources.items() if r["kind"] == "Object"}


def _usage_sides(resources: dict[str, dict[str, Any]]) -> dict[str, tuple[str, str]]:
    """Usage key -> (used, user) composition resource names (a metadata.name when no composed
    resource has it)."""
    by_name = {r["metadata"]["name"]: k for k, r in resources.items()}

    def side(usage: dict[str, Any], which: str) -> str:
        name = usage["spec"][which]["resourceRef"]["name"]
        return by_name.get(name, name)

    return {
        k: (side(r, "of"), side(r, "by"))
        for k, r in resources.items()
        if r["kind"] in ("Usage", "ClusterUsage")
    }


def _usages(resources: dict[str, dict[str, Any]]) -> set[tuple[str, str]]:
    """(used, user) of every Usage."""
    return set(_usage_sides(resources).values())


def _platform_documents(
    resources: dict[str, dict[str, Any]], keys: set[str]
) -> list[dict[str, Any]]:
    docs = []
    for key in sorted(keys):
        resource = copy.deepcopy(resources[key])
        resource["metadata"].setdefault("annotations", {})[simulate.COMPOSITION_RESOURCE_NAME] = key
        docs.append(resource)
    return docs


@functools.cache
def _bare_keys(mode: str) -> frozenset[str]:
    """What the cluster composes with every platform component off."""
    off = {component: {"enabled": False} for component in COMPONENTS}
    return frozenset(_replay(with_parameters(MODES[mode], platform=off))[-1].desired)


# -- the whole platform ------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_the_whole_platform_is_installed_and_reported(mode: str) -> None:
    final = _rounds(mode)[-1].response
    rsp_status = status(final)

    total = len(final.desired.resources)
    assert rsp_status["progress"] == {"ready": total, "total": total, "waitingFor": []}
    assert ("PlatformReady", fnv1.STATUS_CONDITION_TRUE, "Available") in {
        (c.type, c.status, c.reason) for c in final.conditions
    }
    expected = {
        "claim": set(COMPONENTS),
        "namespaced": set(COMPONENTS),
        "hub": set(COMPONENTS) - {"monitoring", "cloudnativePg"},
    }[mode]
    assert set(rsp_status["platform"]) == expected
    for component, reported in rsp_status["platform"].items():
        if component == "argocd" and mode == "hub":
            assert reported == {"ready": True}  # nothing installed: registered with the hub
            continue
        chart = CHARTS[next(k for k, v in STATUS_NAMES.items() if v == component)]
        assert reported == {"version": chart.version, "ready": True}, component


def test_golden_platform_claim_mode() -> None:
    keys = set(_final("claim")) - _bare_keys("claim")
    assert keys == set(CLAIM_PLATFORM_KEYS)
    assert_golden("cluster/platform-claim.yaml", _platform_documents(_final("claim"), keys))


def test_golden_platform_hub_mode() -> None:
    keys = set(_final("hub")) - _bare_keys("hub")
    assert_golden("cluster/platform-hub.yaml", _platform_documents(_final("hub"), keys))


def test_names_are_pinned() -> None:
    """Renaming any of these makes Crossplane delete and recreate (or uninstall) something."""
    resources = _final("claim")
    external_names = {
        key: resources[key]["metadata"]["annotations"]["crossplane.io/external-name"]
        for key in CLAIM_PLATFORM_KEYS
        if "crossplane.io/external-name" in resources[key]["metadata"].get("annotations", {})
    }
    assert external_names == {
        # Helm release names
        "argocd": "argocd",
        "cert-manager": "cert-manager",
        "cloudnative-pg": "cnpg",
        "external-secrets": "external-secrets",
        "kyverno": "kyverno",
        "load-balancer-controller": "aws-load-balancer-controller",
        "metrics-server": "metrics-server",
        "monitoring": "kube-prometheus-stack",
        # IAM names: unique per XR in the account
        "external-secrets-policy": f"{XR_NAME}-external-secrets",
        "external-secrets-role": f"{XR_NAME}-external-secrets",
        "load-balancer-controller-policy": f"{XR_NAME}-load-balancer-controller",
        "load-balancer-controller-role": f"{XR_NAME}-load-balancer-controller",
    }
    namespaced = _final("namespaced")
    assert (
        namespaced["load-balancer-controller-role"]["metadata"]["annotations"][
            "crossplane.io/external-name"
        ]
        == "team-a-platform-load-balancer-controller"
    )
    assert (
        _final("hub")["argocd-hub-role"]["metadata"]["annotations"]["crossplane.io/external-name"]
        == "team-a-platform-argocd-hub"
    )


def test_iam_names_fit_and_include_the_namespace() -> None:
    long = {**XR, "metadata": {"name": "a" * 60, "namespace": "b" * 60}}
    other = {**XR, "metadata": {"name": "a" * 60, "namespace": "b" * 59 + "c"}}
    names = []
    for xr in (long, other):
        resources = _replay(xr)[-1].desired
        for key in ("load-balancer-controller-role", "external-secrets-role", "argocd-hub-role"):
            name = resources[key]["metadata"]["annotations"]["crossplane.io/external-name"]
            assert len(name) <= 64, name
            names.append(name)
    assert len(set(names)) == len(names)


@pytest.mark.parametrize("mode", MODES)
def test_the_platform_declares_a_stage_and_a_deletion_order_for_everything(mode: str) -> None:
    for round_ in _rounds(mode):
        out = compose_with(BLUEPRINTS["XCluster"], round_.request)
        found = [p for p in problems(out) if is_platform_key(p.split(":", 1)[0])]
        assert not found, found
        assert all(out.stages[k] == "Platform" for k in out.planned if is_platform_key(k))


def test_the_same_request_always_gives_the_same_response() -> None:
    for mode in MODES:
        request = _rounds(mode)[-1].request
        once = RUNNER.run(request).SerializeToString(deterministic=True)
        assert RUNNER.run(request).SerializeToString(deterministic=True) == once


# -- validation against the real CRDs, charts and Kubernetes schemas ---------------------------


@pytest.mark.skipif(not crds_available(), reason=f"no CRDs at {CRDS_DIR}")
@pytest.mark.parametrize("mode", MODES)
def test_every_release_object_and_manifest_is_valid(mode: str) -> None:
    version = MODES[mode]["spec"]["parameters"].get("version", "1.34")
    errors = []
    for stage, round_ in enumerate(_rounds(mode)):
        for key, resource in round_.desired.items():
            if resource["kind"] == "Secret":  # the namespaced connection secret: test_schemas
                continue
            errors += [f"stage {stage} {key}: {e}" for e in validate(resource)]
            if resource["kind"] == "Object":
                manifest = resource["spec"]["forProvider"]["manifest"]
                errors += [f"{key} manifest: {e}" for e in manifest_errors(manifest, version)]
    assert not errors, "\n".join(errors)


@pytest.mark.skipif(not charts_available(), reason="no charts in ../shared/charts")
def test_the_chart_table_names_real_published_charts() -> None:
    sources = chart_sources()
    for component, chart in CHARTS.items():
        source = sources[chart.name]
        assert chart_file(chart.name, "Chart.yaml")["name"] == chart.name, component
        assert chart.repository == source["helm_repo"], component
        assert chart.version == source["published_version"], component


RELEASE_SETTINGS = {
    "defaults": {},
    "monitoring agent": {
        "monitoring": {"enabled": True, "remoteWriteUrl": "https://prom.example.com/api/v1/write"}
    },
    "lets encrypt staging": {
        "certManager": {"letsEncrypt": {"email": "a@example.com", "staging": True}}
    },
}


@pytest.mark.skipif(not charts_available(), reason="no charts in ../shared/charts")
@pytest.mark.parametrize("settings", RELEASE_SETTINGS)
def test_every_value_paved_sets_is_a_value_of_the_chart(settings: str) -> None:
    xr = platform(CLAIM, **RELEASE_SETTINGS[settings])
    releases = _releases(_replay(xr)[-1].desired)
    assert releases
    errors = []
    for key, release in releases.items():
        for_provider = release["spec"]["forProvider"]
        chart = for_provider["chart"]["name"]
        errors += [
            f"{key} ({chart}): {e}" for e in chart_value_errors(chart, for_provider["values"])
        ]
    assert not errors, "\n".join(errors)


def test_releases_go_through_the_clusters_helm_provider_config() -> None:
    for mode, kind in (("claim", None), ("namespaced", "ProviderConfig")):
        resources = _final(mode)
        provider_config = resources["helm-provider-config"]["metadata"]["name"]
        for key, release in _releases(resources).items():
            reference = release["spec"]["providerConfigRef"]
            assert reference["name"] == provider_config, key
            assert reference.get("kind") == kind, key
            assert release["apiVersion"] == (
                "helm.crossplane.io/v1beta1" if mode == "claim" else "helm.m.crossplane.io/v1beta1"
            )
            chart = CHARTS[next(c for c, v in STATUS_NAMES.items() if RELEASE_KEYS[v] == key)]
            assert release["spec"]["forProvider"]["chart"] == {
                "name": chart.name,
                "repository": chart.repository,
                "version": chart.version,
            }
            assert release["spec"]["forProvider"]["namespace"] == chart.namespace
            assert release["spec"]["forProvider"]["wait"] is True


def test_version_and_values_are_overridable_per_component_values_merged_last() -> None:
    xr = platform(
        CLAIM,
        kyverno={
            "version": "3.8.2",
            "values": {"admissionController": {"replicas": 5, "extra": 1}},
        },
    )
    kyverno = _replay(xr)[-1].desired["kyverno"]["spec"]["forProvider"]
    assert kyverno["chart"]["version"] == "3.8.2"
    assert kyverno["values"]["admissionController"] == {"replicas": 5, "extra": 1}
    assert kyverno["values"]["backgroundController"] == {"replicas": 2}  # Paved's, kept


# -- staging ---------------------------------------------------------------------------------


def test_render_until_ready_shows_the_whole_platform_installed_in_stage_order() -> None:
    example = str(EXAMPLES / "cluster/claim.yaml")
    result = CliRunner().invoke(main, ["render", example, "--until-ready", "--no-xr"])
    assert result.exit_code == 0, result.stderr
    reconcile = {
        key: number
        for number, line in enumerate(result.stderr.splitlines())
        if line.startswith("# reconcile ")
        for key in line.split(": ", 1)[1].split(", ")
    }
    assert (
        reconcile["storage-class"]
        < reconcile["load-balancer-controller"]
        < reconcile["kyverno"]
        < reconcile["kyverno-policy-pod-security-baseline"]
        < reconcile["argocd-bootstrap"]
    )
    documents = [d for d in yaml.safe_load_all(result.stdout) if d]
    charts = {
        d["spec"]["forProvider"]["chart"]["name"] for d in documents if d["kind"] == "Release"
    }
    assert charts == {chart.name for chart in CHARTS.values()}


@pytest.mark.parametrize("mode", MODES)
def test_stages_follow_a_careful_operator(mode: str) -> None:
    rounds = _rounds(mode)
    first = first_rounds(rounds)
    final = rounds[-1].desired
    releases = set(_releases(final))
    pools = [k for k in final if k.startswith("nodes-")]
    ready = max(first[k] for k in (*READY_TO_DEPLOY, *pools, "addon-coredns"))

    assert "load-balancer-controller" in releases
    for key in releases:
        assert first[key] > ready, key
        if key != "load-balancer-controller":
            # the controller's webhook intercepts every Service: it serves before any other chart
            assert first[key] > first["load-balancer-controller"], key
    for component in ("load-balancer-controller", "external-secrets"):
        association = f"{component}-pod-identity"
        assert first[association] > first["addon-eks-pod-identity-agent"]
        assert first[association] > first[f"{component}-role"]
        assert first[component] > first[association]
    if "cloudnative-pg" in releases and "monitoring" in releases:
        assert first["cloudnative-pg"] > first["monitoring"]  # its PodMonitor needs the CRD
    objects = _objects(final)
    for key in objects:
        if key.startswith("kyverno-policy-"):
            assert first[key] > first["kyverno"], key
    for key, release in (
        ("cert-manager-issuer", "cert-manager"),
        ("external-secrets-store", "external-secrets"),
        ("argocd-bootstrap", "argocd"),
    ):
        if key in objects:
            assert first[key] > first[release], key
    for app in ("argocd-bootstrap", "argocd-hub-bootstrap"):
        if app in final:
            # the team's workloads arrive on a finished platform
            platform_keys = [k for k in final if k in releases or k in objects]
            assert all(first[app] > first[k] for k in platform_keys if k != app), app
    for key, (of, by) in _usage_sides(final).items():
        assert first[key] > max(first[of], first[by]), key


@pytest.mark.parametrize("mode", MODES)
def test_nothing_is_deployed_before_the_cluster_is_ready(mode: str) -> None:
    for round_ in _rounds(mode):
        observed = round_.request.observed.resources
        if any(r["kind"] == "Release" for r in round_.desired.values()):
            assert all(key in observed for key in READY_TO_DEPLOY)


def test_progress_covers_every_release_while_waiting() -> None:
    rsp = _rounds("claim")[3].response
    waiting = waiting_for(rsp)
    for key in _releases(_final("claim")):
        assert waiting[key].startswith("waiting for"), key
    condition = next(c for c in rsp.conditions if c.type == "PlatformReady")
    assert condition.status == fnv1.STATUS_CONDITION_FALSE
    assert condition.message.startswith("waiting for ")
    assert all(not c["ready"] for c in status(rsp)["platform"].values())


def test_kyverno_policies_never_exist_before_kyverno_is_ready() -> None:
    for round_ in _rounds("claim"):
        policies = [k for k in round_.desired if k.startswith("kyverno-policy-")]
        if policies:
            observed = round_.request.observed.resources
            assert "kyverno" in observed
            assert simulate.lookup(observed["kyverno"].resource, "status", "conditions")[0] == {
                "type": "Ready",
                "status": "True",
                "reason": "Available",
                "lastTransitionTime": simulate.TRANSITION_TIME,
            }


def test_a_release_that_is_not_ready_holds_back_what_needs_its_crds() -> None:
    request = _rounds("claim")[-1].request
    observed = {
        key: item
        for key, item in simulate.observed_resources(request).items()
        if not key.startswith(("kyverno-policy-", "usage-kyverno-by-kyverno-policy-"))
    }
    observed["kyverno"] = simulate.observe("kyverno", observed["kyverno"].resource, ready=False)
    xr = simulate.lookup(request.observed.composite.resource)
    desired = simulate.desired_resources(run(xr, observed))
    assert not [k for k in desired if k.startswith("kyverno-policy-")]
    assert "kyverno" in desired


# -- deletion order -----------------------------------------------------------------------------


def _deletion_waves(resources: dict[str, dict[str, Any]]) -> list[set[str]]:
    """Delete everything at once, as Crossplane does, with the Usages holding back what is used:
    each wave is what can go once the waves before it are gone."""
    usages = _usages(resources)
    remaining = {k for k, r in resources.items() if r["kind"] not in ("Usage", "ClusterUsage")}
    waves = []
    while remaining:
        wave = {k for k in remaining if not any(of == k and by in remaining for of, by in usages)}
        assert wave, f"a Usage cycle among {sorted(remaining)}"
        waves.append(wave)
        remaining -= wave
    return waves


def _wave(waves: list[set[str]], key: str) -> int:
    return next(i for i, wave in enumerate(waves) if key in wave)


@pytest.mark.parametrize("mode", MODES)
def test_deletion_goes_applications_load_balancers_platform_nodes_cluster(mode: str) -> None:
    resources = _final(mode)
    waves = _deletion_waves(resources)
    releases = set(_releases(resources))
    app = "argocd-bootstrap" if mode != "hub" else "argocd-hub-bootstrap"
    controller = "load-balancer-controller"

    assert _wave(waves, app) == 0
    assert _wave(waves, controller) > _wave(waves, app)
    # the EBS CSI driver deletes the workloads' volumes
    for key in ("addon-aws-ebs-csi-driver", "ebs-csi-pod-identity", "ebs-csi-role"):
        assert _wave(waves, key) > _wave(waves, app), key
    for release in releases - {controller}:
        assert _wave(waves, release) > _wave(waves, controller), release
    for key in _objects(resources):
        if key.startswith(("kyverno-policy-", "cert-manager-", "external-secrets-")):
            release = "kyverno" if key.startswith("kyverno") else key.rsplit("-", 1)[0]
            assert _wave(waves, release) > _wave(waves, key), key
    last_release = max(_wave(waves, r) for r in releases)
    for key in ("cluster-auth", *(k for k in resources if k.startswith("nodes-"))):
        assert _wave(waves, key) > last_release, key
    assert _wave(waves, "eks-cluster") > last_release
    for role in ("load-balancer-controller-role", "load-balancer-controller-pod-identity"):
        assert _wave(waves, role) > _wave(waves, controller)
    if mode == "hub":
        registration = "argocd-hub-cluster"
        assert _wave(waves, app) < _wave(waves, registration)
        for key in (
            "argocd-hub-role",
            "argocd-hub-access",
            "argocd-hub-access-policy",
            "eks-cluster",
        ):
            assert _wave(waves, key) > _wave(waves, registration), key
    assert waves[-1] >= {"vpc"} or _wave(waves, "vpc") > _wave(waves, "eks-cluster")


def test_without_the_load_balancer_controller_applications_still_go_first() -> None:
    resources = _replay(platform(CLAIM, loadBalancerController={"enabled": False}))[-1].desired
    waves = _deletion_waves(resources)
    assert "load-balancer-controller" not in resources
    assert _wave(waves, "argocd-bootstrap") < _wave(waves, "argocd")
    assert all(_wave(waves, "cluster-auth") > _wave(waves, r) for r in _releases(resources))


# -- every component on and off -----------------------------------------------------------------


def _component_keys(resources: dict[str, Any], release: str) -> set[str]:
    return {k for k in resources if k == release or k.startswith(f"{release}-")}


@pytest.mark.parametrize("component", COMPONENTS)
@pytest.mark.parametrize("mode", ["claim", "namespaced"])
def test_each_component_can_be_turned_off(component: str, mode: str) -> None:
    rounds = _replay(platform(MODES[mode], **{component: {"enabled": False}}))
    final = rounds[-1].desired
    release = RELEASE_KEYS[component]

    assert not _component_keys(final, release)
    assert all(of in final and by in final for of, by in _usages(final))
    assert component not in status(rounds[-1].response).get("platform", {})
    others = {c for c in COMPONENTS if c != component}
    for other in others:
        assert RELEASE_KEYS[other] in final, other
    errors = [f"{k}: {e}" for k, r in final.items() if r["kind"] != "Secret" for e in validate(r)]
    assert not errors, errors


def test_with_every_component_off_only_the_cluster_is_composed() -> None:
    off = {component: {"enabled": False} for component in COMPONENTS}
    final = _replay(with_parameters(CLAIM, platform=off))[-1]
    assert not _releases(final.desired)
    assert set(final.desired) == _bare_keys("claim")
    assert "platform" not in status(final.response)
    assert ("PlatformReady", fnv1.STATUS_CONDITION_TRUE) in {
        (c.type, c.status) for c in final.response.conditions
    }


def test_defaults_install_what_a_production_cluster_needs() -> None:
    defaults = {
        **CLAIM,
        "spec": {
            **CLAIM["spec"],
            "parameters": {k: v for k, v in CLAIM["spec"]["parameters"].items() if k != "platform"},
        },
    }
    final = _replay(defaults)[-1].desired
    assert set(_releases(final)) == {
        "argocd",
        "kyverno",
        "load-balancer-controller",
        "cert-manager",
        "external-secrets",
        "metrics-server",
    }
    modes = {
        final[k]["spec"]["forProvider"]["manifest"]["metadata"]["name"]: final[k]["spec"][
            "forProvider"
        ]["manifest"]["spec"]["rules"][0]["validate"]["failureAction"]
        for k in final
        if k.startswith("kyverno-policy-")
    }
    assert modes == {
        "pod-security-baseline": "Enforce",
        "pod-security-restricted": "Audit",
        "disallow-latest-tag": "Audit",
        "require-requests": "Audit",
        "require-team-labels": "Audit",
    }
    assert "argocd-bootstrap" not in final and "cert-manager-issuer" not in final


# -- day 2: turning components off and on on a running cluster -----------------------------------


def _running(xr: dict[str, Any]) -> fnv1.RunFunctionRequest:
    return _replay(xr)[-1].request


def test_turning_a_component_off_uninstalls_it() -> None:
    running = _running(CLAIM)
    xr = platform(
        simulate.lookup(running.observed.composite.resource), metricsServer={"enabled": False}
    )
    desired = simulate.desired_resources(run(xr, simulate.observed_resources(running)))
    assert "metrics-server" not in desired
    assert not [
        k for k in desired if k.endswith("-by-metrics-server") or "-metrics-server-by-" in k
    ]
    assert "kyverno" in desired and "argocd" in desired


def test_turning_kyverno_off_deletes_its_policies_before_uninstalling_it() -> None:
    running = _running(CLAIM)
    xr = platform(simulate.lookup(running.observed.composite.resource), kyverno={"enabled": False})
    observed = simulate.observed_resources(running)

    rsp = run(xr, observed)
    desired = simulate.desired_resources(rsp)
    assert not [k for k in desired if k.startswith("kyverno-policy-")]
    assert desired["kyverno"]["spec"] == observed["kyverno"].resource["spec"]  # still installed
    assert any("kyverno: uninstalled once" in r.message for r in rsp.results)

    # Crossplane deleted the policies; now the release goes.
    for key in [
        k for k in observed if k.startswith(("kyverno-policy-", "usage-kyverno-by-kyverno-policy"))
    ]:
        del observed[key]
    desired = simulate.desired_resources(run(xr, observed))
    assert "kyverno" not in desired


def test_turning_a_component_on_later_installs_it() -> None:
    off = platform(CLAIM, monitoring={"enabled": False}, cloudnativePg={"enabled": False})
    running = _running(off)
    xr = platform(
        simulate.lookup(running.observed.composite.resource), cloudnativePg={"enabled": True}
    )
    rounds = simulate.replay(RUNNER.run, xr)
    final = rounds[-1].desired
    assert "cloudnative-pg" in final
    assert status(rounds[-1].response)["platform"]["cloudnativePg"]["ready"] is True
    values = final["cloudnative-pg"]["spec"]["forProvider"]["values"]
    assert values["monitoring"]["podMonitorEnabled"] is False  # no monitoring, no PodMonitor CRD


def test_switching_argo_cd_to_the_hub_removes_the_local_one_after_its_application() -> None:
    running = _running(CLAIM)
    xr = platform(simulate.lookup(running.observed.composite.resource), argocd=HUB)
    observed = simulate.observed_resources(running)
    desired = simulate.desired_resources(run(xr, observed))
    assert "argocd-bootstrap" not in desired
    assert "argocd" in desired  # kept until the local Application is deleted
    assert "argocd-hub-role" in desired
    del observed["argocd-bootstrap"]
    desired = simulate.desired_resources(run(xr, observed))
    assert "argocd" not in desired


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("providerConfigName", "another-hub"),
        ("namespace", "gitops"),
        ("providerConfigKind", "ProviderConfig"),
    ],
)
def test_moving_a_registered_cluster_to_another_hub_is_refused(field: str, value: str) -> None:
    running = _running(XR)
    xr = simulate.lookup(running.observed.composite.resource)
    hub = {**xr["spec"]["parameters"]["platform"]["argocd"]["hub"], field: value}
    rsp = run(platform(xr, argocd={"hub": hub}), simulate.observed_resources(running))
    (fatal,) = simulate.fatal_messages(rsp)
    assert fatal.startswith(
        f"spec.parameters.platform.argocd.hub.{field}: the cluster is registered"
    )


def test_switching_lets_encrypt_servers_replaces_the_issuer_instead_of_renaming_it() -> None:
    running = _running(CLAIM)
    xr = simulate.lookup(running.observed.composite.resource)
    staging = platform(xr, certManager={"letsEncrypt": {"email": "a@example.com", "staging": True}})
    desired = simulate.desired_resources(run(staging, simulate.observed_resources(running)))
    assert "cert-manager-issuer" not in desired  # deleted, not renamed under the same Object
    issuer = desired["cert-manager-issuer-staging"]["spec"]["forProvider"]["manifest"]
    assert issuer["metadata"]["name"] == "letsencrypt-staging"


def test_turning_argo_cd_off_in_hub_mode_unregisters_the_cluster() -> None:
    running = _running(XR)
    xr = platform(simulate.lookup(running.observed.composite.resource), argocd={"enabled": False})
    rsp = run(xr, simulate.observed_resources(running))
    desired = simulate.desired_resources(rsp)
    hub_keys = [k for k in _final("hub") if k.startswith("argocd-hub-")]
    assert len(hub_keys) == 5
    assert not [k for k in desired if k.startswith("argocd-hub-") or "-argocd-hub-" in k]
    notes = [r.message for r in rsp.results]
    assert all(any(n.startswith(f"removing {k}:") for n in notes) for k in hub_keys)
    assert "kyverno" in desired  # the rest of the platform stays


def test_hub_registration_uses_an_iam_role_with_an_access_entry_and_no_static_token() -> None:
    resources = _final("hub")
    role = resources["argocd-hub-role"]
    trust = json.loads(role["spec"]["forProvider"]["assumeRolePolicy"])
    assert trust["Statement"] == [
        {
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::123456789012:role/argocd-hub"},
            "Action": ["sts:AssumeRole", "sts:TagSession"],
        }
    ]
    access = resources["argocd-hub-access"]["spec"]["forProvider"]
    assert access["principalArnFromRoleRef"] == {"name": role["metadata"]["name"]}
    policy = resources["argocd-hub-access-policy"]["spec"]["forProvider"]
    assert policy["policyArn"].endswith("cluster-access-policy/AmazonEKSClusterAdminPolicy")
    assert policy["principalArnRef"] == {"name": resources["argocd-hub-access"]["metadata"]["name"]}

    registration = resources["argocd-hub-cluster"]
    assert registration["spec"]["providerConfigRef"] == {
        "kind": "ClusterProviderConfig",
        "name": "hub",
    }
    secret = registration["spec"]["forProvider"]["manifest"]
    assert secret["metadata"]["namespace"] == "argocd"
    assert secret["metadata"]["labels"]["argocd.argoproj.io/secret-type"] == "cluster"
    config = json.loads(secret["stringData"]["config"])
    observed_role = _rounds("hub")[-1].request.observed.resources["argocd-hub-role"]
    role_arn = simulate.lookup(observed_role.resource, "status", "atProvider", "arn")
    assert config["awsAuthConfig"] == {"clusterName": "team-a-platform", "roleARN": role_arn}
    assert config["tlsClientConfig"]["caData"]
    assert "bearerToken" not in json.dumps(config) and "password" not in json.dumps(config)
    assert secret["stringData"]["server"].startswith("https://")
    assert "argocd" not in resources  # nothing installed locally

    app = resources["argocd-hub-bootstrap"]
    assert app["spec"]["providerConfigRef"]["name"] == "hub"
    assert app["spec"]["forProvider"]["manifest"]["spec"]["destination"] == {
        "name": "team-a-platform"
    }


def test_hub_registration_waits_for_the_clusters_endpoint() -> None:
    rounds = _rounds("hub")
    first = first_rounds(rounds)
    assert first["argocd-hub-cluster"] > max(
        first["argocd-hub-access-policy"], first["eks-cluster"], first["kubernetes-provider-config"]
    )
    for round_ in rounds:
        if "argocd-hub-cluster" in round_.desired:
            manifest = round_.desired["argocd-hub-cluster"]["spec"]["forProvider"]["manifest"]
            assert manifest["stringData"]["server"]


def test_hub_registration_waits_while_the_clusters_endpoint_cannot_be_read() -> None:
    request = _rounds("hub")[-1].request
    observed = simulate.observed_resources(request)
    del observed["argocd-hub-cluster"]
    del observed["argocd-hub-bootstrap"]
    cluster = observed["eks-cluster"].resource
    del cluster["status"]["atProvider"]["endpoint"]
    rsp = run(simulate.lookup(request.observed.composite.resource), observed)
    assert "argocd-hub-cluster" not in rsp.desired.resources
    waiting = waiting_for(rsp)
    assert waiting["argocd-hub-cluster"] == "waiting for eks-cluster-endpoint"


def test_local_argo_cd_bootstrap_application_is_an_app_of_apps() -> None:
    resources = _final("claim")
    app = resources["argocd-bootstrap"]["spec"]["forProvider"]["manifest"]
    assert app["metadata"] == {
        "name": "bootstrap",
        "namespace": "argocd",
        "finalizers": ["resources-finalizer.argocd.argoproj.io"],
    }
    assert app["spec"]["source"] == {
        "repoURL": "https://github.com/example/team-a-workloads.git",
        "path": "clusters/platform",
        "targetRevision": "main",
    }
    assert app["spec"]["destination"] == {
        "server": "https://kubernetes.default.svc",
        "namespace": "argocd",
    }
    assert resources["argocd"]["spec"]["forProvider"]["values"]["crds"] == {
        "install": True,
        "keep": True,
    }


def test_load_balancer_controller_identity_region_and_vpc() -> None:
    resources = _final("claim")
    values = resources["load-balancer-controller"]["spec"]["forProvider"]["values"]
    observed_vpc = _rounds("claim")[-1].request.observed.resources["vpc"]
    assert values == {
        "clusterName": XR_NAME,
        "region": "eu-west-1",
        "vpcId": simulate.lookup(observed_vpc.resource, "status", "atProvider", "id"),
        "serviceAccount": {"create": True, "name": "aws-load-balancer-controller"},
    }
    association = resources["load-balancer-controller-pod-identity"]["spec"]["forProvider"]
    assert (association["namespace"], association["serviceAccount"]) == (
        "kube-system",
        "aws-load-balancer-controller",
    )
    assert association["roleArnRef"] == {
        "name": resources["load-balancer-controller-role"]["metadata"]["name"]
    }
    trust = json.loads(
        resources["load-balancer-controller-role"]["spec"]["forProvider"]["assumeRolePolicy"]
    )
    assert trust["Statement"][0]["Principal"] == {"Service": "pods.eks.amazonaws.com"}
    policy = json.loads(
        resources["load-balancer-controller-policy"]["spec"]["forProvider"]["policy"]
    )
    assert policy == json.loads(
        (resources_dir() / load_balancer_controller.IAM_POLICY_FILE).read_text()
    )


def resources_dir() -> Any:
    return resources.files("functions.blueprints.cluster.platform") / "data"


def test_the_load_balancer_controller_policy_is_the_published_document() -> None:
    content = (resources_dir() / load_balancer_controller.IAM_POLICY_FILE).read_bytes()
    blob = hashlib.sha1(b"blob %d\0" % len(content) + content).hexdigest()  # git's blob id
    # kubernetes-sigs/aws-load-balancer-controller v3.5.0 docs/install/iam_policy.json
    assert blob == "761d0e733c41089c91ea009dd29faf71918085e5"
    assert len(json.dumps(json.loads(content), separators=(",", ":"))) <= 6144  # IAM's limit
    gov = load_balancer_controller.iam_policy("us-gov-west-1")
    assert "arn:aws:" not in json.dumps(
        gov
    ) and "arn:aws-us-gov:elasticloadbalancing" in json.dumps(gov)


def test_external_secrets_reads_only_its_prefix_in_secrets_manager() -> None:
    for mode, prefix in (("claim", "team-a/platform/"), ("namespaced", "team-a/platform/")):
        resources = _final(mode)
        policy = json.loads(resources["external-secrets-policy"]["spec"]["forProvider"]["policy"])
        read = policy["Statement"][0]
        assert read["Resource"] == f"arn:aws:secretsmanager:eu-west-1:*:secret:{prefix}*"
        assert all(action.startswith("secretsmanager:") for action in read["Action"])
        assert policy["Statement"][1]["Condition"] == {
            "StringEquals": {"kms:ViaService": "secretsmanager.eu-west-1.amazonaws.com"}
        }
        store = resources["external-secrets-store"]["spec"]["forProvider"]["manifest"]
        assert store["spec"] == {
            "provider": {"aws": {"service": "SecretsManager", "region": "eu-west-1"}}
        }
    custom = platform(CLAIM, externalSecrets={"secretsPrefix": "shared/payments/"})
    policy = json.loads(
        _replay(custom)[-1].desired["external-secrets-policy"]["spec"]["forProvider"]["policy"]
    )
    assert policy["Statement"][0]["Resource"].endswith(":secret:shared/payments/*")


def test_monitoring_as_an_agent_remote_writes() -> None:
    xr = platform(CLAIM, monitoring={"remoteWriteUrl": "https://prom.example.com/api/v1/write"})
    values = _replay(xr)[-1].desired["monitoring"]["spec"]["forProvider"]["values"]
    assert values["prometheus"]["agentMode"] is True
    assert values["prometheus"]["prometheusSpec"]["remoteWrite"] == [
        {"url": "https://prom.example.com/api/v1/write"}
    ]
    assert values["grafana"] == {"enabled": False} and values["alertmanager"] == {"enabled": False}


def test_lets_encrypt_cluster_issuer() -> None:
    issuer = _final("claim")["cert-manager-issuer"]["spec"]
    assert issuer["readiness"] == {"policy": "DeriveFromObject"}
    manifest = issuer["forProvider"]["manifest"]
    assert manifest["metadata"] == {"name": "letsencrypt"}
    assert manifest["spec"]["acme"]["server"] == "https://acme-v02.api.letsencrypt.org/directory"
    assert manifest["spec"]["acme"]["email"] == "platform-team@example.com"


def test_kyverno_policies_leave_system_and_platform_namespaces_alone() -> None:
    resources = _final("claim")
    for key in [k for k in resources if k.startswith("kyverno-policy-")]:
        rule = resources[key]["spec"]["forProvider"]["manifest"]["spec"]["rules"][0]
        excluded = rule["exclude"]["any"][0]["resources"]["namespaces"]
        assert {"kube-system", "kyverno", "argocd", "cert-manager"} <= set(excluded), key
    labels = resources["kyverno-policy-require-team-labels"]["spec"]["forProvider"]["manifest"]
    assert labels["spec"]["rules"][0]["validate"]["pattern"] == {
        "metadata": {"labels": {"team": "?*"}}
    }


# -- bad input ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (
            {"argocd": {"mode": "hub"}},
            "spec.parameters.platform.argocd.hub: required with mode: hub",
        ),
        (
            {
                "kyverno": {
                    "policies": {"enforce": ["require-requests"], "audit": ["require-requests"]}
                }
            },
            "spec.parameters.platform.kyverno.policies.audit[0]: "
            "require-requests is already listed in enforce",
        ),
        (
            {"kyverno": {"policies": {"audit": ["no-such-policy"]}}},
            "spec.parameters.platform.kyverno.policies.audit[0]",
        ),
        (
            {"metricsServer": {"version": "latest"}},
            "spec.parameters.platform.metricsServer.version",
        ),
        (
            {"argocd": {"mode": "hub", "hub": {"providerConfigName": "hub", "roleArn": "admin"}}},
            "spec.parameters.platform.argocd.hub.roleArn",
        ),
        (
            {"monitoring": {"remoteWriteUrl": "not a url"}},
            "spec.parameters.platform.monitoring.remoteWriteUrl",
        ),
        (
            {"externalSecrets": {"secretsPrefix": "no-trailing-slash"}},
            "spec.parameters.platform.externalSecrets.secretsPrefix",
        ),
        (
            {"certManager": {"letsEncrypt": {"email": "nope"}}},
            "spec.parameters.platform.certManager.letsEncrypt.email",
        ),
        ({"kyverno": {"values": "replicas: 3"}}, "spec.parameters.platform.kyverno.values"),
        ({"noSuchComponent": {"enabled": True}}, "spec.parameters.platform.noSuchComponent"),
    ],
)
def test_bad_input_is_a_fatal_result_naming_the_field(
    settings: dict[str, Any], message: str
) -> None:
    assert_fatal(platform(CLAIM, **settings), message)


def test_a_tenant_has_no_platform_of_its_own() -> None:
    tenant = with_parameters(load_xr("cluster/claim-namespace.yaml"), platform={})
    assert_fatal(tenant, "spec.parameters.platform: is only for isolation dedicated")
