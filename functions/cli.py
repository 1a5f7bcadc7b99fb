"""`paved`: serve the function, render a claim, generate the package files. Thin by design."""

from __future__ import annotations

import asyncio
import logging as pylogging
import re
import ssl
import sys
from pathlib import Path
from typing import Any

import click
import structlog
from crossplane.function import cli as sdkcli
from crossplane.function import logging

from functions import metrics
from functions.blueprints import REGISTRY
from functions.kit.blueprint import DEFAULT_API, ApiGroup
from functions.package import package_group
from functions.runner import DEFAULT_CACHE_MEGABYTES, DEFAULT_TTL_SECONDS, FunctionRunner
from functions.server import DEFAULT_MAX_CONCURRENT_CALLS, GRACE_PERIOD_SECONDS, serve_async
from functions.version import version


@click.group()
@click.version_option(version(), "--version", prog_name="paved", message="%(prog)s v%(version)s")
def main() -> None:
    """Paved: Crossplane composition functions for clusters, databases and buckets."""


main.add_command(package_group)


@main.command()
@sdkcli.standard_options
@click.option(
    "--response-ttl",
    type=click.IntRange(1, 86400),
    default=DEFAULT_TTL_SECONDS,
    show_default=True,
    envvar="RESPONSE_TTL",
    help="Seconds Crossplane may cache a response (a Composition's input can override it).",
)
@click.option(
    "--metrics-address",
    envvar="METRICS_ADDRESS",
    help="Serve Prometheus metrics at http://ADDRESS/metrics, e.g. 0.0.0.0:8080.",
)
@click.option(
    "--health-address",
    envvar="HEALTH_ADDRESS",
    help="Also serve the gRPC health service without TLS here, for probes, e.g. 0.0.0.0:8081.",
)
@click.option(
    "--cache-size-mb",
    type=click.IntRange(0, 65536),
    default=DEFAULT_CACHE_MEGABYTES,
    show_default=True,
    envvar="CACHE_SIZE_MB",
    help="Memory for memoised responses (0 disables the cache).",
)
@click.option(
    "--max-concurrent-calls",
    type=click.IntRange(1, 10000),
    default=DEFAULT_MAX_CONCURRENT_CALLS,
    show_default=True,
    envvar="MAX_CONCURRENT_CALLS",
    help="Calls accepted at once; more get RESOURCE_EXHAUSTED at once (bounds memory).",
)
@click.option(
    "--max-connection-age",
    type=click.IntRange(0, 86400),
    default=300,
    show_default=True,
    envvar="MAX_CONNECTION_AGE",
    help="Seconds before a connection is asked to reconnect, so Crossplane's channel finds new "
    "replicas (0: never).",
)
@click.option(
    "--grace-period",
    type=click.FloatRange(0, 3600),
    default=GRACE_PERIOD_SECONDS,
    show_default=True,
    envvar="GRACE_PERIOD",
    help="Seconds accepted calls may take to finish after SIGTERM.",
)
def serve(
    *,
    debug: bool,
    address: str,
    tls_certs_dir: str | None,
    insecure: bool,
    max_recv_message_size: int,
    max_send_message_size: int | None,
    response_ttl: int,
    metrics_address: str | None,
    health_address: str | None,
    cache_size_mb: int,
    max_concurrent_calls: int,
    max_connection_age: int,
    grace_period: float,
) -> None:
    """Serve the composition function over gRPC (what Crossplane calls)."""
    logging.configure(level=logging.Level.DEBUG if debug else logging.Level.INFO)
    send = max_send_message_size or max_recv_message_size
    problem = serve_settings_problem(
        tls_certs_dir=tls_certs_dir,
        insecure=insecure,
        max_recv_message_size=max_recv_message_size,
        max_send_message_size=max_send_message_size,
        metrics_address=metrics_address,
        health_address=health_address,
    )
    if problem:
        raise click.ClickException(problem)
    options = [
        ("grpc.max_receive_message_length", max_recv_message_size * 1024 * 1024),
        ("grpc.max_send_message_length", send * 1024 * 1024),
        # A second server on the same port must fail, not share it.
        ("grpc.so_reuseport", 0),
        # No flow-control windows grown past the default: a call refused at the admission limit
        # must not have pushed megabytes of request into the process first.
        ("grpc.http2.bdp_probe", 0),
    ]
    if max_connection_age:
        # Crossplane's channel resolves the function's pods only when a connection ends
        # (crossplane/crossplane#7585): ending each one after a while lets new replicas get calls.
        # Calls under way get the grace period to finish.
        options += [
            ("grpc.max_connection_age_ms", max_connection_age * 1000),
            ("grpc.max_connection_age_grace_ms", int(max(grace_period, 1) * 1000)),
        ]
    observer = None
    if metrics_address:
        observer = metrics.Metrics()
        metrics.serve_metrics(metrics_address, observer)
    runner = FunctionRunner(
        ttl_seconds=response_ttl,
        cache_bytes=cache_size_mb * 1024 * 1024,
        observer=observer,
        # Headroom for gRPC's own framing, so the FATAL answer comes before gRPC's refusal.
        max_response_bytes=send * 1024 * 1024 - 1024,
        refusals_at_warning=True,
    )
    asyncio.run(
        serve_async(
            runner,
            address,
            tls_certs_dir=tls_certs_dir,
            insecure=insecure,
            options=options,
            grace_seconds=grace_period,
            max_concurrent_calls=max_concurrent_calls,
            in_flight=observer.in_flight if observer else None,
            health_address=health_address,
        )
    )


def serve_settings_problem(
    *,
    tls_certs_dir: str | None,
    insecure: bool,
    max_recv_message_size: int,
    max_send_message_size: int | None,
    metrics_address: str | None,
    health_address: str | None = None,
) -> str | None:
    """What is wrong with `paved serve`'s settings, in one line, or None."""
    if insecure and tls_certs_dir:
        return (
            "--insecure (INSECURE) and --tls-certs-dir (TLS_SERVER_CERTS_DIR) are both set: "
            "choose one (Crossplane sets TLS_SERVER_CERTS_DIR; unset INSECURE)"
        )
    if not insecure and not tls_certs_dir:
        return (
            "no TLS certificates: pass --tls-certs-dir (or TLS_SERVER_CERTS_DIR), or --insecure "
            "to serve without TLS"
        )
    for flag, size in (
        ("--max-recv-message-size", max_recv_message_size),
        ("--max-send-message-size", max_send_message_size),
    ):
        if size is not None and not 0 < size <= 2047:
            return f"{flag} must be between 1 and 2047 (MB), not {size}"
    for flag, value in (
        ("--metrics-address", metrics_address),
        ("--health-address", health_address),
    ):
        if value is not None:
            host, _, port = value.rpartition(":")
            if not host or not port.isdigit() or not 0 < int(port) < 65536:
                return f"{flag} must be HOST:PORT, e.g. 0.0.0.0:8080, not {value!r}"
    return tls_problem(tls_certs_dir) if tls_certs_dir else None


def tls_problem(certs_dir: str) -> str | None:
    """Whether `certs_dir` holds a usable tls.crt, tls.key (its key) and ca.crt, in one line."""
    directory = Path(certs_dir)
    if not directory.is_dir():
        return f"--tls-certs-dir {certs_dir}: no such directory"
    missing = [
        name for name in ("tls.crt", "tls.key", "ca.crt") if not (directory / name).is_file()
    ]
    if missing:
        return f"--tls-certs-dir {certs_dir}: missing {', '.join(missing)}"
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    try:
        context.load_cert_chain(directory / "tls.crt", directory / "tls.key")
    except (ssl.SSLError, OSError) as error:
        return (
            f"--tls-certs-dir {certs_dir}: tls.crt and tls.key are not a certificate and its "
            f"private key ({error.__class__.__name__}: {error})"
        )
    try:
        context.load_verify_locations(directory / "ca.crt")
    except (ssl.SSLError, OSError) as error:
        return f"--tls-certs-dir {certs_dir}: ca.crt is not a PEM CA certificate ({error})"
    return None


@main.command()
@click.option(
    "--requests",
    type=click.IntRange(50),
    default=400,
    show_default=True,
    help="Requests per latency scenario.",
)
@click.option(
    "--scaling-seconds",
    type=click.FloatRange(0.5),
    default=4.0,
    show_default=True,
    help="Seconds of load per point of the replicas table.",
)
@click.option("--no-scaling", is_flag=True, help="Skip the replicas table.")
@click.option(
    "--only",
    "kinds",
    multiple=True,
    metavar="KIND",
    help="Only the latency scenarios of this XR kind (repeatable), e.g. XCluster; default: "
    "XBucket and the largest blueprint.",
)
@click.option(
    "--profile",
    is_flag=True,
    help="Only profile churned full composes of the largest blueprint in process (cProfile).",
)
def bench(
    requests: int, scaling_seconds: float, no_scaling: bool, kinds: tuple[str, ...], profile: bool
) -> None:
    """Measure the server over gRPC on loopback against an empty function (the floor)."""
    from functions import bench as benchmark

    if profile:
        logging.configure(logging.Level.DISABLED)
        click.echo(benchmark.profile(requests))
        return
    report = benchmark.run(requests, scaling_seconds, scaling=not no_scaling, kinds=kinds)
    click.echo(report.table())


@main.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("composite", metavar="XR")
@click.argument("composition", required=False)
@click.argument("functions_file", metavar="[FUNCTIONS]", required=False)
@click.option(
    "-o",
    "--observed-resources",
    metavar="PATH",
    help="A YAML/JSON file or folder of observed composed resources (each annotated with "
    "crossplane.io/composition-resource-name).",
)
@click.option("--observed", "observed_alias", metavar="PATH", hidden=True)
@click.option(
    "-e",
    "--required-resources",
    multiple=True,
    metavar="PATH",
    help="A YAML/JSON file or folder of resources the function may require (repeatable).",
)
@click.option(
    "--extra-resources",
    multiple=True,
    metavar="PATH",
    help="Deprecated name of --required-resources.",
)
@click.option(
    "-r",
    "--include-function-results",
    is_flag=True,
    help="Print the function's results as objects of kind Result.",
)
@click.option("-c", "--include-context", is_flag=True, help="Print the context as kind Context.")
@click.option("-x", "--include-full-xr", is_flag=True, help="Print the XR's spec and metadata too.")
@click.option("--xrd", metavar="PATH", help="The XRD defining the XR (decides its scope).")
@click.option("--context-files", multiple=True, metavar="KEY=PATH", help="Context from files.")
@click.option("--context-values", multiple=True, metavar="KEY=VALUE", help="Context values.")
@click.option("--function-credentials", metavar="PATH", help="Accepted; Paved needs none.")
@click.option("-s", "--required-schemas", metavar="DIR", hidden=True)
@click.option("-a", "--function-annotations", multiple=True, metavar="KEY=VALUE", hidden=True)
@click.option("--timeout", metavar="DURATION", hidden=True)
# crossplane render's engine and packaging flags: accepted, meaningless when Paved runs in-process.
@click.option("--crossplane-version", hidden=True)
@click.option("--crossplane-image", hidden=True)
@click.option("--crossplane-binary", hidden=True)
@click.option("--crossplane-docker-network", hidden=True)
@click.option("--cache-dir", hidden=True)
@click.option("--max-concurrency", hidden=True)
@click.option(
    "--until-ready",
    is_flag=True,
    help="Replay reconciles with every composed resource becoming Ready, and show the final state.",
)
@click.option("--no-xr", is_flag=True, help="Print only the composed resources.")
def render(
    composite: str,
    composition: str | None,
    functions_file: str | None,
    observed_resources: str | None,
    observed_alias: str | None,
    required_resources: tuple[str, ...],
    extra_resources: tuple[str, ...],
    include_function_results: bool,
    include_context: bool,
    include_full_xr: bool,
    xrd: str | None,
    context_files: tuple[str, ...],
    context_values: tuple[str, ...],
    function_credentials: str | None,
    until_ready: bool,
    no_xr: bool,
    **_ignored: Any,
) -> None:
    """Show what a claim or XR composes, like `crossplane render XR COMPOSITION FUNCTIONS`.

    XR, COMPOSITION and FUNCTIONS are YAML or JSON files (`-` reads the XR from stdin);
    COMPOSITION and FUNCTIONS are optional and checked when given.
    """
    from functions import render as rendering

    _log_warnings_to_stderr()
    try:
        options = rendering.Options(
            observed_resources=observed_resources or observed_alias,
            required_resources=[*required_resources, *extra_resources],
            include_function_results=include_function_results,
            include_context=include_context,
            include_full_xr=include_full_xr,
            until_ready=until_ready,
            no_xr=no_xr,
            xrd=xrd,
            context=rendering.parse_context(
                _pairs("--context-files", context_files),
                _pairs("--context-values", context_values),
            ),
        )
        if function_credentials:
            rendering.load_objects(function_credentials)
        rendered = rendering.render(composite, composition, functions_file, options)
    except rendering.RenderError as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(1)
    for note in rendered.notes:
        click.echo(f"# {note}", err=True)
    for warning in rendered.warnings:
        click.echo(f"warning: {warning}", err=True)
    if rendered.fatal:
        click.echo(f"error: {rendered.fatal}", err=True)
        sys.exit(1)
    click.echo(rendering.to_yaml(rendered.documents), nl=False)


def _pairs(flag: str, values: tuple[str, ...]) -> list[tuple[str, str]]:
    pairs = []
    for value in values:
        key, sep, rest = value.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"{value!r} is not KEY=VALUE", param_hint=flag)
        pairs.append((key, rest))
    return pairs


def _log_warnings_to_stderr() -> None:
    # stdout is the YAML a user pipes on; the runner's logs must not land in it.
    structlog.configure(
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
        wrapper_class=structlog.make_filtering_bound_logger(pylogging.WARNING),
    )


def _dns_subdomain(_ctx: click.Context, param: click.Parameter, value: str) -> str:
    if not _DNS_SUBDOMAIN.match(value) or len(value) > 253 or "." not in value:
        raise click.BadParameter(f"{value!r} is not an API group such as platform.acme.io")
    return value


def _kubernetes_version(_ctx: click.Context, param: click.Parameter, value: str) -> str:
    if not _KUBERNETES_VERSION.match(value):
        raise click.BadParameter(f"{value!r} is not a Kubernetes API version such as v1alpha1")
    return value


_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_KUBERNETES_VERSION = re.compile(r"^v[1-9][0-9]*((alpha|beta)[1-9][0-9]*)?$")


@main.command()
@click.option(
    "--check", is_flag=True, help="Fail if the committed files differ from what would be generated."
)
@click.option(
    "--root",
    "--output",
    "root",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path(),
    show_default=True,
    help="Where to write: the repository root, or any folder.",
)
@click.option(
    "--group",
    default=DEFAULT_API.group,
    show_default=True,
    callback=_dns_subdomain,
    help="The API group of the generated XRDs, e.g. platform.acme.io.",
)
@click.option(
    "--api-version",
    default=DEFAULT_API.version,
    show_default=True,
    callback=_kubernetes_version,
    help="The API version of the generated XRDs.",
)
def generate(check: bool, root: Path, group: str, api_version: str) -> None:
    """Write xrds/, compositions/ and package/ (metadata, input CRD, Configurations)."""
    from functions.generate import generated_files

    stale = []
    for relative, content in generated_files(ApiGroup(group, api_version)).items():
        path = root / relative
        current = path.read_text() if path.exists() else None
        if current == content:
            continue
        stale.append(relative)
        if not check:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content)
    for relative in stale:
        click.echo(f"{'stale' if check else 'wrote'}: {relative}")
    if check and stale:
        sys.exit(1)


@main.command("blueprints")
def list_blueprints() -> None:
    """List the blueprints this installation serves: built-in and plugins."""
    rows = [("KIND", "CLAIM", "SOURCE")]
    rows += [(kind, r.blueprint.claim_kind, r.source) for kind, r in sorted(REGISTRY.items())]
    widths = [max(len(row[i]) for row in rows) for i in range(2)]
    for kind, claim, source in rows:
        click.echo(f"{kind:<{widths[0]}}  {claim:<{widths[1]}}  {source}")


if __name__ == "__main__":
    main()
