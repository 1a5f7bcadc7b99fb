"""What the developer gets back: status.database, DatabaseReady, connection details."""

from __future__ import annotations

from urllib.parse import quote

from functions.kit import Composite, Desired

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
        engine = p.engine_spec
        uri = (
            f"{engine.uri_scheme}://{quote(username, safe='')}:{quote(password, safe='')}"
            f"@{host}:{port_text}/{p.database_name}?{engine.uri_query}"
        )
        out.connection(
            host=host,
            port=port_text,
            username=username,
            password=password,
            database=p.database_name,
            uri=uri,
        )
    if waiting_for_cluster:
        return
    if observed.ready:
        out.condition(
            "DatabaseReady",
            True,
            "Available",
            f"{p.engine} is accepting TLS connections at {host}:{port_text}",
        )
    else:
        out.condition("DatabaseReady", False, "Creating", observed.not_ready_reason())


def _port(value: int | None) -> int | None:
    return value if value is not None and 0 < value < 65536 else None
