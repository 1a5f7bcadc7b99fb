"""What a developer asks for (spec.parameters) and what the XR reports back (status)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from functions.kit import CommonParameters, Model, immutable, xrd_rules

FOUR_DAYS = 4 * 24 * 3600
FOURTEEN_DAYS = 14 * 24 * 3600


class DeadLetter(Model):
    max_receive_count: int = Field(
        default=5,
        ge=1,
        le=1000,
        description="Receives before a message moves to the dead-letter queue.",
    )
    message_retention_seconds: int = Field(
        default=FOURTEEN_DAYS,
        ge=60,
        le=FOURTEEN_DAYS,
        description="How long the dead-letter queue keeps a message (default 14 days, the most).",
    )


class QueueParameters(CommonParameters):
    """What the Queue should be."""

    fifo: bool = Field(
        default=False,
        description="A FIFO queue (exactly-once, ordered). Cannot change once created.",
        json_schema_extra=xrd_rules(immutable("fifo")),
    )
    visibility_timeout_seconds: int = Field(
        default=30, ge=0, le=43200, description="How long a received message stays hidden."
    )
    message_retention_seconds: int = Field(
        default=FOUR_DAYS, ge=60, le=FOURTEEN_DAYS, description="How long a message is kept."
    )
    encryption: Literal["kms", "sqs"] = Field(
        default="kms",
        description="kms: a customer-managed KMS key composed for this queue; "
        "sqs: SQS-managed keys (SSE-SQS).",
    )
    dead_letter: DeadLetter = Field(
        default_factory=DeadLetter, description="The dead-letter queue for failing messages."
    )


class QueueInfo(Model):
    name: str | None = Field(default=None, description="The queue's name.")
    url: str | None = Field(default=None, description="The queue's URL, for clients.")
    arn: str | None = Field(default=None, description="The queue's ARN, for IAM policies.")
    dead_letter_arn: str | None = Field(default=None, description="The dead-letter queue's ARN.")


class QueueStatus(Model):
    queue: QueueInfo | None = None
