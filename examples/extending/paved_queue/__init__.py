"""XQueue: an encrypted SQS queue with a dead-letter queue, as a Paved plugin blueprint."""

from functions.kit import Blueprint

from .compose import compose
from .parameters import QueueParameters, QueueStatus

BLUEPRINT = Blueprint(
    kind="XQueue",
    claim_kind="Queue",
    description="An encrypted SQS queue with a dead-letter queue and a TLS-only queue policy.",
    parameters=QueueParameters,
    status=QueueStatus,
    compose=compose,
    connection_keys=("url", "arn", "region"),
    columns=(
        ("QUEUE", ".status.queue.name", "string"),
        ("REGION", ".spec.parameters.region", "string"),
    ),
)

__all__ = ["BLUEPRINT", "QueueParameters", "QueueStatus", "compose"]
