"""The AWS regions Paved composes into: partition and availability-zone letters, in one place.

Sources (checked 2026-11):
- regions and partitions: https://docs.aws.amazon.com/global-infrastructure/latest/regions/aws-regions.html
  and botocore's `endpoints.json` (partitions `aws`, `aws-cn`, `aws-us-gov`);
- availability zones: https://docs.aws.amazon.com/global-infrastructure/latest/regions/aws-availability-zones.html
  (AZ IDs per region) and https://docs.aws.amazon.com/global-infrastructure/latest/regions/az-ids.html.

A zone's *letter* (`eu-west-1a`) is mapped to a physical zone per account in the regions opened
before November 2012, and in a few of them a letter exists only for older accounts (us-west-1
offers two of a/b/c to each account, ap-northeast-1 has no `b` for accounts created since 2012,
ca-central-1 has a, b and d). The letters below are every letter *some* account can have, so a
zone that exists is never refused; a letter outside them is refused before AWS sees it. ISO
partitions and Local/Wavelength zones are not listed: Paved does not compose there.

This module is plain data and imports nothing of Paved, so every floor may read it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Partition = Literal["aws", "aws-cn", "aws-us-gov"]


@dataclass(frozen=True)
class Region:
    name: str  # eu-west-1
    partition: Partition
    zone_letters: str  # "abc": eu-west-1a, eu-west-1b, eu-west-1c

    @property
    def zones(self) -> tuple[str, ...]:
        return tuple(self.name + letter for letter in self.zone_letters)


def _regions(partition: Partition, table: dict[str, str]) -> dict[str, Region]:
    return {name: Region(name, partition, letters) for name, letters in table.items()}


REGIONS: dict[str, Region] = {
    **_regions(
        "aws",
        {
            "us-east-1": "abcdef",
            "us-east-2": "abc",
            "us-west-1": "abc",
            "us-west-2": "abcd",
            "af-south-1": "abc",
            "ap-east-1": "abc",
            "ap-east-2": "abc",
            "ap-south-1": "abc",
            "ap-south-2": "abc",
            "ap-southeast-1": "abc",
            "ap-southeast-2": "abc",
            "ap-southeast-3": "abc",
            "ap-southeast-4": "abc",
            "ap-southeast-5": "abc",
            "ap-southeast-6": "abc",
            "ap-southeast-7": "abc",
            "ap-northeast-1": "acd",
            "ap-northeast-2": "abcd",
            "ap-northeast-3": "abc",
            "ca-central-1": "abd",
            "ca-west-1": "abc",
            "eu-central-1": "abc",
            "eu-central-2": "abc",
            "eu-west-1": "abc",
            "eu-west-2": "abc",
            "eu-west-3": "abc",
            "eu-south-1": "abc",
            "eu-south-2": "abc",
            "eu-north-1": "abc",
            "il-central-1": "abc",
            "me-south-1": "abc",
            "me-central-1": "abc",
            "mx-central-1": "abc",
            "sa-east-1": "abc",
        },
    ),
    **_regions("aws-cn", {"cn-north-1": "abd", "cn-northwest-1": "abc"}),
    **_regions("aws-us-gov", {"us-gov-east-1": "abc", "us-gov-west-1": "abc"}),
}

REGION_NAMES: tuple[str, ...] = tuple(sorted(REGIONS))


def region(name: str) -> Region:
    """The region called `name`; KeyError for a name that is not an AWS region."""
    return REGIONS[name]


def partition(name: str) -> Partition:
    """The partition of region `name`: aws, aws-cn or aws-us-gov."""
    return REGIONS[name].partition


def zone_letters(name: str) -> str:
    """Every availability-zone letter region `name` has, e.g. "abc"."""
    return REGIONS[name].zone_letters


def arn_elsewhere(arn: str, region_name: str) -> str | None:
    """Why `arn` cannot be used by a resource in `region_name`, or None when it can.

    A KMS key (or any regional resource) must be in the same partition and region as the resource
    using it: `arn:<partition>:<service>:<region>:<account>:...`. Global ARNs (no region, e.g.
    IAM) only need the same partition.
    """
    parts = arn.split(":", 5)
    if len(parts) < 6 or parts[0] != "arn":
        return f"{arn[:80]!r} is not an ARN"
    arn_partition, arn_region = parts[1], parts[3]
    wanted = REGIONS[region_name].partition if region_name in REGIONS else None
    if wanted is not None and arn_partition != wanted:
        return f"it is in partition {arn_partition}, the resource in {wanted} ({region_name})"
    if arn_region and arn_region != region_name:
        return f"it is in region {arn_region}, the resource in {region_name}"
    return None
