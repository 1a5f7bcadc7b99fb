"""Kyverno and Paved's policy set: Pod Security Standards (baseline enforced, restricted
audited), no `:latest` images, resource requests, team labels; each policy enforced, audited or
off as `kyverno.policies` says. Policies are composed only once Kyverno is Ready."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from functions.kit import ComposeError

from .build import OBJECT_ANY_ORDER, Platform
from .charts import CHARTS
from .parameters import KyvernoPolicies

COMPONENT = "kyverno"
FIELD = "spec.parameters.platform.kyverno.policies"

# Highly available admission (3 replicas, as Kyverno recommends for production); 2 of each
# background controller.
VALUES: dict[str, Any] = {
    "admissionController": {"replicas": 3},
    "backgroundController": {"replicas": 2},
    "cleanupController": {"replicas": 2},
    "reportsController": {"replicas": 2},
}

# System and platform namespaces run privileged agents (CNI, CSI, node exporter) by necessity;
# the policies are for the teams' workloads.
EXCLUDED_NAMESPACES = sorted(
    {"kube-system", "kube-public", "kube-node-lease", *(c.namespace for c in CHARTS.values())}
)


def policy_key(name: str) -> str:
    return f"kyverno-policy-{name}"


def validate(policies: KyvernoPolicies) -> None:
    seen: dict[str, str] = {}
    for mode in ("enforce", "audit"):
        for i, name in enumerate(getattr(policies, mode)):
            if name in seen:
                raise ComposeError(
                    f"{FIELD}.{mode}[{i}]", f"{name} is already listed in {seen[name]}"
                )
            seen[name] = mode


def compose(platform: Platform, *, policies: bool) -> list[str]:
    """Kyverno, then (unless it is being uninstalled) its policies; returns the policies' keys."""
    key = platform.release(COMPONENT, VALUES)
    settings = platform.xr.params.platform.kyverno.policies
    keys: list[str] = []
    if not policies:
        return keys
    for mode, names in (("Enforce", settings.enforce), ("Audit", settings.audit)):
        for name in names:
            keys.append(
                platform.object(
                    COMPONENT,
                    policy_key(name),
                    cluster_policy(name, mode, settings),
                    after=[key],
                    derive_readiness=True,
                    any_order=OBJECT_ANY_ORDER,
                )
            )
    return keys


def cluster_policy(name: str, failure_action: str, policies: KyvernoPolicies) -> dict[str, Any]:
    title, description, validate_ = POLICIES[name]
    rule_validate = {"failureAction": failure_action, **validate_(policies)}
    return {
        "apiVersion": "kyverno.io/v1",
        "kind": "ClusterPolicy",
        "metadata": {
            "name": name,
            "annotations": {
                "policies.kyverno.io/title": title,
                "policies.kyverno.io/description": description,
                "policies.kyverno.io/subject": "Pod",
            },
        },
        "spec": {
            # Report on what already runs, not only on what is admitted from now on.
            "background": True,
            "rules": [
                {
                    "name": name,
                    "match": {"any": [{"resources": {"kinds": ["Pod"]}}]},
                    "exclude": {"any": [{"resources": {"namespaces": EXCLUDED_NAMESPACES}}]},
                    "validate": rule_validate,
                }
            ],
        },
    }


def _pod_security(level: str) -> Callable[[KyvernoPolicies], dict[str, Any]]:
    def validate_(_: KyvernoPolicies) -> dict[str, Any]:
        return {"podSecurity": {"level": level, "version": "latest"}}

    return validate_


def _containers(pattern: dict[str, Any]) -> dict[str, Any]:
    """`pattern` for every container, init container and ephemeral container of a Pod."""
    return {
        "spec": {
            "containers": [pattern],
            "=(initContainers)": [pattern],
            "=(ephemeralContainers)": [pattern],
        }
    }


def _no_latest(_: KyvernoPolicies) -> dict[str, Any]:
    return {
        "message": "Images need a tag other than latest (or a digest).",
        "pattern": _containers({"image": "!*:latest & *:*"}),
    }


def _requests(_: KyvernoPolicies) -> dict[str, Any]:
    return {
        "message": "Every container requests CPU and memory.",
        "pattern": {
            "spec": {"containers": [{"resources": {"requests": {"cpu": "?*", "memory": "?*"}}}]}
        },
    }


def _team_labels(policies: KyvernoPolicies) -> dict[str, Any]:
    labels = list(dict.fromkeys(policies.team_labels))
    return {
        "message": f"Pods carry the labels {', '.join(labels)}.",
        "pattern": {"metadata": {"labels": dict.fromkeys(labels, "?*")}},
    }


POLICIES: dict[str, tuple[str, str, Callable[[KyvernoPolicies], dict[str, Any]]]] = {
    "pod-security-baseline": (
        "Pod Security Standards: baseline",
        "Blocks known privilege escalations: host namespaces, privileged containers, host paths.",
        _pod_security("baseline"),
    ),
    "pod-security-restricted": (
        "Pod Security Standards: restricted",
        "Current Pod hardening best practices: non-root, no privilege escalation, seccomp.",
        _pod_security("restricted"),
    ),
    "disallow-latest-tag": (
        "Disallow the latest tag",
        "A mutable tag makes what runs unknowable and rollbacks impossible.",
        _no_latest,
    ),
    "require-requests": (
        "Require resource requests",
        "Without requests the scheduler cannot place Pods or the autoscaler size nodes.",
        _requests,
    ),
    "require-team-labels": (
        "Require team labels",
        "Every Pod says which team owns it.",
        _team_labels,
    ),
}
