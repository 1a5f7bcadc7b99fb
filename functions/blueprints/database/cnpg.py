"""placement: cluster — PostgreSQL run by CloudNativePG inside a Paved cluster.

What it composes, through the cluster's kubernetes ProviderConfig: a namespace of its own, a CNPG
`Cluster` (TLS only, synchronous standbys with highAvailability), a `ScheduledBackup`, a PodMonitor
when the cluster runs monitoring, a NetworkPolicy admitting only the namespaces the developer lists
(and the operator, and the instances' own replication), and an observe-only Object reading the
`<cluster>-app` Secret CNPG generates into the XR's connection details (the same keys as RDS).

In AWS, through the XR's own provider config: an encrypted, private, versioned, TLS-only backup
bucket (the XBucket building blocks), and an IAM role only the database's service account can
assume through EKS Pod Identity — barman-cloud inherits it, nothing static is stored.

The operator is a platform component of the XCluster (`platform.cloudnativePg`, off by default):
the database holds, with the reason in status.progress, until the cluster runs it and reports it
ready. Paved does not turn it on from here: one database must not change its cluster.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from functions.kit import ComposeError, Composite, Desired, ProviderConfigRef, dns_label
from functions.kit.shapes import DeletionPolicy
from functions.resources import kms
from functions.resources.arns import partition
from functions.resources.kinds import (
    KUBERNETES_OBJECT,
    POD_IDENTITY_ASSOCIATION,
    POLICY,
    ROLE,
    ROLE_POLICY_ATTACHMENT,
    USAGE,
)
from functions.resources.names import unique_base

from .. import bucket as buckets
from ..cluster.iam import trust_policy
from . import guards
from .names import EXTERNAL_NAME
from .parameters import MASTER_USERNAME, DatabaseParameters
from .placement import RequiredCluster, find_cluster, wait_for_cluster
from .rds import as_created

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


# -- the target cluster -------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """What the database needs to know about its cluster, read defensively from the required
    resource: an odd or missing value is unknown, never a crash."""

    where: str
    xr_name: str
    api_version: str
    isolation: str
    eks_name: str | None
    provider_config_name: str | None
    region: str | None
    operator_enabled: bool
    operator_ready: bool
    monitoring: bool


def _dig(value: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def read_target(xr: Composite[DatabaseParameters], required: RequiredCluster) -> Target:
    resource = required.resource
    platform = _dig(resource, "spec", "parameters", "platform")
    is_claim = resource.get("kind") == "Cluster"
    # A claim's XR has a generated name; until the claim is bound it is unknown ("").
    name = (
        _dig(resource, "spec", "resourceRef", "name")
        if is_claim
        else _dig(resource, "metadata", "name")
    )
    return Target(
        where=required.where,
        xr_name=_text(name) or "",
        api_version=_text(resource.get("apiVersion")) or xr.api_version,
        isolation=_text(_dig(resource, "spec", "parameters", "isolation")) or "dedicated",
        eks_name=_text(_dig(resource, "status", "cluster", "name")),
        provider_config_name=_text(_dig(resource, "status", "cluster", "providerConfigName")),
        region=_text(_dig(resource, "status", "cluster", "region")),
        operator_enabled=_dig(platform, "cloudnativePg", "enabled") is True,
        operator_ready=_dig(resource, "status", "platform", "cloudnativePg", "ready") is True,
        monitoring=_dig(platform, "monitoring", "enabled") is True,
    )


def resolve(xr: Composite[DatabaseParameters], out: Desired) -> Target | None:
    """The cluster to run in, or None (holding the XR, with the reason) until it can take it."""
    required = find_cluster(xr, out)
    if required is None:
        return None
    target = read_target(xr, required)
    field = "spec.parameters.network.clusterRef.name"
    if target.isolation != "dedicated":
        raise ComposeError(
            field,
            f"{target.where} is a {target.isolation} tenant; placement cluster needs a dedicated "
            "Cluster (its own EKS cluster and CloudNativePG operator)",
        )
    if target.region and target.region != xr.params.region:
        raise ComposeError(
            "spec.parameters.region",
            f"{target.where} is in {target.region}; the database must be in the same region",
        )
    if not target.operator_enabled:
        message = (
            f"{target.where} does not run the CloudNativePG operator: a platform engineer sets "
            "spec.parameters.platform.cloudnativePg.enabled: true on it"
        )
        wait_for_cluster(out, message, "WaitingForOperator")
        return None
    if not target.operator_ready:
        message = (
            f"waiting for the CloudNativePG operator on {target.where} to be ready "
            "(status.platform.cloudnativePg.ready)"
        )
        wait_for_cluster(out, message, "WaitingForOperator")
        return None
    missing = [
        field
        for field, value in (
            ("name", target.eks_name),
            ("providerConfigName", target.provider_config_name),
        )
        if value is None
    ]
    if missing:
        wait_for_cluster(
            out, f"waiting for {target.where} to report {', '.join(missing)} in status.cluster"
        )
        return None
    return target


# -- names: stable forever ----------------------------------------------------------------------


def namespace(xr: Composite[Any]) -> str:
    """The database's namespace in the cluster: unique per XR, the one it has once it exists."""
    observed = xr.observed.get(NAMESPACE_KEY)
    name = (
        observed.text("spec", "forProvider", "manifest", "metadata", "name")
        if observed is not None
        else None
    )
    return name or dns_label("pg", unique_base(xr, 60))


def _external_name(xr: Composite[Any], key: str, new_name: str) -> str:
    observed = xr.observed.get(key)
    name = observed.text("metadata", "annotations", EXTERNAL_NAME) if observed is not None else None
    return name or new_name


def _suffixed(xr: Composite[Any], suffix: str, max_len: int) -> str:
    return f"{unique_base(xr, max_len - len(suffix) - 1)}-{suffix}"


def bucket_name(xr: Composite[Any]) -> str:
    return _external_name(xr, BUCKET_KEY, _suffixed(xr, "backups", BUCKET_NAME_MAX))


def role_name(xr: Composite[Any]) -> str:
    return _external_name(xr, ROLE_KEY, _suffixed(xr, "pg-backup", IAM_NAME_MAX))


def policy_name(xr: Composite[Any]) -> str:
    return _external_name(xr, POLICY_KEY, _suffixed(xr, "pg-backup", IAM_NAME_MAX))


def host(xr: Composite[Any]) -> str:
    """The read-write service: always points at the primary, across failovers."""
    return f"{CLUSTER_NAME}-rw.{namespace(xr)}.svc.cluster.local"


# -- composition --------------------------------------------------------------------------------


def compose(xr: Composite[DatabaseParameters], out: Desired) -> None:
    target = resolve(xr, out)
    if target is None:
        publish(xr, out, None)
        return
    guards.refuse_cluster_changes(xr, target.provider_config_name)
    compose_backups(xr, out, target)
    compose_in_cluster(xr, out, target)
    publish(xr, out, target)


def compose_backups(xr: Composite[DatabaseParameters], out: Desired, target: Target) -> None:
    """The bucket the backups go to, and the role the database's pods write them with.

    The bucket and the key are orphaned: backups outlive the database, like RDS's retained
    automated backups and final snapshot (and S3 refuses to delete a bucket that holds objects).
    """
    p = xr.params
    name = bucket_name(xr)
    problem = buckets.bucket_name_problem(name)
    if problem and BUCKET_KEY not in xr.observed:
        raise ComposeError(
            "metadata.name", f"the backup bucket would be named {name!r}, which {problem}"
        )
    composes_key = p.needs_key or KEY in xr.observed
    if composes_key:
        description = f"Encrypts backups of PostgreSQL database {xr.namespace or ''}/{xr.name}"
        out.add(
            KEY,
            kms.key(xr, KEY, description.replace(" /", " "), outlives_xr=True),
            stage=BACKUPS,
        )
    out.add(
        BUCKET_KEY,
        buckets.bucket(xr, BUCKET_KEY, name, deletion_policy="Orphan"),
        stage=BACKUPS,
        # The key outlives the bucket: what it encrypts must never become unreadable.
        uses=[KEY] if composes_key else [],
        delete_in_any_order="orphaned: the backups outlive the database",
    )
    # Barman deletes what the retention policy expires; versioning keeps it recoverable for as
    # long again, then S3 removes it.
    lifecycle = buckets.Lifecycle(
        noncurrent_version_expiration_days=max(p.backup_retention_days, 1)
    )
    configuration = {
        "backup-public-access-block": buckets.public_access_block(
            xr, "backup-public-access-block", name
        ),
        "backup-ownership-controls": buckets.ownership_controls(
            xr, "backup-ownership-controls", name
        ),
        "backup-versioning": buckets.versioning(xr, "backup-versioning", name, True),
        "backup-encryption": buckets.encryption(
            xr,
            "backup-encryption",
            name,
            "aws:kms",
            kms_key_arn=p.kms_key_arn,
            composed_key=None if p.kms_key_arn else KEY,
        ),
        "backup-tls-policy": buckets.tls_policy(xr, "backup-tls-policy", name),
        "backup-lifecycle": buckets.lifecycle(xr, "backup-lifecycle", name, lifecycle),
    }
    for key, resource in configuration.items():
        needs_key = key == "backup-encryption" and p.needs_key
        out.add(
            key,
            resource,
            after=[BUCKET_KEY, KEY] if needs_key else [BUCKET_KEY],
            stage=BACKUPS,
            delete_in_any_order="configuration of the kept bucket",
        )
    compose_backup_identity(xr, out, target, name)


def backup_policy_document(xr: Composite[DatabaseParameters], bucket: str) -> str:
    """What barman-cloud needs: the bucket's objects, and the key only through S3 for it."""
    arn = f"arn:{partition(xr.params.region)}:s3:::{bucket}"
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ListBackups",
                "Effect": "Allow",
                "Action": ["s3:ListBucket", "s3:GetBucketLocation"],
                "Resource": arn,
            },
            {
                "Sid": "ReadWriteBackups",
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
                "Resource": f"{arn}/*",
            },
            {
                # Without naming the key: the bucket's default encryption picks it, and S3 may
                # use it on this role's behalf for this bucket only.
                "Sid": "EncryptBackups",
                "Effect": "Allow",
                "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
                "Resource": "*",
                "Condition": {
                    "StringEquals": {"kms:ViaService": f"s3.{xr.params.region}.amazonaws.com"},
                    "StringLike": {"kms:EncryptionContext:aws:s3:arn": [arn, f"{arn}/*"]},
                },
            },
        ],
    }
    return json.dumps(policy, sort_keys=True, separators=(",", ":"))


def compose_backup_identity(
    xr: Composite[DatabaseParameters], out: Desired, target: Target, bucket: str
) -> None:
    """An IAM role only the database's service account can assume, through EKS Pod Identity."""
    p = xr.params
    kept = kept_policy(p)
    description = f"Backups of PostgreSQL database {namespace(xr)} in {target.eks_name}"
    out.add(
        ROLE_KEY,
        xr.shape.managed(
            ROLE,
            xr.resource_name(ROLE_KEY),
            {
                # Pod Identity sessions are tagged, so the trust policy must allow sts:TagSession.
                "assumeRolePolicy": trust_policy("pods.eks.amazonaws.com", tag_session=True),
                "description": description,
                "tags": xr.tags(),
            },
            external_name=role_name(xr),
            deletion_policy=kept,
        ),
        stage=BACKUPS,
        # AWS refuses to delete a role with a policy attached; the provider retries until the
        # attachment (deleted at the same time) is gone.
        delete_in_any_order="deleted once its attachment is gone (the provider retries)",
    )
    out.add(
        POLICY_KEY,
        xr.shape.managed(
            POLICY,
            xr.resource_name(POLICY_KEY),
            {
                "policy": backup_policy_document(xr, bucket),
                "description": as_created(xr, POLICY_KEY, "description", description),
                "tags": xr.tags(),
            },
            external_name=policy_name(xr),
            deletion_policy=kept,
        ),
        stage=BACKUPS,
        delete_in_any_order="deleted once its attachment is gone (the provider retries)",
    )
    out.add(
        ATTACHMENT_KEY,
        xr.shape.managed(
            ROLE_POLICY_ATTACHMENT,
            xr.resource_name(ATTACHMENT_KEY),
            {
                "policyArnRef": xr.shape.ref(xr.resource_name(POLICY_KEY)),
                "roleRef": xr.shape.ref(xr.resource_name(ROLE_KEY)),
            },
            deletion_policy=kept,
        ),
        after=[ROLE_KEY, POLICY_KEY],
        stage=BACKUPS,
        delete_in_any_order="the association needs the role's permissions only while in use",
    )
    out.add(
        ASSOCIATION_KEY,
        xr.shape.managed(
            POD_IDENTITY_ASSOCIATION,
            xr.resource_name(ASSOCIATION_KEY),
            {
                "region": p.region,
                # Immutable: kept as created (moving to another cluster is refused before).
                "clusterName": as_created(xr, ASSOCIATION_KEY, "clusterName", target.eks_name),
                "namespace": as_created(xr, ASSOCIATION_KEY, "namespace", namespace(xr)),
                "serviceAccount": as_created(xr, ASSOCIATION_KEY, "serviceAccount", CLUSTER_NAME),
                "roleArnRef": xr.shape.ref(xr.resource_name(ROLE_KEY)),
                "tags": xr.tags(),
            },
            deletion_policy=kept,
        ),
        after=[ROLE_KEY, ATTACHMENT_KEY],
        stage=BACKUPS,
    )


def kept_policy(p: DatabaseParameters) -> DeletionPolicy | None:
    """deletionProtection keeps the database running when the XR goes: the namespace (and its
    volumes), the CNPG Cluster, and what keeps it safe and backed up — its NetworkPolicy (else
    every pod could reach it), its ScheduledBackup and PodMonitor, and its backup role with its
    Pod Identity association (else WAL archiving fails and fills the volumes)."""
    return "Orphan" if p.deletion_protection else None


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
        out.add(CLUSTER_USAGE_KEY, cluster_usage(xr, target), stage=DATABASE)


def k8s_object(
    xr: Composite[Any],
    key: str,
    manifest: dict[str, Any],
    provider_config: str,
    *,
    deletion_policy: DeletionPolicy | None = None,
    **extra_spec: Any,
) -> dict[str, Any]:
    """A provider-kubernetes Object applying `manifest` through the cluster's ProviderConfig."""
    return xr.shape.managed(
        KUBERNETES_OBJECT,
        xr.resource_name(key),
        {"manifest": manifest},
        provider_config=ProviderConfigRef(provider_config, "ProviderConfig"),
        deletion_policy=deletion_policy,
        extra_spec=extra_spec or None,
    )


def connection_secret_ref(xr: Composite[Any]) -> dict[str, str]:
    ref = {"name": xr.resource_name("postgres-connection")}
    if not xr.shape.namespaced:
        ref["namespace"] = "crossplane-system"
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


def cluster_usage(xr: Composite[DatabaseParameters], target: Target) -> dict[str, Any]:
    """The cluster cannot be deleted while the database runs in it."""
    return xr.shape.plain(
        USAGE,
        xr.resource_name(CLUSTER_USAGE_KEY),
        {
            "spec": {
                "of": {
                    "apiVersion": target.api_version,
                    "kind": "XCluster",
                    "resourceRef": {"name": target.xr_name},
                },
                "by": {
                    "apiVersion": xr.shape.api_version(KUBERNETES_OBJECT),
                    "kind": xr.shape.kind_name(KUBERNETES_OBJECT),
                    "resourceRef": {"name": xr.resource_name(POSTGRES_KEY)},
                },
                "reason": f"PostgreSQL {namespace(xr)} runs in it",
            }
        },
    )


# -- what the developer gets back ---------------------------------------------------------------


def publish(xr: Composite[DatabaseParameters], out: Desired, target: Target | None) -> None:
    p = xr.params
    observed = xr.observed.get(POSTGRES_KEY)
    # What CNPG reports (the live object provider-kubernetes observes), when it does.
    running = (
        observed.integer("status", "atProvider", "manifest", "status", "instances")
        if observed is not None
        else None
    )
    out.status(
        database={
            key: value
            for key, value in {
                "placement": "cluster",
                "endpoint": host(xr) if observed is not None else None,
                "port": PORT if observed is not None else None,
                "engine": p.engine,
                "version": p.major_version,
                "instances": instances(p) if running is None else running,
                "namespace": namespace(xr) if observed is not None else None,
            }.items()
            if value is not None
        }
    )
    details = xr.observed.get(CONNECTION_KEY)
    username = details.connection_text("username") if details is not None else None
    password = details.connection_text("password") if details is not None else None
    if observed is not None and password:
        username = username or MASTER_USERNAME
        address = host(xr)
        out.connection(
            host=address,
            port=str(PORT),
            username=username,
            password=password,
            database=p.database_name,
            uri=(
                f"postgresql://{quote(username, safe='')}:{quote(password, safe='')}"
                f"@{address}:{PORT}/{p.database_name}?sslmode=require"
            ),
        )
    if target is None:
        return  # held: the reason is already the condition
    if observed is None:
        out.condition(
            "DatabaseReady", False, "Creating", "the PostgreSQL cluster is not created yet"
        )
    elif observed.ready:
        out.condition(
            "DatabaseReady",
            True,
            "Available",
            f"postgres is accepting TLS connections at {host(xr)}:{PORT}",
        )
    else:
        out.condition("DatabaseReady", False, "Creating", observed.not_ready_reason())
