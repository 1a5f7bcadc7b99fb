"""Data in, resources out, in stage order: key -> dead-letter queue -> queue -> policies.

Each resource declares its stage (an `<Stage>Ready` condition each) and what must outlive it
(`uses=`: the kit composes a Usage, so deletion runs the other way round); builders are lambdas,
run only when their resource is emitted.
"""

from __future__ import annotations

import json
from typing import Any

from functions.kit import ComposeError, Composite, Desired, Observed, aws
from functions.resources import kms

from .parameters import QueueParameters

QUEUE = aws("sqs", "Queue", "v1beta1")
QUEUE_POLICY = aws("sqs", "QueuePolicy", "v1beta1")
REDRIVE_ALLOW_POLICY = aws("sqs", "QueueRedriveAllowPolicy", "v1beta1")

MAX_NAME = 80  # SQS queue names: 1-80 characters, ".fifo" included


def queue_name(xr: Composite[QueueParameters], suffix: str = "") -> str:
    """Unique per account and region: derived from the XR's namespace and name, never changes."""
    fifo = ".fifo" if xr.params.fifo else ""
    base = xr.aws_name(max_len=MAX_NAME - len(suffix) - len(fifo))
    return f"{base}{suffix}{fifo}"


def compose(xr: Composite[QueueParameters], out: Desired) -> None:
    p = xr.params
    refuse_fifo_change(xr)
    observed_queue = xr.observed.get("queue")
    observed_dlq = xr.observed.get("dead-letter-queue")

    # A composed key stays once it exists: messages still in flight are encrypted with it, so the
    # queues that use it are deleted first (uses=).
    uses_key = p.encryption == "kms" or "kms-key" in xr.observed
    if uses_key:
        out.add(
            "kms-key",
            lambda: kms.key(xr, "kms-key", f"Encrypts SQS queue {queue_name(xr)}"),
            stage="Encryption",
        )
    key_arn = _arn(xr.observed.get("kms-key")) or _spec(observed_queue, "kmsMasterKeyId")
    after_key = ["kms-key"] if uses_key else []

    out.add(
        "dead-letter-queue",
        lambda: queue(xr, "dead-letter-queue", p.dead_letter.message_retention_seconds, key_arn),
        stage="Queues",
        after=after_key,
        uses=after_key,
    )
    dlq_arn = _arn(observed_dlq) or _dead_letter_target(observed_queue)
    out.add(
        "queue",
        lambda: main_queue(xr, key_arn, dlq_arn),
        stage="Queues",
        after=[*after_key, "dead-letter-queue"],
        uses=[*after_key, "dead-letter-queue"],
    )

    queue_arn = _arn(observed_queue)
    out.add(
        "tls-policy",
        lambda: tls_policy(xr, queue_arn),
        stage="Policies",
        after=["queue"],
        uses=["queue"],
    )
    out.add(
        "redrive-allow-policy",
        lambda: redrive_allow_policy(xr, queue_arn),
        stage="Policies",
        after=["queue"],
        uses=["dead-letter-queue"],
    )

    url = observed_queue.at_provider("url") if observed_queue else None
    url = url if isinstance(url, str) else None
    if queue_arn:
        out.status(
            queue={
                "name": queue_name(xr),
                "url": url,
                "arn": queue_arn,
                "deadLetterArn": dlq_arn,
            }
        )
        out.connection(url=url, arn=queue_arn, region=p.region)


def refuse_fifo_change(xr: Composite[QueueParameters]) -> None:
    """SQS cannot turn a queue into a FIFO queue or back: upjet would refuse the update forever."""
    for key in ("queue", "dead-letter-queue"):
        fifo = _spec(xr.observed.get(key), "fifoQueue")
        if isinstance(fifo, bool) and fifo != xr.params.fifo:
            raise ComposeError(
                "spec.parameters.fifo",
                f"cannot change from {str(fifo).lower()} once the queue exists; "
                "create a new Queue and move the consumers",
            )


def queue(
    xr: Composite[QueueParameters], key: str, retention: int, key_arn: str | None
) -> dict[str, Any]:
    p = xr.params
    for_provider: dict[str, Any] = {
        "region": p.region,
        "name": queue_name(xr, "-dlq" if key == "dead-letter-queue" else ""),
        "fifoQueue": p.fifo,
        "messageRetentionSeconds": retention,
        "visibilityTimeoutSeconds": p.visibility_timeout_seconds,
        "tags": xr.tags(),
    }
    if key_arn:
        for_provider["kmsMasterKeyId"] = key_arn
    else:
        for_provider["sqsManagedSseEnabled"] = True
    return xr.shape.managed(QUEUE, xr.resource_name(key), for_provider)


def main_queue(
    xr: Composite[QueueParameters], key_arn: str | None, dlq_arn: str | None
) -> dict[str, Any]:
    resource = queue(xr, "queue", xr.params.message_retention_seconds, key_arn)
    if dlq_arn:
        resource["spec"]["forProvider"]["redrivePolicy"] = json.dumps(
            {
                "deadLetterTargetArn": dlq_arn,
                "maxReceiveCount": xr.params.dead_letter.max_receive_count,
            },
            sort_keys=True,
        )
    return resource


def tls_policy(xr: Composite[QueueParameters], queue_arn: str | None) -> dict[str, Any]:
    statement = {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "sqs:*",
        "Resource": queue_arn or "",
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
    return xr.shape.managed(
        QUEUE_POLICY,
        xr.resource_name("tls-policy"),
        {
            "region": xr.params.region,
            "queueUrlRef": xr.shape.ref(xr.resource_name("queue")),
            "policy": json.dumps(
                {"Version": "2012-10-17", "Statement": [statement]}, sort_keys=True
            ),
        },
    )


def redrive_allow_policy(xr: Composite[QueueParameters], queue_arn: str | None) -> dict[str, Any]:
    """Only this XR's queue may send to its dead-letter queue."""
    return xr.shape.managed(
        REDRIVE_ALLOW_POLICY,
        xr.resource_name("redrive-allow-policy"),
        {
            "region": xr.params.region,
            "queueUrlRef": xr.shape.ref(xr.resource_name("dead-letter-queue")),
            "redriveAllowPolicy": json.dumps(
                {"redrivePermission": "byQueue", "sourceQueueArns": [queue_arn or ""]},
                sort_keys=True,
            ),
        },
    )


def _arn(observed: Observed | None) -> str | None:
    arn = observed.at_provider("arn") if observed is not None else None
    return arn if isinstance(arn, str) and arn else None


def _spec(observed: Observed | None, field: str) -> Any:
    """What was last asked of a resource: the fallback when its status is missing."""
    return observed.get("spec", "forProvider", field) if observed is not None else None


def _dead_letter_target(observed_queue: Observed | None) -> str | None:
    policy = _spec(observed_queue, "redrivePolicy")
    try:
        target = json.loads(policy).get("deadLetterTargetArn") if isinstance(policy, str) else None
    except (ValueError, AttributeError):
        return None
    return target if isinstance(target, str) else None
