"""What the developer gets back: status.database, DatabaseReady, connection details."""

from __future__ import annotations

from typing import Any
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
    # The provider's values are read as unknown when they are not what it should report: an odd
    # value is a warning, never a failed compose.
    odd: list[str] = []
    address = _string(observed.at_provider("address"), "status.atProvider.address", odd)
    port = _port(observed.at_provider("port"), "status.atProvider.port", odd) or p.engine_spec.port
    version = _string(
        observed.at_provider("engineVersionActual") or observed.at_provider("engineVersion"),
        "status.atProvider.engineVersion",
        odd,
    )
    out.status(
        database={
            key: value
            for key, value in {
                "identifier": identifier(xr),
                "endpoint": address,
                "port": port,
                "engine": p.engine,
                "version": version,
                "arn": _string(observed.at_provider("arn"), "status.atProvider.arn", odd),
            }.items()
            if value is not None
        }
    )
    details = observed.connection_details
    username = _text(details.get("username"), "username", odd) or MASTER_USERNAME
    password = _text(details.get("password"), "password", odd)
    host = _text(details.get("address"), "address", odd) or address
    detail_port = _port(_text(details.get("port"), "port", odd), "connection detail port", odd)
    port_text = str(detail_port or port)
    for what in odd:
        out.warning(f"the RDS instance reports an odd {what}; it is treated as unknown")
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


def _string(value: Any, what: str, odd: list[str]) -> str | None:
    if value is None or isinstance(value, str):
        return value or None
    odd.append(what)
    return None


def _port(value: Any, what: str, odd: list[str]) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        odd.append(what)
        return None
    try:
        port = int(value)
    except ValueError:
        odd.append(what)
        return None
    if not 0 < port < 65536 or port != float(value):
        odd.append(what)
        return None
    return port


def _text(value: bytes | None, key: str, odd: list[str]) -> str | None:
    if not value:
        return None
    try:
        return value.decode()
    except UnicodeDecodeError:
        odd.append(f"connection detail {key} (not UTF-8)")
        return None
