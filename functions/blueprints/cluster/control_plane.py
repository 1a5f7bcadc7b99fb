"""The EKS control plane: secrets encryption key, the cluster, and its kubeconfig (ClusterAuth)."""

from __future__ import annotations

from typing import Any

from functions.kit import CONNECTION_SECRET_NAMESPACE, Composite, Desired, dns_label
from functions.resources import kms
from functions.resources.kinds import CLUSTER_AUTH, EKS_CLUSTER

from .keys import CLUSTER_AUTH_KEY, CLUSTER_KEY
from .parameters import ClusterParameters
from .stages import CONTROL_PLANE

KUBECONFIG_KEY = "kubeconfig"


def cluster_name(xr: Composite[Any]) -> str:
    """The EKS cluster's name: stable for the XR's lifetime and unique in the account.

    Once the cluster exists its name is read back from it: EKS cannot rename a cluster (ForceNew),
    so however names are derived in future, a running cluster keeps its own.
    """
    observed = xr.observed.get(CLUSTER_KEY)
    if observed is not None:
        name = observed.get("metadata", "annotations", "crossplane.io/external-name")
        if isinstance(name, str) and name:
            return name
    return xr.aws_name(max_len=100)


def kubeconfig_secret(xr: Composite[Any]) -> tuple[str, str]:
    """Where ClusterAuth writes the kubeconfig: (namespace, name)."""
    namespace = xr.namespace or CONNECTION_SECRET_NAMESPACE
    return namespace, dns_label(xr.name, "kubeconfig")


def reported_version(xr: Composite[ClusterParameters]) -> str | None:
    """The Kubernetes version the control plane reports running (status only), or None."""
    observed = xr.observed.get(CLUSTER_KEY)
    version = observed.at_provider("version") if observed else None
    return version if isinstance(version, str) and version.count(".") == 1 else None


def composed_version(xr: Composite[ClusterParameters]) -> str | None:
    """The version the control plane runs or was last asked for: the observed status, else the
    observed spec (after a restore or adoption the status can be missing)."""
    running = reported_version(xr)
    if running is not None:
        return running
    observed = xr.observed.get(CLUSTER_KEY)
    version = observed.get("spec", "forProvider", "version") if observed else None
    return version if isinstance(version, str) and version.count(".") == 1 else None


def encrypts_secrets(xr: Composite[ClusterParameters]) -> bool:
    # EKS cannot turn secrets encryption off again, and deleting the key would make every
    # Secret unreadable: once composed, the key stays.
    return (
        xr.params.secrets_encryption
        or "kms-key" in xr.observed
        or _observed_encryption_arn(xr) is not None
    )


def compose_key(xr: Composite[ClusterParameters], out: Desired) -> list[str]:
    if not encrypts_secrets(xr):
        return []
    out.add(
        "kms-key",
        kms.key(xr, "kms-key", f"Encrypts Kubernetes Secrets of EKS cluster {cluster_name(xr)}"),
        stage=CONTROL_PLANE,
    )
    return ["kms-key"]


def key_arn(xr: Composite[ClusterParameters]) -> str | None:
    key = xr.observed.get("kms-key")
    arn = key.at_provider("arn") if key else None
    if arn:
        return str(arn)
    # The key's observed state can be missing (while it is re-read, after a restore or an
    # adoption); the cluster then keeps the ARN it was created with rather than dropping its
    # encryption, which EKS could not do anyway.
    return _observed_encryption_arn(xr)


def _observed_encryption_arn(xr: Composite[ClusterParameters]) -> str | None:
    """The key ARN of the observed cluster's encryptionConfig: its status, else its spec."""
    cluster = xr.observed.get(CLUSTER_KEY)
    if cluster is None:
        return None
    for config in (
        cluster.at_provider("encryptionConfig"),
        cluster.get("spec", "forProvider", "encryptionConfig"),
    ):
        # v1beta2 has an object; a list (the v1beta1 shape) is read too.
        if isinstance(config, list) and config:
            config = config[0]
        if not isinstance(config, dict):
            continue
        provider = config.get("provider")
        if isinstance(provider, list) and provider:
            provider = provider[0]
        arn = provider.get("keyArn") if isinstance(provider, dict) else None
        if isinstance(arn, str) and arn:
            return arn
    return None


def control_plane_subnet_refs(
    xr: Composite[ClusterParameters], private_subnet_keys: list[str]
) -> list[dict[str, Any]]:
    """The control plane's subnets: the private ones, and once created, the ones it was created
    with. EKS only accepts subnets "in the same set of AZs as originally provided when you created
    the cluster" (EKS User Guide, network-reqs), so a zone added later is for nodes only."""
    observed = xr.observed.get(CLUSTER_KEY)
    refs = observed.get("spec", "forProvider", "vpcConfig", "subnetIdRefs") if observed else None
    if isinstance(refs, list) and refs and all(isinstance(r, dict) and r.get("name") for r in refs):
        return [xr.shape.ref(str(r["name"])) for r in refs]
    return [xr.ref(key) for key in private_subnet_keys]


def cluster(xr: Composite[ClusterParameters], private_subnet_keys: list[str]) -> dict[str, Any]:
    p = xr.params
    for_provider: dict[str, Any] = {
        "region": p.region,
        "version": p.version,
        "roleArnRef": xr.ref("cluster-role"),
        "vpcConfig": {
            # The control plane's network interfaces go into the private subnets only.
            "subnetIdRefs": control_plane_subnet_refs(xr, private_subnet_keys),
            "endpointPrivateAccess": p.endpoint.private,
            "endpointPublicAccess": p.endpoint.public,
        },
        "accessConfig": {
            "authenticationMode": "API_AND_CONFIG_MAP",
            # The provider's identity stays admin: ClusterAuth's kubeconfig, and with it the helm
            # and kubernetes ProviderConfigs, act as that identity.
            "bootstrapClusterCreatorAdminPermissions": True,
        },
        # Core addons are composed as EKS managed addons instead of the self-managed defaults.
        "bootstrapSelfManagedAddons": False,
        "enabledClusterLogTypes": list(dict.fromkeys(p.logging)),
        "tags": xr.tags(),
    }
    if p.endpoint.public:
        for_provider["vpcConfig"]["publicAccessCidrs"] = list(p.endpoint.public_cidrs)
    if encrypts_secrets(xr):
        arn = key_arn(xr)
        if arn:
            for_provider["encryptionConfig"] = {
                "provider": {"keyArn": arn},
                "resources": ["secrets"],
            }
    return xr.shape.managed(
        EKS_CLUSTER, xr.resource_name(CLUSTER_KEY), for_provider, external_name=cluster_name(xr)
    )


def cluster_auth(xr: Composite[ClusterParameters]) -> dict[str, Any]:
    _, secret = kubeconfig_secret(xr)
    return xr.shape.managed(
        CLUSTER_AUTH,
        xr.resource_name(CLUSTER_AUTH_KEY),
        {
            "region": xr.params.region,
            "clusterNameRef": xr.ref(CLUSTER_KEY),
        },
        connection_secret=secret,
    )
