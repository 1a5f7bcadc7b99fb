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

Rooms: `target` (the cluster, read from the required resource), `backups` (AWS), `kubernetes`
(in the cluster), `names` (keys and names, stable forever); here: composing and what the
developer gets back.
"""

from __future__ import annotations

from functions.kit import Composite, Desired

from .. import guards
from ..outputs import publish_connection, report_ready
from ..parameters import MASTER_USERNAME, DatabaseInfo, DatabaseParameters, DatabaseStatus
from .backups import compose_backups
from .kubernetes import compose_in_cluster, instances
from .names import CONNECTION_KEY, PORT, POSTGRES_KEY, host, namespace
from .target import Target, resolve

__all__ = ["compose"]


def compose(xr: Composite[DatabaseParameters], out: Desired) -> None:
    target = resolve(xr, out)
    if target is None:
        publish(xr, out, None)
        return
    guards.refuse_cluster_changes(xr, target.provider_config_name)
    compose_backups(xr, out, target)
    compose_in_cluster(xr, out, target)
    publish(xr, out, target)


def publish(xr: Composite[DatabaseParameters], out: Desired, target: Target | None) -> None:
    p = xr.params
    observed = xr.observed.get(POSTGRES_KEY)
    # What CNPG reports (the live object provider-kubernetes observes), when it does.
    running = (
        observed.integer("status", "atProvider", "manifest", "status", "instances")
        if observed is not None
        else None
    )
    exists = observed is not None
    out.status_model(
        DatabaseStatus(
            database=DatabaseInfo(
                placement="cluster",
                endpoint=host(xr) if exists else None,
                port=PORT if exists else None,
                engine=p.engine,
                version=p.major_version,
                instances=instances(p) if running is None else running,
                namespace=namespace(xr) if exists else None,
            )
        )
    )
    details = xr.observed.get(CONNECTION_KEY)
    username = details.connection_text("username") if details is not None else None
    password = details.connection_text("password") if details is not None else None
    if observed is not None and password:
        publish_connection(out, p, host(xr), str(PORT), username or MASTER_USERNAME, password)
    if target is None:
        return  # held: the reason is already the condition
    if observed is None:
        out.condition(
            "DatabaseReady", False, "Creating", "the PostgreSQL cluster is not created yet"
        )
    else:
        report_ready(out, p, observed, f"{host(xr)}:{PORT}")
