"""cert-manager, and optionally a Let's Encrypt ClusterIssuer."""

from __future__ import annotations

from typing import Any

from .build import OBJECT_ANY_ORDER, Platform
from .parameters import LetsEncrypt

COMPONENT = "cert_manager"
ISSUER_KEY = "cert-manager-issuer"
ACME_SERVERS = {
    False: "https://acme-v02.api.letsencrypt.org/directory",
    True: "https://acme-staging-v02.api.letsencrypt.org/directory",
}

# Its CRDs are part of the release, and stay when it is uninstalled: deleting them would delete
# every Certificate in the cluster.
VALUES: dict[str, Any] = {"crds": {"enabled": True, "keep": True}}


def compose(platform: Platform, *, issuer: bool) -> None:
    """`issuer`: compose the Let's Encrypt issuer, if asked for (not while uninstalling)."""
    key = platform.release(COMPONENT, VALUES)
    lets_encrypt = platform.xr.params.platform.cert_manager.lets_encrypt
    if issuer and lets_encrypt is not None:
        # One key per issuer name: switching servers deletes the old issuer, never renames it.
        issuer_key = f"{ISSUER_KEY}-staging" if lets_encrypt.staging else ISSUER_KEY
        platform.object(
            COMPONENT,
            issuer_key,
            cluster_issuer(lets_encrypt),
            after=[key],
            derive_readiness=True,
            any_order=OBJECT_ANY_ORDER,
        )


def issuer_name(lets_encrypt: LetsEncrypt) -> str:
    return "letsencrypt-staging" if lets_encrypt.staging else "letsencrypt"


def cluster_issuer(lets_encrypt: LetsEncrypt) -> dict[str, Any]:
    name = issuer_name(lets_encrypt)
    return {
        "apiVersion": "cert-manager.io/v1",
        "kind": "ClusterIssuer",
        "metadata": {"name": name},
        "spec": {
            "acme": {
                "email": lets_encrypt.email,
                "server": ACME_SERVERS[lets_encrypt.staging],
                "privateKeySecretRef": {"name": f"{name}-account-key"},
                "solvers": [
                    {
                        "http01": {
                            "ingress": {
                                "ingressClassName": lets_encrypt.ingress_class_name,
                                # The challenge must be reachable from Let's Encrypt.
                                "ingressTemplate": {
                                    "metadata": {
                                        "annotations": {
                                            "alb.ingress.kubernetes.io/scheme": "internet-facing"
                                        }
                                    }
                                },
                            }
                        }
                    }
                ],
            }
        },
    }
