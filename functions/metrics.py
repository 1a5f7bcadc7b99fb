"""Prometheus metrics for `--metrics-address`, with `prometheus_client`.

Label values are bounded: `blueprint` is a kind Paved composes or `unknown` (the runner decides),
`severity` one of normal, warning, fatal, `result` hit or miss.
"""

from __future__ import annotations

import threading
from typing import Any

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    start_http_server,
)

# Seconds. A cache hit answers in tens of microseconds; a full compose of a large blueprint in a
# few milliseconds; anything near a second is a call that waited for the compose thread.
BUCKETS = (0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)

disable_created_metrics()  # type: ignore[no-untyped-call]  # no *_created series: they double the series count and nobody reads them


class Metrics:
    """Requests by blueprint and worst result severity, latency, cache hits, calls in flight."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        self._requests = Counter(
            "paved_requests",
            "RunFunction calls by blueprint (the XR kind, or unknown) and worst result severity.",
            ["blueprint", "severity"],
            registry=self.registry,
        )
        self._duration = Histogram(
            "paved_request_duration_seconds",
            "Time to answer a RunFunction call, from accepting it to the response bytes.",
            ["blueprint"],
            buckets=BUCKETS,
            registry=self.registry,
        )
        self._cache = Counter(
            "paved_cache_requests",
            "RunFunction calls answered from the response cache (hit) or composed (miss).",
            ["result"],
            registry=self.registry,
        )
        self.in_flight = Gauge(
            "paved_calls_in_flight",
            "RunFunction calls accepted and not yet answered (composing or waiting to).",
            registry=self.registry,
        )
        self._children: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()

    def observe(self, *, blueprint: str, severity: str, seconds: float, cached: bool) -> None:
        key = (blueprint, severity)
        children = self._children.get(key)
        if children is None:
            with self._lock:
                children = self._children[key] = (
                    self._requests.labels(blueprint, severity),
                    self._duration.labels(blueprint),
                )
        requests, duration = children
        requests.inc()
        duration.observe(seconds)
        self._cache.labels("hit" if cached else "miss").inc()


def serve_metrics(address: str, metrics: Metrics) -> Any:
    """Serve `/metrics` on `address` (host:port) from a daemon thread."""
    host, _, port = address.rpartition(":")
    server, _thread = start_http_server(
        int(port), addr=host.strip("[]") or "0.0.0.0", registry=metrics.registry
    )
    return server
