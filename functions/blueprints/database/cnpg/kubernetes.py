"""In the cluster, through its kubernetes ProviderConfig: the namespace, its NetworkPolicy, the
CNPG Cluster and ScheduledBackup, a PodMonitor, and the reader of the Secret CNPG generates."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from functions.kit import (
    CONNECTION_SECRET_NAMESPACE,
    Composite,
    CompositeRef,
    Desired,
    Used,
    dns_label,
    protect_composite,
)
from functions.resources.kinds import KUBERNETES_OBJECT
from functions.resources.kubernetes import kubernetes_object as k8s_object

from ..parameters import MASTER_USERNAME, DatabaseParameters
from .names import (
    APP_SECRET,
    ASSOCIATION_KEY,
    CLUSTER_NAME,
    CLUSTER_USAGE_KEY,
    CONNECTION_KEY,
    DATABASE,
    IMAGE,
    METRICS_PORT,
    MONITORING_NAMESPACE,
    NAMESPACE,
    NAMESPACE_KEY,
    OPERATOR_NAMESPACE,
    PORT,
    POSTGRES_KEY,
    STATUS_PORT,
    bucket_name,
    kept_policy,
    namespace,
)
from .target import Target


@dataclass(frozen=True)
class Resources:
    """CPU and memory of one instance (requests equal limits: Guaranteed QoS, never evicted
    first), sized like the RDS classes of the same size."""

    cpu: str
    memory: str


RESOURCES = {
    "small": Resources("1", "2Gi"),
    "medium": Resources("2", "8Gi"),
    "large": Resources("4", "32Gi"),
}


def compose_in_cluster(xr: Composite[DatabaseParameters], out: Desired, target: Target) -> None:
    p = xr.params
    config = str(target.provider_config_name)
    ns = namespace(xr)
    kept = kept_policy(p)
    out.add(
        NAMESPACE_KEY,
        k8s_object(xr, NAMESPACE_KEY, namespace_manifest(xr, ns), config, deletion_policy=kept),
        stage=NAMESPACE,
        delete_in_any_order="deleting the namespace deletes what is in it",
    )
    out.add(
        "network-policy",
        k8s_object(
            xr,
            "network-policy",
            network_policy(xr, ns, target.monitoring),
            config,
            deletion_policy=kept,
        ),
        after=[NAMESPACE_KEY],
        stage=NAMESPACE,
    )
    out.add(
        POSTGRES_KEY,
        k8s_object(
            xr,
            POSTGRES_KEY,
            cluster_manifest(xr, ns),
            config,
            deletion_policy=kept,
            # Ready when CNPG says the cluster is (its Ready condition), not when it is applied.
            readiness={"policy": "DeriveFromObject"},
        ),
        after=[NAMESPACE_KEY, ASSOCIATION_KEY, "backup-encryption", "backup-versioning"],
        stage=DATABASE,
        # Its backup identity stays until it is gone: the last WAL is archived.
        uses=[ASSOCIATION_KEY],
        delete_in_any_order="its ScheduledBackup and Secret reader need nothing from it to go",
    )
    if p.backup_retention_days > 0:
        out.add(
            "scheduled-backup",
            k8s_object(
                xr, "scheduled-backup", scheduled_backup(xr, ns), config, deletion_policy=kept
            ),
            after=[POSTGRES_KEY],
            stage=DATABASE,
        )
    else:
        out.remove("scheduled-backup", "backupRetentionDays is 0: no scheduled backups")
    if target.monitoring:
        out.add(
            "pod-monitor",
            k8s_object(xr, "pod-monitor", pod_monitor(ns), config, deletion_policy=kept),
            after=[NAMESPACE_KEY],
            stage=DATABASE,
        )
    else:
        out.remove("pod-monitor", "the cluster's monitoring is off")
    secret = {"apiVersion": "v1", "kind": "Secret", "name": APP_SECRET, "namespace": ns}
    out.add(
        CONNECTION_KEY,
        k8s_object(
            xr,
            CONNECTION_KEY,
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {"name": APP_SECRET, "namespace": ns},
            },
            config,
            managementPolicies=["Observe"],
            connectionDetails=[
                {**secret, "fieldPath": f"data.{key}", "toConnectionSecretKey": key}
                for key in ("username", "password")
            ],
            writeConnectionSecretToRef=connection_secret_ref(xr),
        ),
        after=[POSTGRES_KEY],
        stage=DATABASE,
    )
    if target.xr_name:
        # The cluster cannot be deleted while the database runs in it.
        protect_composite(
            out,
            CLUSTER_USAGE_KEY,
            CompositeRef(target.api_version, "XCluster", target.xr_name),
            by=Used(POSTGRES_KEY, KUBERNETES_OBJECT),
            reason=f"PostgreSQL {namespace(xr)} runs in it",
        )


def connection_secret_ref(xr: Composite[Any]) -> dict[str, str]:
    ref = {"name": xr.resource_name("postgres-connection")}
    if not xr.shape.namespaced:
        ref["namespace"] = CONNECTION_SECRET_NAMESPACE
    return ref


_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
_LABEL_KEY = re.compile(
    r"^([a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$"
)


def labels(xr: Composite[DatabaseParameters]) -> dict[str, str]:
    """The developer's tags that are valid Kubernetes labels (the others stay AWS tags only)."""
    result = {
        key: value
        for key, value in xr.params.tags.items()
        if _LABEL_KEY.match(key) and len(value) <= 63 and _LABEL_VALUE.match(value)
    }
    result["paved.dev/database"] = dns_label(xr.name)
    return dict(sorted(result.items()))


def namespace_manifest(xr: Composite[DatabaseParameters], ns: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {
            "name": ns,
            "labels": {
                **labels(xr),
                # CNPG's pods run as non-root without privileges: restricted fits.
                "pod-security.kubernetes.io/enforce": "restricted",
                "pod-security.kubernetes.io/enforce-version": "latest",
            },
        },
    }


def network_policy(xr: Composite[DatabaseParameters], ns: str, monitoring: bool) -> dict[str, Any]:
    """Only the listed namespaces reach PostgreSQL; the instances reach each other (replication),
    the operator reaches their status port; Prometheus their metrics when monitoring is on."""

    def from_namespaces(*names: str) -> dict[str, Any]:
        return {
            "namespaceSelector": {
                "matchExpressions": [
                    {
                        "key": "kubernetes.io/metadata.name",
                        "operator": "In",
                        "values": list(names),
                    }
                ]
            }
        }

    def tcp(*ports: int) -> list[dict[str, Any]]:
        return [{"protocol": "TCP", "port": port} for port in ports]

    instances = {"podSelector": {"matchLabels": {"cnpg.io/cluster": CLUSTER_NAME}}}
    ingress = [
        {"from": [from_namespaces(*xr.params.network.allowed_namespaces)], "ports": tcp(PORT)},
        {"from": [instances]},
        {"from": [from_namespaces(OPERATOR_NAMESPACE)], "ports": tcp(STATUS_PORT, PORT)},
    ]
    if monitoring:
        ingress.append(
            {"from": [from_namespaces(MONITORING_NAMESPACE)], "ports": tcp(METRICS_PORT)}
        )
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "postgres-allowed-namespaces", "namespace": ns},
        "spec": {
            "podSelector": instances["podSelector"],
            "policyTypes": ["Ingress"],
            "ingress": ingress,
        },
    }


def instances(p: DatabaseParameters) -> int:
    return 3 if p.high_availability else 1


def cluster_manifest(xr: Composite[DatabaseParameters], ns: str) -> dict[str, Any]:
    p = xr.params
    size = RESOURCES[p.size]
    resources = {"cpu": size.cpu, "memory": size.memory}
    postgresql: dict[str, Any] = {
        # Like rds.force_ssl: a connection without TLS is refused.
        "pg_hba": [
            "hostnossl all all 0.0.0.0/0 reject",
            "hostnossl all all ::/0 reject",
        ],
    }
    if p.high_availability:
        # A commit returns once a standby has it: a failover loses nothing.
        postgresql["synchronous"] = {"method": "any", "number": 1, "dataDurability": "required"}
    spec: dict[str, Any] = {
        "instances": instances(p),
        "imageName": f"{IMAGE}:{p.major_version}",
        "primaryUpdateStrategy": "unsupervised",
        "enableSuperuserAccess": False,
        "postgresql": postgresql,
        "bootstrap": {"initdb": {"database": p.database_name, "owner": MASTER_USERNAME}},
        "storage": {"size": f"{p.storage}Gi"},
        "resources": {"requests": resources, "limits": resources},
        # Instances in different zones where the cluster has them, like a Multi-AZ standby
        # (preferred: a cluster with fewer zones than instances still runs them all).
        "affinity": {
            "enablePodAntiAffinity": True,
            "topologyKey": "topology.kubernetes.io/zone",
            "podAntiAffinityType": "preferred",
        },
        "inheritedMetadata": {"labels": labels(xr)},
    }
    if p.backup_retention_days > 0:
        spec["backup"] = {
            "retentionPolicy": f"{p.backup_retention_days}d",
            "barmanObjectStore": {
                "destinationPath": f"s3://{bucket_name(xr)}/",
                # The Pod Identity role: no access keys anywhere.
                "s3Credentials": {"inheritFromIAMRole": True},
                "wal": {"compression": "gzip"},
                "data": {"compression": "gzip"},
            },
        }
    return {
        "apiVersion": "postgresql.cnpg.io/v1",
        "kind": "Cluster",
        "metadata": {"name": CLUSTER_NAME, "namespace": ns, "labels": labels(xr)},
        "spec": spec,
    }


def backup_schedule(p: DatabaseParameters) -> str:
    """Daily, at the start of backupWindow (UTC) or at midnight; CNPG's cron has seconds."""
    hour, minute = (0, 0)
    if p.backup_window:
        hour, minute = (int(part) for part in p.backup_window.split("-")[0].split(":"))
    return f"0 {minute} {hour} * * *"


def scheduled_backup(xr: Composite[DatabaseParameters], ns: str) -> dict[str, Any]:
    return {
        "apiVersion": "postgresql.cnpg.io/v1",
        "kind": "ScheduledBackup",
        "metadata": {"name": f"{CLUSTER_NAME}-daily", "namespace": ns},
        "spec": {
            "schedule": backup_schedule(xr.params),
            "cluster": {"name": CLUSTER_NAME},
            "method": "barmanObjectStore",
            # A base backup at once: point-in-time recovery from the first day.
            "immediate": True,
            "backupOwnerReference": "self",
        },
    }


def pod_monitor(ns: str) -> dict[str, Any]:
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PodMonitor",
        "metadata": {"name": CLUSTER_NAME, "namespace": ns},
        "spec": {
            "selector": {"matchLabels": {"cnpg.io/cluster": CLUSTER_NAME}},
            "podMetricsEndpoints": [{"port": "metrics"}],
        },
    }
