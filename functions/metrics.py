"""Prometheus metrics: a few counters and a histogram, in the text exposition format.

Hand-written rather than prometheus_client: three metric families don't justify a dependency in
the function's image. With `--workers N` each worker keeps its own `Metrics` and serves a JSON
snapshot on a private loopback port; the parent sums the snapshots and serves the exposition.
"""

from __future__ import annotations

import json
import threading
import urllib.request
from collections.abc import Callable, Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

# Seconds. The echo floor is ~0.3 ms on loopback; a full compose of a large blueprint a few ms.
BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)

Snapshot = dict[str, Any]


class Metrics:
    """Requests by blueprint and result severity, latency, cache hits. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests: dict[tuple[str, str], int] = {}
        self._buckets: dict[str, list[int]] = {}
        self._sums: dict[str, float] = {}
        self._cache: dict[str, int] = {"hit": 0, "miss": 0}

    def observe(self, *, blueprint: str, severity: str, seconds: float, cached: bool) -> None:
        blueprint = blueprint or "unknown"
        with self._lock:
            key = (blueprint, severity)
            self._requests[key] = self._requests.get(key, 0) + 1
            buckets = self._buckets.setdefault(blueprint, [0] * (len(BUCKETS) + 1))
            for index, bound in enumerate(BUCKETS):
                if seconds <= bound:
                    buckets[index] += 1
                    break
            else:
                buckets[-1] += 1
            self._sums[blueprint] = self._sums.get(blueprint, 0.0) + seconds
            self._cache["hit" if cached else "miss"] += 1

    def snapshot(self) -> Snapshot:
        with self._lock:
            return {
                "requests": [[b, s, n] for (b, s), n in self._requests.items()],
                "buckets": {b: list(v) for b, v in self._buckets.items()},
                "sums": dict(self._sums),
                "cache": dict(self._cache),
            }


def merge(snapshots: Iterable[Snapshot]) -> Snapshot:
    """The sum of several workers' snapshots."""
    requests: dict[tuple[str, str], int] = {}
    buckets: dict[str, list[int]] = {}
    sums: dict[str, float] = {}
    cache = {"hit": 0, "miss": 0}
    for snapshot in snapshots:
        for blueprint, severity, count in snapshot["requests"]:
            requests[(blueprint, severity)] = requests.get((blueprint, severity), 0) + count
        for blueprint, counts in snapshot["buckets"].items():
            total = buckets.setdefault(blueprint, [0] * len(counts))
            for index, count in enumerate(counts):
                total[index] += count
        for blueprint, seconds in snapshot["sums"].items():
            sums[blueprint] = sums.get(blueprint, 0.0) + seconds
        for outcome, count in snapshot["cache"].items():
            cache[outcome] = cache.get(outcome, 0) + count
    return {
        "requests": [[b, s, n] for (b, s), n in requests.items()],
        "buckets": buckets,
        "sums": sums,
        "cache": cache,
    }


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def exposition(snapshot: Snapshot) -> str:
    """The Prometheus text format (version 0.0.4) of a snapshot, in a stable order."""
    lines = [
        "# HELP paved_requests_total RunFunction requests by XR kind and worst result severity.",
        "# TYPE paved_requests_total counter",
    ]
    for blueprint, severity, count in sorted(snapshot["requests"]):
        lines.append(
            f'paved_requests_total{{blueprint="{_label(blueprint)}",severity="{severity}"}} {count}'
        )
    lines += [
        "# HELP paved_request_duration_seconds Time to answer a RunFunction request.",
        "# TYPE paved_request_duration_seconds histogram",
    ]
    for blueprint, counts in sorted(snapshot["buckets"].items()):
        label = _label(blueprint)
        cumulative = 0
        for bound, count in zip((*BUCKETS, float("inf")), counts, strict=True):
            cumulative += count
            le = "+Inf" if bound == float("inf") else repr(bound)
            labels = f'blueprint="{label}",le="{le}"'
            lines.append(f"paved_request_duration_seconds_bucket{{{labels}}} {cumulative}")
        total = snapshot["sums"].get(blueprint, 0.0)
        lines.append(f'paved_request_duration_seconds_sum{{blueprint="{label}"}} {total!r}')
        lines.append(f'paved_request_duration_seconds_count{{blueprint="{label}"}} {cumulative}')
    lines += [
        "# HELP paved_cache_requests_total Requests answered from the response cache (hit) or not.",
        "# TYPE paved_cache_requests_total counter",
    ]
    for outcome, count in sorted(snapshot["cache"].items()):
        lines.append(f'paved_cache_requests_total{{result="{outcome}"}} {count}')
    return "\n".join(lines) + "\n"


def _split(address: str) -> tuple[str, int]:
    host, _, port = address.rpartition(":")
    return (host.strip("[]") or "0.0.0.0"), int(port)


def serve_http(
    address: str, routes: dict[str, Callable[[], tuple[str, bytes]]]
) -> ThreadingHTTPServer:
    """Serve GET `routes` (path -> (content type, body)) on `address` from a daemon thread."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            route = routes.get(self.path.split("?", 1)[0])
            if route is None:
                self.send_error(404)
                return
            try:
                content_type, body = route()
            except Exception:  # a failed scrape must never reach the serving path
                self.send_error(500)
                return
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(_split(address), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="metrics", daemon=True).start()
    return server


TEXT = "text/plain; version=0.0.4; charset=utf-8"


def serve_metrics(address: str, metrics: Metrics) -> ThreadingHTTPServer:
    """`/metrics` for one process."""
    return serve_http(
        address, {"/metrics": lambda: (TEXT, exposition(metrics.snapshot()).encode())}
    )


def serve_snapshot(address: str, metrics: Metrics) -> ThreadingHTTPServer:
    """A worker's JSON snapshot, for its parent to merge."""
    return serve_http(
        address,
        {"/snapshot": lambda: ("application/json", json.dumps(metrics.snapshot()).encode())},
    )


def serve_merged(address: str, worker_addresses: Callable[[], list[str]]) -> ThreadingHTTPServer:
    """`/metrics` summed over the workers' snapshots (a worker that doesn't answer is skipped)."""

    def merged() -> tuple[str, bytes]:
        snapshots = []
        for worker in worker_addresses():
            try:
                with urllib.request.urlopen(f"http://{worker}/snapshot", timeout=2) as rsp:
                    snapshots.append(json.load(rsp))
            except OSError:
                continue
        return TEXT, exposition(merge(snapshots)).encode()

    return serve_http(address, {"/metrics": merged})
