"""Parameter models: the typed `spec.parameters` every blueprint shares, and where rules live.

One rule, two places. A rule a claim can break is written once, on the model:
- as pydantic constraints and validators, which the function runs on every compose (for XRs that
  bypass the API server: `paved render`, older XRDs), reporting every error of the XR together;
- as XRD schema (enum, pattern, min/max) and CEL `x-kubernetes-validations` generated from the
  same model, so `kubectl apply` refuses the claim before Crossplane sees it.

A field that must never change once set is one line:

    engine: Engine = Field(default="postgres", json_schema_extra=IMMUTABLE)

(the XRD gets `self == oldSelf`; the function side compares against what is observed, see
`Composite.check_identity` and the blueprints' guards). Other CEL rules:
`json_schema_extra=xrd_rules(cel("self.size() <= 40", "at most 40 CIDRs"))`.
"""

from __future__ import annotations

import difflib
import unicodedata
from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator
from pydantic.alias_generators import to_camel

from functions.resources.regions import REGION_NAMES, REGIONS

# AWS allows 50 tags per resource (S3, IAM, KMS, EC2, RDS alike). Paved adds its identifying
# tags (paved.dev/managed-by, paved.dev/composite, paved.dev/claim) and, on some resources, up to
# three of its own (a subnet's Name, kubernetes.io/cluster/<name>, kubernetes.io/role/elb).
MAX_TAGS_PER_RESOURCE = 50
PAVED_TAGS = 6
MAX_DEVELOPER_TAGS = MAX_TAGS_PER_RESOURCE - PAVED_TAGS
PAVED_TAG_PREFIX = "paved.dev/"
MAX_TAG_KEY = 128
MAX_TAG_VALUE = 256
# What every service Paved tags accepts (IAM, RDS, KMS and S3 are the strictest; EC2 allows more):
# Unicode letters, digits and spaces, and _ . : / = + - @.
TAG_PUNCTUATION = "_.:/=+-@"

DNS1123_SUBDOMAIN = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"


# -- XRD rules from the models ----------------------------------------------------------------

Rule = dict[str, str]


def cel(rule: str, message: str, *, field_path: str | None = None) -> Rule:
    """A CEL `x-kubernetes-validations` rule for the XRD, e.g. `cel("self.size() <= 40", ...)`."""
    validation = {"rule": rule, "message": message}
    if field_path:
        validation["fieldPath"] = field_path
    return validation


def immutable(what: str = "this field") -> Rule:
    """`self == oldSelf`: the API server refuses any change once the field is set."""
    return cel(
        "self == oldSelf",
        f"{what} cannot be changed once set: the resources it made would be replaced",
    )


def xrd_rules(*rules: Rule, **schema: Any) -> dict[str, Any]:
    """`json_schema_extra` for a field or model: CEL rules and extra schema keywords (e.g. enum)."""
    extra: dict[str, Any] = dict(schema)
    if rules:
        extra["x-kubernetes-validations"] = list(rules)
    return extra


IMMUTABLE = xrd_rules(immutable())


class Model(BaseModel):
    """Base for every parameter model: camelCase on the wire, unknown fields rejected."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        frozen=True,
    )


# -- the parameters every blueprint has -------------------------------------------------------


class CommonParameters(Model):
    region: str = Field(
        description="AWS region to create the resources in, e.g. eu-west-1. Cannot be changed.",
        json_schema_extra=xrd_rules(immutable("region"), enum=list(REGION_NAMES)),
    )
    provider_config_name: str = Field(
        default="default",
        min_length=1,
        max_length=253,
        pattern=DNS1123_SUBDOMAIN,
        description="Name of the AWS provider config to use. Cannot be changed.",
        json_schema_extra=xrd_rules(immutable("providerConfigName")),
    )
    provider_config_kind: Literal["ClusterProviderConfig", "ProviderConfig"] = Field(
        default="ClusterProviderConfig",
        description="Namespaced mode only: kind of the AWS provider config to use.",
        json_schema_extra=xrd_rules(immutable("providerConfigKind")),
    )
    tags: dict[str, Annotated[str, StringConstraints(max_length=MAX_TAG_VALUE)]] = Field(
        default_factory=dict,
        max_length=MAX_DEVELOPER_TAGS,
        description=(
            f"Tags added to every AWS resource, next to Paved's identifying tags (at most "
            f"{MAX_DEVELOPER_TAGS}: AWS allows {MAX_TAGS_PER_RESOURCE} and Paved uses up to "
            f"{PAVED_TAGS}). Letters, digits, spaces and _ . : / = + - @."
        ),
        json_schema_extra=xrd_rules(
            cel(
                f"self.all(k, k.size() >= 1 && k.size() <= {MAX_TAG_KEY})",
                f"tag keys must be 1 to {MAX_TAG_KEY} characters",
            ),
            cel(
                "self.all(k, !k.startsWith('aws:') && !k.startsWith('paved.dev/'))",
                "tag keys starting with aws: (AWS) or paved.dev/ (Paved) are reserved",
            ),
        ),
    )
    deletion_policy: Literal["Delete", "Orphan"] = Field(
        default="Delete",
        description=(
            "What happens to the cloud resources when this is deleted. Orphan leaves them in AWS "
            "(deletionPolicy in claim mode, managementPolicies without Delete in namespaced mode)."
        ),
    )

    @field_validator("region")
    @classmethod
    def _aws_region(cls, region: str) -> str:
        if region not in REGIONS:
            raise ValueError(
                f"{shown(region)} is not an AWS region{did_you_mean(region, REGION_NAMES)}"
            )
        return region

    @field_validator("tags", mode="before")
    @classmethod
    def _tag_count(cls, tags: Any) -> Any:
        if isinstance(tags, dict) and len(tags) > MAX_DEVELOPER_TAGS:
            raise ValueError(
                f"{len(tags)} tags, {len(tags) - MAX_DEVELOPER_TAGS} too many: AWS allows "
                f"{MAX_TAGS_PER_RESOURCE} per resource and Paved adds up to {PAVED_TAGS} of its "
                f"own, which leaves {MAX_DEVELOPER_TAGS} for yours"
            )
        return tags

    @field_validator("tags")
    @classmethod
    def _aws_tags(cls, tags: dict[str, str]) -> dict[str, str]:
        problems = []
        seen: dict[str, str] = {}
        for key, value in tags.items():
            key_shown = shown(key)
            if not 1 <= len(key) <= MAX_TAG_KEY:
                problems.append(f"tag key {key_shown} must be 1 to {MAX_TAG_KEY} characters")
            if key.lower().startswith("aws:"):
                problems.append(f"tag key {key_shown}: the aws: prefix is reserved by AWS")
            if key.lower().startswith(PAVED_TAG_PREFIX):
                problems.append(
                    f"tag key {key_shown}: the {PAVED_TAG_PREFIX} prefix is Paved's own"
                )
            if bad := _bad_tag_characters(key):
                problems.append(f"tag key {key_shown} has characters AWS refuses: {bad}")
            if bad := _bad_tag_characters(value):
                problems.append(f"the value of tag {key_shown} has characters AWS refuses: {bad}")
            folded = key.lower()
            if folded in seen:
                problems.append(
                    f"tag keys {' and '.join(sorted((shown(seen[folded]), key_shown)))} "
                    "differ only in case, "
                    "which IAM treats as the same key"
                )
            seen.setdefault(folded, key)
        if problems:
            raise ValueError("; ".join(problems))
        return tags


def _bad_tag_characters(text: str) -> str:
    bad = sorted(
        {c for c in text if not (unicodedata.category(c)[0] in "LNZ" or c in TAG_PUNCTUATION)}
    )
    return " ".join(repr(c) for c in bad[:5])


def shown(value: str, limit: int = 40) -> str:
    """A value quoted for an error message, cut short: messages never echo huge input."""
    return repr(value) if len(value) <= limit else repr(value[:limit]) + "..."


def did_you_mean(word: str, choices: Any) -> str:
    """`; did you mean eu-west-1?` for the closest choice, or nothing when none is close."""
    if len(word) > 100:
        return ""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"; did you mean {close[0]}?" if close else ""


def model_in(annotation: Any) -> type[BaseModel] | None:
    """The model a field holds: `Model`, `Model | None` or `list[Model]`; None for other types."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for argument in get_args(annotation):
        found = model_in(argument)
        if found is not None:
            return found
    return None
