"""What the developer gets back: status.database, DatabaseReady, connection details."""

from __future__ import annotations

from urllib.parse import quote

from functions.kit import Composite, Desired

from .names import identifier
from .parameters import MASTER_USERNAME, DatabaseParameters


def publish(xr: Composite[DatabaseParameters], out: Desired) -> None:
    p = xr.params
    observed = xr.observed.get("instance")
    waiting_for_cluster = out.held is not None
    if observed is None:
        if not waiting_for_cluster:
            out.condition("DatabaseReady", False, "Creating", "the RDS instance is not created yet")
        return
    address = observed.at_provider("address")
    port = observed.at_provider("port") or p.engine_spec.port
    version = observed.at_provider("engineVersionActual") or observed.at_provider("engineVersion")
    out.status(
        database={
            key: value
            for key, value in {
                "identifier": identifier(xr),
                "endpoint": address,
                "port": int(port),
                "engine": observed.at_provider("engine") or p.engine,
                "version": version,
                "arn": observed.at_provider("arn"),
            }.items()
            if value is not None
        }
    )
    details = observed.connection_details
    username = _text(details.get("username")) or MASTER_USERNAME
    password = _text(details.get("password"))
    host = _text(details.get("address")) or address
    port_text = _text(details.get("port")) or str(int(port))
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


def _text(value: bytes | None) -> str | None:
    return value.decode() if value else None
