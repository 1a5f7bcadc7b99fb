"""ARNs Paved can know before AWS answers, and what an ARN a developer gives says."""

from __future__ import annotations

from dataclasses import dataclass

from functions.kit import ComposeError


def partition(region: str) -> str:
    """The AWS partition of a region: aws, aws-cn or aws-us-gov."""
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


@dataclass(frozen=True)
class Arn:
    partition: str
    service: str
    region: str
    account: str
    resource: str


def parse(arn: str) -> Arn | None:
    """The parts of `arn:partition:service:region:account:resource`, or None if it is not one."""
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn":
        return None
    return Arn(*parts[1:])


def refuse_key_elsewhere(field: str, key_arn: str, region: str) -> None:
    """S3 and RDS only use a KMS key of their own region (and so of their own partition)."""
    arn = parse(key_arn)
    if arn is None:
        return  # the model's pattern refuses it
    if arn.partition != partition(region):
        raise ComposeError(
            field,
            f"the key is in partition {arn.partition}, the resources in {partition(region)} "
            f"({region}); use a key of region {region}",
        )
    if arn.region != region:
        raise ComposeError(
            field,
            f"the key is in {arn.region}, the resources in {region}; AWS only encrypts with a "
            f"key of the same region",
        )
