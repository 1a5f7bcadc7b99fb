"""Keys and names of placement cluster's resources: stable forever, read back once they exist."""

from __future__ import annotations

from typing import Any

from functions.kit import Composite, DeletionPolicy, dns_label
from functions.resources.names import kept_external_name, unique_base

from ..parameters import DatabaseParameters

# The CNPG Cluster's name in its namespace: its services are postgres-rw/-ro/-r, its service
# account (the one Pod Identity binds) postgres, the Secret with the app user postgres-app.
CLUSTER_NAME = "postgres"
APP_SECRET = f"{CLUSTER_NAME}-app"
PORT = 5432
IMAGE = "ghcr.io/cloudnative-pg/postgresql"
# Where the platform installs the operator and monitoring (the XCluster's chart table).
OPERATOR_NAMESPACE = "cnpg-system"
MONITORING_NAMESPACE = "monitoring"
# CNPG's instance manager: status (operator) on 8000, metrics (Prometheus) on 9187.
STATUS_PORT = 8000
METRICS_PORT = 9187
IAM_NAME_MAX = 64
BUCKET_NAME_MAX = 63

KEY = "kms-key"
# Stages (each gets a <Stage>Ready condition; the Database stage's is DatabaseReady).
BACKUPS, NAMESPACE, DATABASE = "Backups", "Namespace", "Database"
BUCKET_KEY = "backup-bucket"
ROLE_KEY, POLICY_KEY, ATTACHMENT_KEY, ASSOCIATION_KEY = (
    "backup-role",
    "backup-policy",
    "backup-role-policy",
    "backup-pod-identity",
)
NAMESPACE_KEY, POSTGRES_KEY, CONNECTION_KEY = "namespace", "postgres", "app-secret"
CLUSTER_USAGE_KEY = "usage-cluster-by-postgres"


def namespace(xr: Composite[Any]) -> str:
    """The database's namespace in the cluster: unique per XR, the one it has once it exists."""
    observed = xr.observed.get(NAMESPACE_KEY)
    name = (
        observed.text("spec", "forProvider", "manifest", "metadata", "name")
        if observed is not None
        else None
    )
    return name or dns_label("pg", unique_base(xr, 60))


def _suffixed(xr: Composite[Any], suffix: str, max_len: int) -> str:
    return f"{unique_base(xr, max_len - len(suffix) - 1)}-{suffix}"


def bucket_name(xr: Composite[Any]) -> str:
    return kept_external_name(xr, BUCKET_KEY, _suffixed(xr, "backups", BUCKET_NAME_MAX))


def role_name(xr: Composite[Any]) -> str:
    return kept_external_name(xr, ROLE_KEY, _suffixed(xr, "pg-backup", IAM_NAME_MAX))


def policy_name(xr: Composite[Any]) -> str:
    return kept_external_name(xr, POLICY_KEY, _suffixed(xr, "pg-backup", IAM_NAME_MAX))


def host(xr: Composite[Any]) -> str:
    """The read-write service: always points at the primary, across failovers."""
    return f"{CLUSTER_NAME}-rw.{namespace(xr)}.svc.cluster.local"


def kept_policy(p: DatabaseParameters) -> DeletionPolicy | None:
    """deletionProtection keeps the database running when the XR goes: the namespace (and its
    volumes), the CNPG Cluster, and what keeps it safe and backed up — its NetworkPolicy (else
    every pod could reach it), its ScheduledBackup and PodMonitor, and its backup role with its
    Pod Identity association (else WAL archiving fails and fills the volumes)."""
    return "Orphan" if p.deletion_protection else None
