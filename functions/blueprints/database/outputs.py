"""What the developer gets back: status.database, DatabaseReady, connection details."""

from __future__ import annotations

from urllib.parse import quote

from functions.kit import Composite, Desired, Observed

from .names import identifier
from .parameters import MASTER_USERNAME, DatabaseInfo, DatabaseParameters, DatabaseStatus


def publish(xr: Composite[DatabaseParameters], out: Desired) -> None:
    p = xr.params
    observed = xr.observed.get("instance")
    waiting_for_cluster = out.held is not None
    if observed is None:
        if not waiting_for_cluster:
            out.condition("DatabaseReady", False, "Creating", "the RDS instance is not created yet")
        return
    # Read through the kit's typed reads: an odd value is unknown (and a warning), never a crash.
    address = observed.text("status", "atProvider", "address")
    port = _port(observed.integer("status", "atProvider", "port")) or p.engine_spec.port
    version = observed.text("status", "atProvider", "engineVersionActual") or observed.text(
        "status", "atProvider", "engineVersion"
    )
    out.status_model(
        DatabaseStatus(
            database=DatabaseInfo(
                placement="aws",
                identifier=identifier(xr),
                endpoint=address,
                port=port,
                engine=p.engine,
                version=version,
                arn=observed.text("status", "atProvider", "arn"),
            )
        )
    )
    username = observed.connection_text("username") or MASTER_USERNAME
    password = observed.connection_text("password")
    host = observed.connection_text("address") or address
    detail_port = observed.connection_text("port") or ""
    port_text = str((_port(int(detail_port)) if detail_port.isdigit() else None) or port)
    if host and password:
        publish_connection(out, p, host, port_text, username, password)
    if waiting_for_cluster:
        return
    report_ready(out, p, observed, f"{host}:{port_text}")


def publish_connection(
    out: Desired, p: DatabaseParameters, host: str, port: str, username: str, password: str
) -> None:
    """The connection details, the same keys wherever the database runs."""
    engine = p.engine_spec
    out.connection(
        host=host,
        port=port,
        username=username,
        password=password,
        database=p.database_name,
        uri=(
            f"{engine.uri_scheme}://{quote(username, safe='')}:{quote(password, safe='')}"
            f"@{host}:{port}/{p.database_name}?{engine.uri_query}"
        ),
    )


def report_ready(out: Desired, p: DatabaseParameters, observed: Observed, endpoint: str) -> None:
    """DatabaseReady of a database that exists: what it serves at, or why it does not yet."""
    if observed.ready:
        out.condition(
            "DatabaseReady",
            True,
            "Available",
            f"{p.engine} is accepting TLS connections at {endpoint}",
        )
    else:
        out.condition("DatabaseReady", False, "Creating", observed.not_ready_reason())


def _port(value: int | None) -> int | None:
    return value if value is not None and 0 < value < 65536 else None
