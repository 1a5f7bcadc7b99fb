"""XCluster: a production-grade EKS cluster as a service.

Stages, each gated on the previous one being observed Ready (and never un-composed once observed):
network, IAM and the secrets key -> EKS cluster -> kubeconfig (ClusterAuth), vpc-cni, kube-proxy,
access entries, OIDC -> node groups -> coredns, pod identity agent, EBS CSI driver -> helm and
kubernetes ProviderConfigs -> in-cluster objects (the default StorageClass). Usages make deletion
run the other way round: in-cluster objects, node groups, the cluster, and the VPC last.
"""

from __future__ import annotations

import ipaddress

from functions.kit import Blueprint, ComposeError, Composite, Desired, Measure
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

from . import access, addons, control_plane, iam, network, nodes, outputs, providers, tenancy
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
    validate(p)
    control_plane.check_upgrade(xr)
    net = network.layout(p)
    name = cluster_name(xr)
    private_subnets = network.private_subnet_keys(net)
    pools = [nodes.key(pool) for pool in p.node_pools]
    principals = access.principals(p)
    # The kit keeps whatever is observed but no longer planned; what the developer removed goes.
    out.remove_unplanned(lambda key: key.startswith("nodes-"), "its node pool was removed")
    out.remove_unplanned(lambda key: key.startswith("access-"), "its principal was removed")
    out.remove_unplanned(lambda key: key == "oidc-identity-provider", "oidc was removed")

    # 1. Network, IAM and the secrets encryption key: nothing depends on anything else yet.
    key_keys = control_plane.compose_key(xr, out)
    network_keys = network.compose(xr, out, net, name)
    iam_keys = iam.compose(xr, out, name)

    # 2. The control plane, once everything it runs on is there.
    out.add(
        "eks-cluster",
        control_plane.cluster(xr, private_subnets),
        after=[*network_keys, *iam_keys, *key_keys],
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

    # 4. Nodes, once they can join a network.
    before_nodes = ["eks-cluster", *(addons.key(a) for a in addons.BEFORE_NODES)]
    for pool in p.node_pools:
        out.add(nodes.key(pool), nodes.node_group(xr, pool, private_subnets), after=before_nodes)

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
    for key, of, by in deletion_order(private_subnets, pools):
        out.add(key, usage(xr, key, of, by), after=[of[1], by[1]])

    outputs.report(xr, out, net, network_keys, pools, addon_keys)


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


def validate(p: ClusterParameters) -> None:
    """Checks across fields, each naming the field at fault."""
    for field, value in (("host", p.host), ("quota", p.quota)):
        if value is not None:
            raise ComposeError(
                f"spec.parameters.{field}", "is only for isolation vcluster and namespace"
            )
    for role in ("admins", "viewers"):
        for i, subject in enumerate(getattr(p.access, role)):
            if not subject.startswith("arn:"):
                raise ComposeError(
                    f"spec.parameters.access.{role}[{i}]",
                    f"{subject!r}: a dedicated cluster's access is an IAM role or user ARN; "
                    "sign in through OIDC groups with spec.parameters.oidc",
                )
    if not (p.endpoint.public or p.endpoint.private):
        raise ComposeError("spec.parameters.endpoint", "public and private cannot both be false")
    for i, cidr in enumerate(p.endpoint.public_cidrs):
        try:
            ipaddress.IPv4Network(cidr, strict=True)
        except ValueError as error:
            raise ComposeError(
                f"spec.parameters.endpoint.publicCidrs[{i}]", f"{cidr!r}: {error}"
            ) from None
    nodes.validate(p.node_pools)
    if len(set(p.logging)) != len(p.logging):
        raise ComposeError("spec.parameters.logging", "lists a log type twice")


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
