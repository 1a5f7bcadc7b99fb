"""Deploying into the new cluster: helm and kubernetes ProviderConfigs, and in-cluster objects."""

from __future__ import annotations

from typing import Any

from functions.kit import Composite
from functions.resources.kinds import (
    HELM_PROVIDER_CONFIG,
    KUBERNETES_PROVIDER_CONFIG,
)
from functions.resources.kubernetes import kubernetes_object

from .control_plane import KUBECONFIG_KEY, kubeconfig_secret
from .keys import STORAGE_CLASS_KEY
from .parameters import ClusterParameters

PROVIDER_CONFIG_ANY_ORDER = (
    "the provider keeps a ProviderConfig while a Release or Object uses it (ProviderConfigUsage)"
)
STORAGE_CLASS_ANY_ORDER = (
    "bound volumes do not need their StorageClass: the EBS CSI driver deletes them"
)


def provider_config_name(xr: Composite[Any]) -> str:
    """Both ProviderConfigs are named after the XR, so platform engineers can guess them."""
    return xr.name


def provider_config(
    xr: Composite[ClusterParameters], kind: Any, kubeconfig: tuple[str, str]
) -> dict[str, Any]:
    """A helm or kubernetes ProviderConfig (`kind`) named after the XR, reading the kubeconfig
    in the Secret `kubeconfig` (namespace, name) under the key `kubeconfig`."""
    namespace, name = kubeconfig
    return xr.shape.plain(
        kind,
        provider_config_name(xr),
        {
            "spec": {
                "credentials": {
                    "source": "Secret",
                    "secretRef": {"namespace": namespace, "name": name, "key": KUBECONFIG_KEY},
                }
            }
        },
    )


def helm_provider_config(xr: Composite[ClusterParameters]) -> dict[str, Any]:
    return provider_config(xr, HELM_PROVIDER_CONFIG, kubeconfig_secret(xr))


def kubernetes_provider_config(xr: Composite[ClusterParameters]) -> dict[str, Any]:
    return provider_config(xr, KUBERNETES_PROVIDER_CONFIG, kubeconfig_secret(xr))


def default_storage_class(xr: Composite[ClusterParameters]) -> dict[str, Any]:
    manifest = {
        "apiVersion": "storage.k8s.io/v1",
        "kind": "StorageClass",
        "metadata": {
            "name": "gp3",
            "annotations": {"storageclass.kubernetes.io/is-default-class": "true"},
        },
        "provisioner": "ebs.csi.aws.com",
        "parameters": {"type": "gp3", "encrypted": "true"},
        "reclaimPolicy": "Delete",
        "volumeBindingMode": "WaitForFirstConsumer",
        "allowVolumeExpansion": True,
    }
    return kubernetes_object(xr, STORAGE_CLASS_KEY, manifest, provider_config_name(xr))
