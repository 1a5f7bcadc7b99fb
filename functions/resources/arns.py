"""ARNs Paved can know before AWS answers, and what an ARN a developer gives says."""

from __future__ import annotations

from functions.kit import ComposeError
from functions.resources.regions import arn_elsewhere, partition


def bucket_arn(region: str, bucket: str) -> str:
    """An S3 bucket's ARN, which follows from its name (bucket ARNs carry no region or account)."""
    return f"arn:{partition(region)}:s3:::{bucket}"


def refuse_key_elsewhere(field: str, key_arn: str, region: str) -> None:
    """S3 and RDS only use a KMS key of their own region (and so of their own partition)."""
    problem = arn_elsewhere(key_arn, region)
    if problem is not None:
        raise ComposeError(
            field,
            f"the key {problem.removeprefix('it ')}; AWS only encrypts with a key of {region}",
        )
