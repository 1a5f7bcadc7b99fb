"""Argo CD: installed in the cluster (local), or the cluster registered with the platform's
central Argo CD (hub) through an IAM role with an EKS access entry here: no static tokens.
Optionally a bootstrap Application (app of apps) syncing the team's workloads from git."""

from __future__ import annotations

import json
from typing import Any

from functions.kit import ComposeError, Observed, ProviderConfigRef
from functions.resources.iam import principal_tags
from functions.resources.kinds import (
    ACCESS_ENTRY,
    ACCESS_POLICY_ASSOCIATION,
    ROLE,
)
from functions.resources.regions import partition

from ..keys import CLUSTER_KEY
from .build import Platform, aws_name
from .parameters import ArgoCd, ArgoCdHub, Gitops

COMPONENT = "argocd"
BOOTSTRAP_KEY = "argocd-bootstrap"
HUB_ROLE_KEY = "argocd-hub-role"
HUB_ACCESS_KEY = "argocd-hub-access"
HUB_ACCESS_POLICY_KEY = "argocd-hub-access-policy"
HUB_CLUSTER_KEY = "argocd-hub-cluster"
HUB_BOOTSTRAP_KEY = "argocd-hub-bootstrap"
# Not a resource: what the hub's cluster Secret waits for when the cluster's endpoint, its CA or
# the role's ARN cannot be read yet.
CONNECTION_PENDING = "eks-cluster-endpoint"
IN_CLUSTER = "https://kubernetes.default.svc"
FINALIZER = "resources-finalizer.argocd.argoproj.io"

# CRDs stay when Argo CD is uninstalled: deleting them would delete every Application at once.
# No Dex: sign-in is configured by the platform team through `values` (OIDC).
VALUES: dict[str, Any] = {"crds": {"install": True, "keep": True}, "dex": {"enabled": False}}


def validate(settings: ArgoCd, observed: Observed | None) -> None:
    """`observed`: the hub's cluster Secret, if the cluster is registered."""
    if not (settings.enabled and settings.mode == "hub"):
        return
    if settings.hub is None:
        raise ComposeError("spec.parameters.platform.argocd.hub", "required with mode: hub")
    if observed is None:
        return
    # Moving the registration would leave the old one behind in the old hub, still working.
    reference = observed.get("spec", "providerConfigRef") or {}
    secret = observed.get("spec", "forProvider", "manifest", "metadata") or {}
    registered = {
        "providerConfigName": reference.get("name"),
        "providerConfigKind": reference.get("kind"),
        "namespace": secret.get("namespace"),
    }
    wanted = {
        "providerConfigName": settings.hub.provider_config_name,
        "providerConfigKind": settings.hub.provider_config_kind if "kind" in reference else None,
        "namespace": settings.hub.namespace,
    }
    for field, value in wanted.items():
        if registered[field] is not None and registered[field] != value:
            raise ComposeError(
                f"spec.parameters.platform.argocd.hub.{field}",
                f"the cluster is registered with the hub at {registered[field]}; unregister it "
                "first (argocd.enabled: false or mode: local), then register it with another",
            )


def compose(
    platform: Platform, cluster_name: str, *, workloads_after: list[str], uninstalling: bool
) -> None:
    """`workloads_after`: what the bootstrap Application waits for (the rest of the platform:
    policies must be there before the team's workloads); `uninstalling`: the local Argo CD is
    being removed, and stays until its Application is gone."""
    settings = platform.xr.params.platform.argocd
    local = settings.enabled and settings.mode == "local"
    if local or uninstalling:
        key = platform.release(COMPONENT, VALUES)
        if local and settings.gitops is not None:
            platform.object(
                COMPONENT,
                BOOTSTRAP_KEY,
                application("bootstrap", "argocd", settings.gitops, {"server": IN_CLUSTER}),
                after=[key, *workloads_after],
            )
    if not (settings.enabled and settings.mode == "hub"):
        return
    assert settings.hub is not None  # validate() said so
    registered = register_with_hub(platform, settings.hub, cluster_name)
    if settings.gitops is not None:
        app = platform.object(
            COMPONENT,
            HUB_BOOTSTRAP_KEY,
            application(
                f"{cluster_name}-bootstrap",
                settings.hub.namespace,
                settings.gitops,
                {"name": cluster_name},
            ),
            after=[registered, *workloads_after],
            provider_config=hub_provider_config(settings.hub),
        )
        # The hub deletes the workloads through the registration: it goes after them.
        platform.use(registered, app)


def hub_provider_config(hub: ArgoCdHub) -> ProviderConfigRef:
    return ProviderConfigRef(hub.provider_config_name, hub.provider_config_kind)


def register_with_hub(platform: Platform, hub: ArgoCdHub, cluster_name: str) -> str:
    """A role the hub's Argo CD assumes, admin on this cluster by an access entry, and the
    hub's cluster Secret pointing at it; returns the Secret's key."""
    xr = platform.xr
    role_name = aws_name(xr, "argocd-hub")
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": hub.role_arn},
                # Tagged sessions: the hub's Argo CD may itself run with EKS Pod Identity.
                "Action": ["sts:AssumeRole", "sts:TagSession"],
            }
        ],
    }
    platform.add(
        COMPONENT,
        HUB_ROLE_KEY,
        xr.shape.managed(
            ROLE,
            xr.resource_name(HUB_ROLE_KEY),
            {
                "assumeRolePolicy": json.dumps(trust, sort_keys=True),
                "description": f"The platform's Argo CD deploying into EKS cluster {cluster_name}",
                "tags": principal_tags(xr),
            },
            external_name=role_name,
        ),
        [CLUSTER_KEY],
    )
    cluster_ref = xr.ref(CLUSTER_KEY)
    platform.add(
        COMPONENT,
        HUB_ACCESS_KEY,
        xr.shape.managed(
            ACCESS_ENTRY,
            xr.resource_name(HUB_ACCESS_KEY),
            {
                "region": xr.params.region,
                "clusterNameRef": cluster_ref,
                "principalArnFromRoleRef": xr.ref(HUB_ROLE_KEY),
                "type": "STANDARD",
                "tags": xr.tags(),
            },
        ),
        [CLUSTER_KEY, HUB_ROLE_KEY],
    )
    admin = (
        f"arn:{partition(xr.params.region)}:eks::aws:cluster-access-policy/"
        "AmazonEKSClusterAdminPolicy"
    )
    platform.add(
        COMPONENT,
        HUB_ACCESS_POLICY_KEY,
        xr.shape.managed(
            ACCESS_POLICY_ASSOCIATION,
            xr.resource_name(HUB_ACCESS_POLICY_KEY),
            {
                "region": xr.params.region,
                "clusterNameRef": cluster_ref,
                "principalArnRef": xr.ref(HUB_ACCESS_KEY),
                "policyArn": admin,
                "accessScope": {"type": "cluster"},
            },
        ),
        [HUB_ACCESS_KEY],
    )

    # Registered once the cluster can run what the hub deploys into it.
    gates = [*platform.ready_to_deploy, HUB_ROLE_KEY, HUB_ACCESS_POLICY_KEY]
    secret = hub_cluster_secret(platform, hub, cluster_name)
    if secret is None:
        observed = xr.observed.get(HUB_CLUSTER_KEY)
        secret = observed.get("spec", "forProvider", "manifest") if observed else None
        if secret is None:
            secret = {}
            if all(platform.out.is_ready(gate) for gate in gates):
                # Ready, yet the endpoint, CA or ARN is not reported (yet): wait for them.
                gates.append(CONNECTION_PENDING)
    platform.object(
        COMPONENT, HUB_CLUSTER_KEY, secret, after=gates, provider_config=hub_provider_config(hub)
    )
    # Argo CD reaches the cluster through the role and its access entry until it is unregistered.
    for used in (HUB_ROLE_KEY, HUB_ACCESS_KEY, HUB_ACCESS_POLICY_KEY, CLUSTER_KEY):
        platform.use(used, HUB_CLUSTER_KEY)
    return HUB_CLUSTER_KEY


def hub_cluster_secret(
    platform: Platform, hub: ArgoCdHub, cluster_name: str
) -> dict[str, Any] | None:
    """The Argo CD cluster Secret, once the cluster's endpoint, CA and the role's ARN are known."""
    xr = platform.xr
    cluster = xr.observed.get(CLUSTER_KEY)
    role = xr.observed.get(HUB_ROLE_KEY)
    endpoint = cluster.at_provider("endpoint") if cluster else None
    authorities = cluster.at_provider("certificateAuthority") if cluster else None
    ca_data = None
    if isinstance(authorities, list) and authorities and isinstance(authorities[0], dict):
        ca_data = authorities[0].get("data")
    elif isinstance(authorities, dict):
        ca_data = authorities.get("data")
    role_arn = role.at_provider("arn") if role else None
    if not (endpoint and ca_data and role_arn):
        return None
    config = {
        "awsAuthConfig": {"clusterName": cluster_name, "roleARN": role_arn},
        "tlsClientConfig": {"insecure": False, "caData": ca_data},
    }
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {
            "name": f"cluster-{cluster_name}",
            "namespace": hub.namespace,
            "labels": {
                "argocd.argoproj.io/secret-type": "cluster",
                "app.kubernetes.io/managed-by": "paved",
            },
        },
        "type": "Opaque",
        "stringData": {
            "name": cluster_name,
            "server": endpoint,
            "config": json.dumps(config, sort_keys=True),
        },
    }


def application(
    name: str, namespace: str, gitops: Gitops, destination: dict[str, str]
) -> dict[str, Any]:
    spec_destination = dict(destination)
    if "server" in destination:
        # App of apps: the Applications it syncs live next to Argo CD.
        spec_destination["namespace"] = namespace
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {
            "name": name,
            "namespace": namespace,
            # Deleting the Application deletes what it deployed (and so their load balancers).
            "finalizers": [FINALIZER],
        },
        "spec": {
            "project": "default",
            "source": {
                "repoURL": gitops.repo_url,
                "path": gitops.path,
                "targetRevision": gitops.revision,
            },
            "destination": spec_destination,
            "syncPolicy": {
                "automated": {"prune": True, "selfHeal": True},
                "syncOptions": ["CreateNamespace=true"],
            },
        },
    }
