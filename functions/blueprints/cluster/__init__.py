"""XCluster: a production-grade EKS cluster as a service.

Stages, each gated on the previous one being observed Ready (and never un-composed once observed):
network, IAM and the secrets key -> EKS cluster -> kubeconfig (ClusterAuth), vpc-cni, kube-proxy,
access entries, OIDC -> node groups -> coredns, pod identity agent, EBS CSI driver -> helm and
kubernetes ProviderConfigs -> in-cluster objects (the default StorageClass) -> the platform. Each
resource is declared in a kit stage (`stages.py`: one `<Stage>Ready` condition each). Usages make
deletion run the other way round: the platform and in-cluster objects, node groups, the cluster,
then what the cluster held for its nodes (their way out to AWS, add-ons, the node role's
policies, the EBS CSI driver's identity), and the VPC last (`tests/blueprints/test_deletion.py`).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from functions.kit import Blueprint, Composite, Desired, Measure

from . import (
    access,
    addons,
    control_plane,
    guards,
    iam,
    network,
    nodes,
    outputs,
    providers,
    tenancy,
)
from .control_plane import cluster_name
from .keys import CLUSTER_AUTH_KEY, CLUSTER_KEY, STORAGE_CLASS_KEY
from .parameters import ClusterParameters, ClusterStatus
from .platform.compose import compose as compose_platform
from .stages import ACCESS, ADDONS, CONTROL_PLANE, NODES

__all__ = ["BLUEPRINT", "ClusterParameters", "ClusterStatus", "compose"]


def compose(xr: Composite[ClusterParameters], out: Desired) -> None:
    p = xr.params
    guards.refuse_isolation_change(xr)
    if p.isolation != "dedicated":
        tenancy.compose(xr, out)
        return
    guards.check_parameters(p)
    guards.check_upgrade(xr)
    net = network.layout(p)
    guards.check_network(xr, net)
    guards.check_oidc(xr)
    name = cluster_name(xr)
    private_subnets = network.private_subnet_keys(net)
    node_plan = nodes.plan(xr, list(p.node_pools), private_subnets)
    pools = node_plan.keys
    principals = access.principals(p)
    guards.refuse_policy_changes(xr, principals)
    # The kit keeps whatever is observed but no longer planned; what the developer removed, or
    # what a change retired once nothing uses it, goes.
    for prefixes, reason in EXPLICIT_REMOVALS:
        out.remove_unplanned(_starts_with(prefixes), reason)

    # 1. Network, IAM and the secrets encryption key: nothing depends on anything else yet.
    network_keys = network.compose(xr, out, net, name)
    key_keys = control_plane.compose_key(xr, out)
    iam_keys = iam.compose(xr, out, name)

    # 2. The control plane, once everything it runs on is there. What it runs in and with is
    # deleted only after it: its subnets and VPC, its role (without it EKS cannot clean up the
    # control plane's network interfaces) and the secrets key (issue 8.3).
    out.add(
        CLUSTER_KEY,
        lambda: control_plane.cluster(xr, private_subnets),
        stage=CONTROL_PLANE,
        after=[*network_keys.all, *iam_keys, *key_keys],
        uses=key_keys,
    )
    for role_key in ("cluster-role", "cluster-role-policy"):
        out.uses(CLUSTER_KEY, role_key, key=f"usage-{role_key}-by-cluster")
    for held in network_keys.held_by_cluster:
        out.uses(CLUSTER_KEY, held, key=f"usage-{held}-by-cluster")

    # 3. What needs only the control plane: its kubeconfig, the CNI nodes need, access, SSO.
    out.add(
        CLUSTER_AUTH_KEY,
        lambda: control_plane.cluster_auth(xr),
        stage=CONTROL_PLANE,
        after=[CLUSTER_KEY],
    )
    for addon in addons.BEFORE_NODES:
        compose_addon(xr, out, addon, after=[CLUSTER_KEY])
    for principal in principals:
        out.add(
            principal.key,
            partial(access.access_entry, xr, principal),
            stage=ACCESS,
            after=[CLUSTER_KEY],
            delete_in_any_order=access.ENTRY_ANY_ORDER,
        )
        out.add(
            principal.policy_key,
            partial(access.policy_association, xr, principal),
            stage=ACCESS,
            after=[principal.key],
        )
    if p.oidc is not None:
        oidc = p.oidc
        out.add(
            "oidc-identity-provider",
            lambda: access.identity_provider_config(xr, oidc),
            stage=ACCESS,
            after=[CLUSTER_KEY],
        )

    # 4. Nodes, once they can join a network; never ahead of the control plane's version (AWS
    # refuses it), so an upgrade moves nodes once the control plane reports the new version.
    # The workloads on them hold them (Usages of the platform's Releases); nothing else needs an
    # order: the add-ons that come after nodes are deleted with the cluster.
    before_nodes = [CLUSTER_KEY, *(addons.key(a) for a in addons.BEFORE_NODES)]
    for group in node_plan.groups:
        out.add(
            group.key,
            partial(build_node_group, xr, group, private_subnets),
            stage=NODES,
            after=before_nodes,
            delete_in_any_order=nodes.ANY_ORDER,
        )
    for group_key, why in node_plan.kept:
        out.add(group_key, nodes.kept_node_group(xr, group_key), stage=NODES)
        out.note(f"node group {group_key}: {why}")
    for group_key in node_plan.all_keys:
        # A node group drains and terminates its instances with the cluster, its role and the
        # role's policies still there (the provider's aws_eks_node_group documentation: "Otherwise,
        # EKS will not be able to properly delete EC2 Instances and Elastic Network Interfaces").
        out.uses(group_key, CLUSTER_KEY, key=f"usage-cluster-by-{group_key}")
        out.uses(group_key, "node-role", key=f"usage-node-role-by-{group_key}")

    # 5. Addons whose pods need nodes; the EBS CSI driver gets its AWS identity first.
    for addon in addons.AFTER_NODES:
        compose_addon(xr, out, addon, after=pools)
    agent = addons.key("eks-pod-identity-agent")
    out.add(
        "ebs-csi-pod-identity",
        lambda: addons.ebs_csi_pod_identity(xr),
        stage=ADDONS,
        after=[agent],
    )
    ebs_csi = compose_addon(xr, out, addons.EBS_CSI, after=[agent, "ebs-csi-pod-identity"])
    # What the nodes' workloads need while they are deleted (pod networking and DNS, AWS
    # credentials, the EBS CSI driver deleting their volumes) and what the nodes need to drain
    # (their role's policies) is deleted after the cluster, which goes only once every node
    # group has: EKS deletes its add-ons and Pod Identity associations with it.
    for used in (
        *iam.NODE_ROLE_POLICIES,
        *(addons.key(a) for a in (*addons.BEFORE_NODES, *addons.AFTER_NODES, addons.EBS_CSI)),
        "ebs-csi-pod-identity",
        "ebs-csi-role",
        *iam.EBS_CSI_ROLE_POLICIES,
    ):
        out.uses(CLUSTER_KEY, used, key=f"usage-{used}-by-cluster")

    # 6. Deploying into the cluster, once it can run what is deployed. The providers keep a
    # ProviderConfig while a Release or Object uses it (ProviderConfigUsage).
    ready_to_deploy = [CLUSTER_AUTH_KEY, *pools, addons.key("coredns")]
    for config_key, build in (
        ("helm-provider-config", providers.helm_provider_config),
        ("kubernetes-provider-config", providers.kubernetes_provider_config),
    ):
        out.add(
            config_key,
            partial(build, xr),
            stage=ADDONS,
            after=ready_to_deploy,
            delete_in_any_order=providers.PROVIDER_CONFIG_ANY_ORDER,
        )

    # 7. In-cluster objects, deleted while the cluster and its kubeconfig still exist.
    out.add(
        STORAGE_CLASS_KEY,
        lambda: providers.default_storage_class(xr),
        stage=ADDONS,
        after=["kubernetes-provider-config", ebs_csi],
        delete_in_any_order=providers.STORAGE_CLASS_ANY_ORDER,
    )
    out.uses(STORAGE_CLASS_KEY, CLUSTER_KEY, key="usage-cluster-by-storage-class")
    out.uses(STORAGE_CLASS_KEY, CLUSTER_AUTH_KEY, key="usage-cluster-auth-by-storage-class")

    # 8. The platform: Helm releases and the objects they need, on a cluster ready for them.
    compose_platform(
        xr,
        out,
        ready_to_deploy=[
            "helm-provider-config",
            "kubernetes-provider-config",
            *ready_to_deploy,
            STORAGE_CLASS_KEY,
        ],
        pools=pools,
        pod_identity_agent=agent,
    )

    outputs.report(xr, out, net)


def build_node_group(
    xr: Composite[ClusterParameters], group: nodes.NodeGroupPlan, private_subnets: list[str]
) -> dict[str, Any]:
    return nodes.node_group(xr, group, private_subnets, node_version(xr, group.key))


def compose_addon(
    xr: Composite[ClusterParameters], out: Desired, addon: str, *, after: list[str]
) -> str:
    key = addons.key(addon)
    out.add(key, lambda: addons.addon(xr, addon), stage=ADDONS, after=after)
    return key


# Observed resources the blueprint stops planning on purpose: node groups of removed pools or
# replaced by a Ready one (nodes.plan keeps them until then), NAT gateways no route uses any more
# (network.retired_nat_zones keeps them until then), principals and OIDC the developer removed.
EXPLICIT_REMOVALS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("nodes-",), "its node pool was removed, or a Ready node group replaced it"),
    (("nat-gateway-", "eip-nat-"), "no private route goes through this NAT gateway any more"),
    (("access-",), "its principal was removed"),
    (("oidc-identity-provider",), "oidc was removed"),
)


def _starts_with(prefixes: tuple[str, ...]) -> Callable[[str], bool]:
    return lambda key: key.startswith(prefixes)


def node_version(xr: Composite[ClusterParameters], group_key: str) -> str:
    wanted = xr.params.version
    running = control_plane.reported_version(xr)
    if running == wanted:
        return wanted
    observed = xr.observed.get(group_key)
    composed = observed.get("spec", "forProvider", "version") if observed else None
    if isinstance(composed, str) and composed:
        return composed  # stays until the control plane reports the new version
    return running or wanted


def measure(p: ClusterParameters) -> dict[str, Measure]:
    """What the Composition's policy limits: node pools and the most nodes they can run."""
    pools = "spec.parameters.nodePools"
    return {
        "nodePools": Measure(pools, len(p.node_pools)),
        "nodes": Measure(pools, sum(pool.max_size for pool in p.node_pools)),
    }


BLUEPRINT = Blueprint(
    kind="XCluster",
    claim_kind="Cluster",
    description="Kubernetes as a service: a dedicated EKS cluster with private networking, "
    "access control, SSO and core addons, or a vCluster or namespace on one.",
    parameters=ClusterParameters,
    status=ClusterStatus,
    compose=compose,
    connection_keys=("kubeconfig", "endpoint", "server", "namespace", "certificate-authority-data"),
    measure=measure,
    columns=(
        ("CLUSTER", ".status.cluster.name", "string"),
        ("VERSION", ".status.cluster.version", "string"),
        ("REGION", ".spec.parameters.region", "string"),
    ),
)
