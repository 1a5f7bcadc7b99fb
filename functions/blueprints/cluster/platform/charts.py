"""The Helm charts the platform installs: one table, pinned to versions Paved is tested against.

Each row matches a real published chart (name, Helm repository, version): the tests check it
against ../shared/charts/<chart>/ (Chart.yaml, SOURCES.md) and every value Paved sets against the
chart's values.yaml and values.schema.json.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Chart:
    name: str  # the chart's name in its repository
    repository: str
    version: str  # the pinned default
    namespace: str  # where Paved installs it
    release: str  # the Helm release name (fixes the names of what the chart creates)


CHARTS: dict[str, Chart] = {
    "argocd": Chart(
        "argo-cd", "https://argoproj.github.io/argo-helm", "10.1.1", "argocd", "argocd"
    ),
    "kyverno": Chart(
        "kyverno", "https://kyverno.github.io/kyverno/", "3.9.0", "kyverno", "kyverno"
    ),
    "load_balancer_controller": Chart(
        "aws-load-balancer-controller",
        "https://aws.github.io/eks-charts",
        "3.5.0",
        "kube-system",
        "aws-load-balancer-controller",
    ),
    "cert_manager": Chart(
        "cert-manager", "https://charts.jetstack.io", "v1.21.1", "cert-manager", "cert-manager"
    ),
    "external_secrets": Chart(
        "external-secrets",
        "https://charts.external-secrets.io",
        "2.9.0",
        "external-secrets",
        "external-secrets",
    ),
    "metrics_server": Chart(
        "metrics-server",
        "https://kubernetes-sigs.github.io/metrics-server/",
        "3.13.1",
        "kube-system",
        "metrics-server",
    ),
    "monitoring": Chart(
        "kube-prometheus-stack",
        "https://prometheus-community.github.io/helm-charts",
        "88.5.3",
        "monitoring",
        "kube-prometheus-stack",
    ),
    "cloudnative_pg": Chart(
        "cloudnative-pg",
        "https://cloudnative-pg.github.io/charts",
        "0.29.0",
        "cnpg-system",
        "cnpg",
    ),
}
