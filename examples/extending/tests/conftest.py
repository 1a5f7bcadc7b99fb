"""Teach Paved's simulator what AWS computes for SQS queues (their ARN and URL)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from functions import simulate


def fake_queue(
    resource: dict[str, Any], external_name: str
) -> tuple[dict[str, Any], dict[str, bytes]]:
    region = resource["spec"]["forProvider"]["region"]
    name = resource["spec"]["forProvider"]["name"]
    return {
        "arn": f"arn:aws:sqs:{region}:123456789012:{name}",
        "url": f"https://sqs.{region}.amazonaws.com/123456789012/{name}",
    }, {}


@pytest.fixture(autouse=True)
def sqs_fakes(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setitem(simulate.FAKES, "Queue", fake_queue)
    yield
