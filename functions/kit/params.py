"""Parameter models: the typed `spec.parameters` every blueprint shares."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator
from pydantic.alias_generators import to_camel

# AWS regions: us-east-1, eu-central-2, ap-southeast-4, us-gov-west-1, cn-north-1 ...
REGION_PATTERN = r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$"


class Model(BaseModel):
    """Base for every parameter model: camelCase on the wire, unknown fields rejected."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        frozen=True,
    )


class CommonParameters(Model):
    region: str = Field(
        pattern=REGION_PATTERN, description="AWS region to create the resources in, e.g. eu-west-1."
    )
    provider_config_name: str = Field(
        default="default",
        min_length=1,
        max_length=253,
        description="Name of the AWS provider config to use.",
    )
    provider_config_kind: Literal["ClusterProviderConfig", "ProviderConfig"] = Field(
        default="ClusterProviderConfig",
        description="Namespaced mode only: kind of the AWS provider config to use.",
    )
    tags: dict[str, Annotated[str, StringConstraints(max_length=256)]] = Field(
        default_factory=dict,
        description="Tags added to every AWS resource, next to Paved's identifying tags.",
    )
    deletion_policy: Literal["Delete", "Orphan"] = Field(
        default="Delete",
        description=(
            "What happens to the cloud resources when this is deleted. Orphan leaves them in AWS "
            "(deletionPolicy in claim mode, managementPolicies without Delete in namespaced mode)."
        ),
    )

    @field_validator("tags")
    @classmethod
    def _aws_tag_keys(cls, tags: dict[str, str]) -> dict[str, str]:
        for key in tags:
            if not 1 <= len(key) <= 128:
                raise ValueError(f"tag key {key[:40]!r} must be 1 to 128 characters")
            if key.lower().startswith("aws:"):
                raise ValueError(f"tag key {key!r}: the aws: prefix is reserved by AWS")
        return tags
