"""XCluster: a production-grade EKS cluster as a service.

Stages, each gated on the previous one being observed Ready (and never un-composed once observed):
network, IAM and the secrets key -> EKS cluster -> kubeconfig (ClusterAuth), vpc-cni, kube-proxy,
access entries, OIDC -> node groups -> coredns, pod identity agent, EBS CSI driver -> helm and
kubernetes ProviderConfigs -> in-cluster objects (the default StorageClass). Usages make deletion
run the other way round: in-cluster objects, node groups, the cluster, and the VPC last.
"""

from __future__ import annotations

from collections.abc import Callable

from functions.kit import Blueprint, Composite, Desired, Measure
from functions.resources.kinds import (
    CLUSTER_AUTH,
    EKS_CLUSTER,
    KUBERNETES_OBJECT,
    NODE_GROUP,
    ROLE,
    ROLE_POLICY_ATTACHMENT,
    SUBNET,
    VPC,
)

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
from .parameters import ClusterParameters, ClusterStatus
from .platform.compose import compose as compose_platform
from .usages import Use, usage

__all__ = ["BLUEPRINT", "ClusterParameters", "ClusterStatus", "compose"]


def compose(xr: Composite[ClusterParameters], out: Desired) -> None:
    p = xr.params
    tenancy.refuse_isolation_change(xr)
    if p.isolation != "dedicated":
        tenancy.compose(xr, out)
        return
    guards.check_parameters(p)
    control_plane.check_upgrade(xr)
    net = network.layout(p)
    guards.check_network(xr, net)
    guards.check_oidc(xr)
    name = cluster_name(xr)
    private_subnets = network.private_subnet_keys(net)
    node_plan = nodes.plan(xr, list(p.node_pools), private_subnets)
    pools = node_plan.keys
    principals = access.principals(p)
    access.refuse_policy_changes(xr, principals)
    # The kit keeps whatever is observed but no longer planned; what the developer removed, or
    # what a change retired once nothing uses it, goes.
    for prefixes, reason in EXPLICIT_REMOVALS:
        out.remove_unplanned(_starts_with(prefixes), reason)

    # 1. Network, IAM and the secrets encryption key: nothing depends on anything else yet.
    key_keys = control_plane.compose_key(xr, out)
    network_keys = network.compose(xr, out, net, name)
    iam_keys = iam.compose(xr, out, name)

    # 2. The control plane, once everything it runs on is there.
    out.add(
        "eks-cluster",
        control_plane.cluster(xr, private_subnets),
        after=[*network_keys, *iam_keys, *key_keys],
        # The secrets key outlives the cluster whose etcd it encrypts (issue 8.3).
        uses=key_keys,
    )

    # 3. What needs only the control plane: its kubeconfig, the CNI nodes need, access, SSO.
    out.add("cluster-auth", control_plane.cluster_auth(xr), after=["eks-cluster"])
    for addon in addons.BEFORE_NODES:
        out.add(addons.key(addon), addons.addon(xr, addon), after=["eks-cluster"])
    for principal in principals:
        out.add(principal.key, access.access_entry(xr, principal), after=["eks-cluster"])
        out.add(
            principal.policy_key, access.policy_association(xr, principal), after=[principal.key]
        )
    if p.oidc is not None:
        out.add(
            "oidc-identity-provider",
            access.identity_provider_config(xr, p.oidc),
            after=["eks-cluster"],
        )

    # 4. Nodes, once they can join a network; never ahead of the control plane's version (AWS
    # refuses it), so an upgrade moves nodes once the control plane reports the new version.
    before_nodes = ["eks-cluster", *(addons.key(a) for a in addons.BEFORE_NODES)]
    for group in node_plan.groups:
        version = node_version(xr, group.key)
        out.add(
            group.key,
            nodes.node_group(xr, group, private_subnets, version),
            after=before_nodes,
        )
    for group_key, why in node_plan.kept:
        out.add(group_key, nodes.kept_node_group(xr, group_key))
        out.note(f"node group {group_key}: {why}")

    # 5. Addons whose pods need nodes; the EBS CSI driver gets its AWS identity first.
    for addon in addons.AFTER_NODES:
        out.add(addons.key(addon), addons.addon(xr, addon), after=pools)
    agent = addons.key("eks-pod-identity-agent")
    out.add("ebs-csi-pod-identity", addons.ebs_csi_pod_identity(xr), after=[agent])
    ebs_csi = addons.key(addons.EBS_CSI)
    out.add(ebs_csi, addons.addon(xr, addons.EBS_CSI), after=[agent, "ebs-csi-pod-identity"])
    addon_keys = [
        *(addons.key(a) for a in (*addons.BEFORE_NODES, *addons.AFTER_NODES)),
        "ebs-csi-pod-identity",
        ebs_csi,
    ]

    # 6. Deploying into the cluster, once it can run what is deployed.
    ready_to_deploy = ["cluster-auth", *pools, addons.key("coredns")]
    out.add("helm-provider-config", providers.helm_provider_config(xr), after=ready_to_deploy)
    out.add(
        "kubernetes-provider-config",
        providers.kubernetes_provider_config(xr),
        after=ready_to_deploy,
    )

    # 7. In-cluster objects.
    out.add(
        "storage-class",
        providers.default_storage_class(xr),
        after=["kubernetes-provider-config", ebs_csi],
    )

    # 8. The platform: Helm releases and the objects they need, on a cluster ready for them.
    compose_platform(
        xr,
        out,
        ready_to_deploy=[
            "helm-provider-config",
            "kubernetes-provider-config",
            *ready_to_deploy,
            "storage-class",
        ],
        pools=pools,
        pod_identity_agent=agent,
    )

    # 9. Deletion order, each Usage once both its sides exist.
    for key, of, by in deletion_order(private_subnets, node_plan.all_keys):
        out.add(key, usage(xr, key, of, by), after=[of[1], by[1]])

    outputs.report(xr, out, net, network_keys, pools, addon_keys)


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


def deletion_order(private_subnets: list[str], pools: list[str]) -> list[tuple[str, Use, Use]]:
    """(usage key, (kind, key) of the used resource, (kind, key) of its user)."""
    cluster = (EKS_CLUSTER, "eks-cluster")
    order: list[tuple[str, Use, Use]] = [
        # In-cluster objects go first, while the cluster and its kubeconfig still exist.
        ("usage-cluster-by-storage-class", cluster, (KUBERNETES_OBJECT, "storage-class")),
        (
            "usage-cluster-auth-by-storage-class",
            (CLUSTER_AUTH, "cluster-auth"),
            (KUBERNETES_OBJECT, "storage-class"),
        ),
    ]
    for pool in pools:
        order.append((f"usage-cluster-by-{pool}", cluster, (NODE_GROUP, pool)))
        # Without its role a node group cannot drain and terminate its instances.
        order.append((f"usage-node-role-by-{pool}", (ROLE, "node-role"), (NODE_GROUP, pool)))
    # Without its role EKS cannot clean up the control plane's network interfaces.
    order.append(("usage-cluster-role-by-cluster", (ROLE, "cluster-role"), cluster))
    order.append(
        (
            "usage-cluster-role-policy-by-cluster",
            (ROLE_POLICY_ATTACHMENT, "cluster-role-policy"),
            cluster,
        )
    )
    for subnet in private_subnets:
        order.append((f"usage-{subnet}-by-cluster", (SUBNET, subnet), cluster))
    order.append(("usage-vpc-by-cluster", (VPC, "vpc"), cluster))
    return order


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
