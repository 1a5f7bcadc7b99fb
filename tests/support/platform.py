"""The cluster platform, for tests: its pinned composition resource names in the claim example,
and validation of what it puts into clusters (chart values, manifests inside Objects)."""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from typing import Any

import jsonschema
import kubernetes_validate
import yaml

from support.crds import CRDS_DIR, CRDCatalog, validate

CHARTS_DIR = CRDS_DIR.parent / "charts"

# Every composition resource name the platform adds to examples/cluster/claim.yaml (every
# component on, local Argo CD with a bootstrap Application, a Let's Encrypt issuer; two node
# pools). Renaming one makes Crossplane delete and recreate it.
CLAIM_PLATFORM_KEYS = (
    "argocd",
    "argocd-bootstrap",
    "cert-manager",
    "cert-manager-issuer",
    "cloudnative-pg",
    "external-secrets",
    "external-secrets-pod-identity",
    "external-secrets-policy",
    "external-secrets-role",
    "external-secrets-role-policy",
    "external-secrets-store",
    "kyverno",
    "kyverno-policy-disallow-latest-tag",
    "kyverno-policy-pod-security-baseline",
    "kyverno-policy-pod-security-restricted",
    "kyverno-policy-require-requests",
    "kyverno-policy-require-team-labels",
    "load-balancer-controller",
    "load-balancer-controller-pod-identity",
    "load-balancer-controller-policy",
    "load-balancer-controller-role",
    "load-balancer-controller-role-policy",
    "metrics-server",
    "monitoring",
    "usage-addon-aws-ebs-csi-driver-by-argocd-bootstrap",
    "usage-argocd-by-argocd-bootstrap",
    "usage-argocd-by-load-balancer-controller",
    "usage-cert-manager-by-cert-manager-issuer",
    "usage-cert-manager-by-load-balancer-controller",
    "usage-cloudnative-pg-by-load-balancer-controller",
    "usage-cluster-auth-by-argocd",
    "usage-cluster-auth-by-cert-manager",
    "usage-cluster-auth-by-cloudnative-pg",
    "usage-cluster-auth-by-external-secrets",
    "usage-cluster-auth-by-kyverno",
    "usage-cluster-auth-by-load-balancer-controller",
    "usage-cluster-auth-by-metrics-server",
    "usage-cluster-auth-by-monitoring",
    "usage-ebs-csi-pod-identity-by-argocd-bootstrap",
    "usage-ebs-csi-role-by-argocd-bootstrap",
    "usage-ebs-csi-role-policy-by-argocd-bootstrap",
    "usage-external-secrets-by-external-secrets-store",
    "usage-external-secrets-by-load-balancer-controller",
    "usage-external-secrets-pod-identity-by-external-secrets",
    "usage-external-secrets-policy-by-external-secrets-role-policy",
    "usage-external-secrets-role-by-external-secrets",
    "usage-external-secrets-role-policy-by-external-secrets",
    "usage-kyverno-by-kyverno-policy-disallow-latest-tag",
    "usage-kyverno-by-kyverno-policy-pod-security-baseline",
    "usage-kyverno-by-kyverno-policy-pod-security-restricted",
    "usage-kyverno-by-kyverno-policy-require-requests",
    "usage-kyverno-by-kyverno-policy-require-team-labels",
    "usage-kyverno-by-load-balancer-controller",
    "usage-load-balancer-controller-by-argocd-bootstrap",
    "usage-load-balancer-controller-pod-identity-by-load-balancer-controller",
    "usage-load-balancer-controller-policy-by-load-balancer-controller-role-policy",
    "usage-load-balancer-controller-role-by-load-balancer-controller",
    "usage-load-balancer-controller-role-policy-by-load-balancer-controller",
    "usage-metrics-server-by-load-balancer-controller",
    "usage-monitoring-by-load-balancer-controller",
    "usage-nodes-batch-by-argocd",
    "usage-nodes-batch-by-cert-manager",
    "usage-nodes-batch-by-cloudnative-pg",
    "usage-nodes-batch-by-external-secrets",
    "usage-nodes-batch-by-kyverno",
    "usage-nodes-batch-by-load-balancer-controller",
    "usage-nodes-batch-by-metrics-server",
    "usage-nodes-batch-by-monitoring",
    "usage-nodes-general-by-argocd",
    "usage-nodes-general-by-cert-manager",
    "usage-nodes-general-by-cloudnative-pg",
    "usage-nodes-general-by-external-secrets",
    "usage-nodes-general-by-kyverno",
    "usage-nodes-general-by-load-balancer-controller",
    "usage-nodes-general-by-metrics-server",
    "usage-nodes-general-by-monitoring",
)


def without_platform(resources: Mapping[str, Any]) -> dict[str, Any]:
    """The claim example's composed resources without those the platform adds."""
    return {key: value for key, value in resources.items() if key not in CLAIM_PLATFORM_KEYS}


# -- charts ------------------------------------------------------------------------------------


def charts_available() -> bool:
    return (CHARTS_DIR / "sources.json").is_file()


@functools.cache
def chart_sources() -> dict[str, Any]:
    sources: dict[str, Any] = json.loads((CHARTS_DIR / "sources.json").read_text())["charts"]
    return sources


@functools.cache
def chart_file(chart: str, name: str) -> Any:
    path = CHARTS_DIR / chart / name
    if not path.is_file():
        return None
    return (
        json.loads(path.read_text()) if name.endswith(".json") else yaml.safe_load(path.read_text())
    )


def unknown_values(values: Any, defaults: Any, path: str = "") -> list[str]:
    """Paths of keys set in `values` that the chart's values.yaml does not have. Below a key whose
    default is an empty object or no value (a free-form map), anything goes."""
    if not isinstance(values, dict) or not isinstance(defaults, dict) or not defaults:
        return []
    errors = []
    for key, value in values.items():
        where = f"{path}.{key}" if path else key
        if key not in defaults:
            errors.append(f"{where}: not a value of the chart")
        else:
            errors += unknown_values(value, defaults[key], where)
    return errors


def coalesce(defaults: Any, values: Any) -> Any:
    """What Helm validates against values.schema.json: the chart's defaults with the values over."""
    if isinstance(defaults, dict) and isinstance(values, dict):
        merged = dict(defaults)
        for key, value in values.items():
            merged[key] = coalesce(defaults.get(key), value) if key in defaults else value
        return merged
    return values


def chart_value_errors(chart: str, values: dict[str, Any]) -> list[str]:
    errors = unknown_values(values, chart_file(chart, "values.yaml"))
    schema = chart_file(chart, "values.schema.json")
    if schema is not None:
        coalesced = coalesce(chart_file(chart, "values.yaml"), values)
        validator = jsonschema.validators.validator_for(schema)(schema)
        errors += [
            f"{'.'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}"
            for e in validator.iter_errors(coalesced)
        ]
    return errors


# -- manifests inside Objects ----------------------------------------------------------------


@functools.cache
def _chart_crds(chart: str) -> CRDCatalog:
    return CRDCatalog(CHARTS_DIR / chart / "crds")


# Kinds whose CRDs a chart installs: validated against that chart's CRDs (the version installed).
CHART_CRDS = {
    "kyverno.io": ("kyverno",),
    "cert-manager.io": ("cert-manager",),
    "external-secrets.io": ("external-secrets",),
}


def manifest_errors(manifest: dict[str, Any], kubernetes_version: str) -> list[str]:
    """A manifest as the target cluster's API server would see it: built-in kinds against
    Kubernetes' own schemas (strict), custom kinds against their CRDs (../shared/crds, and the
    installing chart's own CRDs)."""
    api_version = str(manifest.get("apiVersion", ""))
    group = api_version.rpartition("/")[0]
    if "." not in group:  # core and the built-in groups without dots (apps, batch...)
        return _builtin_errors(manifest, kubernetes_version)
    if group.endswith(".k8s.io") and not group.endswith(".x-k8s.io"):
        return _builtin_errors(manifest, kubernetes_version)
    errors: list[str] = []
    checked = False
    for chart in CHART_CRDS.get(group, ()):
        errors += [f"{chart} chart CRD: {e}" for e in _chart_crds(chart).validate(manifest)]
        checked = True
    shared = validate(manifest)
    if not (checked and any(e.startswith("apiVersion: no CRD") for e in shared)):
        errors += shared
    return errors


def _builtin_errors(manifest: dict[str, Any], kubernetes_version: str) -> list[str]:
    try:
        kubernetes_validate.validate(manifest, kubernetes_version, strict=True)
    except kubernetes_validate.ValidationError as error:
        return [f"{'.'.join(map(str, error.path))}: {error.message}"]
    return []
