"""What every platform component is built from: Helm Releases, in-cluster Objects, Pod Identity
roles, and the bookkeeping (stage gates, deletion order, status) they share."""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from functions.kit import Composite, Desired, ProviderConfigRef, dns_label
from functions.resources import iam
from functions.resources.kinds import (
    HELM_RELEASE,
)
from functions.resources.kubernetes import kubernetes_object

from ..keys import CLUSTER_AUTH_KEY, CLUSTER_KEY
from ..parameters import ClusterParameters
from ..providers import provider_config_name
from ..stages import PLATFORM
from .charts import CHARTS, Chart

# IAM role names are at most 64 characters, unique in the account.
IAM_ROLE_NAME_MAX = 64
# Every platform resource belongs to this stage: the kit reports a `PlatformReady` condition.
STAGE = PLATFORM
# Kyverno policies, the ClusterIssuer, the ClusterSecretStore: the bootstrap Application comes
# after them, but deleting its workloads needs none of them.
OBJECT_ANY_ORDER = "the workloads Applications delete do not need it to be deleted"
RELEASE_ANY_ORDER = (
    "the workloads Applications delete do not need it; it holds the nodes and kubeconfig it needs "
    "to uninstall itself"
)


def merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """`override` deep-merged over `base`: objects merge key by key, anything else is replaced.

    A deep copy: components pass module-level values, which no resource may share.
    """
    merged = copy.deepcopy(dict(base))
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def aws_name(xr: Composite[Any], suffix: str, max_len: int = IAM_ROLE_NAME_MAX) -> str:
    """An IAM name unique per XR (its namespace and name) and stable for the XR's lifetime."""
    return dns_label(xr.namespace or "", xr.name, suffix, max_len=max_len)


def release_key(component: str) -> str:
    """Composition resource name of a component's Release: `load_balancer_controller` ->
    `load-balancer-controller`."""
    return component.replace("_", "-")


@dataclass
class Platform:
    """The platform being composed into one cluster."""

    xr: Composite[ClusterParameters]
    out: Desired
    # Ready before anything is deployed: ProviderConfigs, nodes, coredns, the StorageClass.
    ready_to_deploy: list[str]
    pools: list[str]
    pod_identity_agent: str
    # Releases wait for these too (the load balancer controller's webhook must serve first).
    first: list[str] = field(default_factory=list)
    # Composition resource names per component, for its status.
    keys: dict[str, list[str]] = field(default_factory=dict)
    _uses: set[tuple[str, str]] = field(default_factory=set)

    @property
    def cluster_provider_config(self) -> ProviderConfigRef:
        return ProviderConfigRef(provider_config_name(self.xr), "ProviderConfig")

    def add(
        self,
        component: str,
        key: str,
        resource: dict[str, Any],
        after: Iterable[str],
        *,
        any_order: str | None = None,
    ) -> str:
        """Plan `key` in the Platform stage (its `PlatformReady` condition)."""
        self.out.add(
            key,
            resource,
            after=list(dict.fromkeys(after)),
            stage=STAGE,
            delete_in_any_order=any_order,
        )
        self.keys.setdefault(component, []).append(key)
        return key

    def use(self, used: str, user: str) -> None:
        """`used` is deleted only once `user` is gone (the kit composes the Usage)."""
        if (used, user) not in self._uses:
            self._uses.add((used, user))
            self.out.uses(user, used)

    # -- Helm -----------------------------------------------------------------------------------

    def version(self, component: str) -> str:
        settings = getattr(self.xr.params.platform, component)
        return settings.version or CHARTS[component].version

    def release(
        self, component: str, values: Mapping[str, Any], *, after: Iterable[str] = ()
    ) -> str:
        """A Helm Release of the component's chart into the cluster, Ready once its workloads are.

        Every Release holds the nodes and the kubeconfig until it is uninstalled: uninstalling
        runs hooks and controllers clean up (load balancers, webhooks) on those nodes.
        """
        chart = CHARTS[component]
        settings = getattr(self.xr.params.platform, component)
        key = release_key(component)
        resource = release(
            self.xr,
            key,
            chart,
            self.version(component),
            merge(values, settings.values),
            self.cluster_provider_config,
        )
        self.add(
            component,
            key,
            resource,
            [*self.ready_to_deploy, *self.first, *after],
            any_order=RELEASE_ANY_ORDER,
        )
        self.use(CLUSTER_AUTH_KEY, key)
        for pool in self.pools:
            self.use(pool, key)
        return key

    # -- in-cluster objects ---------------------------------------------------------------------

    def object(
        self,
        component: str,
        key: str,
        manifest: dict[str, Any],
        *,
        after: Iterable[str],
        provider_config: ProviderConfigRef | None = None,
        derive_readiness: bool = False,
        any_order: str | None = None,
    ) -> str:
        """A manifest applied by provider-kubernetes: into this cluster, where the component's
        chart installed its kind, or through `provider_config` into another (the hub)."""
        resource = kubernetes_object(
            self.xr,
            key,
            manifest,
            provider_config or self.cluster_provider_config,
            readiness={"policy": "DeriveFromObject"} if derive_readiness else None,
        )
        self.add(component, key, resource, after, any_order=any_order)
        if provider_config is None:
            # Deleted while its kind (the chart's CRD) and the controller finalising it are there.
            self.use(release_key(component), key)
        return key

    # -- AWS identity ---------------------------------------------------------------------------

    def pod_identity(
        self,
        component: str,
        service_account: tuple[str, str],
        policy: dict[str, Any] | str,
        description: str,
    ) -> str:
        """An IAM role only `service_account` (namespace, name) can assume, through EKS Pod
        Identity, with `policy`; returns the association's key, which the Release waits for."""
        xr = self.xr
        prefix = release_key(component)
        role, policy_key, attachment, association = (
            f"{prefix}-role",
            f"{prefix}-policy",
            f"{prefix}-role-policy",
            f"{prefix}-pod-identity",
        )
        # Not needed before the cluster: the cluster's first stage stays network and its IAM.
        self.add(
            component,
            role,
            iam.role(
                xr,
                role,
                service=iam.PODS,
                description=description,
                external_name=aws_name(xr, prefix),
            ),
            [CLUSTER_KEY],
        )
        self.add(
            component,
            policy_key,
            iam.policy(
                xr,
                policy_key,
                document=policy,
                description=description,
                external_name=aws_name(xr, prefix, max_len=128),
            ),
            [CLUSTER_KEY],
        )
        self.add(
            component,
            attachment,
            iam.attachment(xr, attachment, role_key=role, policy_key=policy_key),
            [role, policy_key],
        )
        self.add(
            component,
            association,
            iam.pod_identity_association(
                xr,
                association,
                cluster={"clusterNameRef": xr.ref(CLUSTER_KEY)},
                service_account=service_account,
                role_key=role,
            ),
            [self.pod_identity_agent, role, attachment],
        )
        # The controller keeps its AWS identity until it is uninstalled (it cleans up in AWS).
        key = release_key(component)
        self.use(association, key)
        self.use(role, key)
        self.use(attachment, key)
        self.use(policy_key, attachment)
        return association


def release(
    xr: Composite[Any],
    key: str,
    chart: Chart,
    version: str,
    values: dict[str, Any],
    provider_config: ProviderConfigRef,
) -> dict[str, Any]:
    return xr.shape.managed(
        HELM_RELEASE,
        xr.resource_name(key),
        {
            "chart": {"name": chart.name, "repository": chart.repository, "version": version},
            "namespace": chart.namespace,
            "values": values,
            # Ready only once the chart's workloads are: what waits for it can rely on it.
            "wait": True,
        },
        # The Helm release name: fixes the names of everything the chart creates.
        external_name=chart.release,
        provider_config=provider_config,
    )
