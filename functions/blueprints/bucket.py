"""XBucket: a private, encrypted, versioned S3 bucket.

Its composed KMS key lives as long as anything encrypted with it: a Usage holds the key back while
the bucket exists, and AWS refuses to delete a bucket that still holds objects (Paved never sets
forceDestroy), so the key goes only once no object encrypted with it is left.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import Field, model_validator

from functions.kit import (
    Blueprint,
    CommonParameters,
    ComposeError,
    Composite,
    DeletionPolicy,
    Desired,
    Model,
)
from functions.resources import kms
from functions.resources.arns import bucket_arn, refuse_key_elsewhere
from functions.resources.kinds import (
    BUCKET,
    BUCKET_ENCRYPTION,
    BUCKET_LIFECYCLE,
    BUCKET_OWNERSHIP_CONTROLS,
    BUCKET_POLICY,
    BUCKET_PUBLIC_ACCESS_BLOCK,
    BUCKET_VERSIONING,
)
from functions.resources.names import kept_external_name, unique_base


class Encryption(Model):
    type: Literal["aws:kms", "AES256"] = Field(
        default="aws:kms",
        description="aws:kms (a customer-managed KMS key) or AES256 (S3-managed keys).",
    )
    kms_key_arn: str | None = Field(
        default=None,
        pattern=r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key|alias)/.+$",
        description="Use this KMS key instead of composing one. Only with type aws:kms.",
    )

    @model_validator(mode="after")
    def _key_only_with_kms(self) -> Encryption:
        if self.kms_key_arn and self.type != "aws:kms":
            raise ValueError("kmsKeyArn can only be set with type aws:kms")
        return self

    @property
    def needs_key(self) -> bool:
        return self.type == "aws:kms" and not self.kms_key_arn


# Stages: each gets a `<Stage>Ready` condition and shows in status.progress.
ENCRYPTION, BUCKET_STAGE = "Encryption", "Bucket"


class Lifecycle(Model):
    expiration_days: int | None = Field(
        default=None, ge=1, description="Delete objects this many days after creation."
    )
    noncurrent_version_expiration_days: int | None = Field(
        default=None,
        ge=1,
        description="Delete object versions this many days after they become non-current.",
    )
    transition_to_infrequent_access_days: int | None = Field(
        default=None,
        ge=30,
        description="Move objects to STANDARD_IA this many days after creation (at least 30).",
    )

    @property
    def is_set(self) -> bool:
        return any(value is not None for value in self.model_dump().values())


class BucketParameters(CommonParameters):
    versioning: bool = Field(default=True, description="Keep every version of every object.")
    encryption: Encryption = Field(
        default_factory=Encryption, description="Server-side encryption."
    )
    block_public_access: bool = Field(
        default=True, description="Block all public ACLs and policies."
    )
    lifecycle: Lifecycle = Field(
        default_factory=Lifecycle, description="Object expiry and tiering."
    )
    enforce_tls: bool = Field(default=True, description="Deny every request that does not use TLS.")


class BucketInfo(Model):
    name: str | None = Field(default=None, description="The S3 bucket name.")
    arn: str | None = Field(default=None, description="The bucket's ARN.")
    region: str | None = Field(default=None, description="The bucket's region.")


class BucketStatus(Model):
    bucket: BucketInfo | None = None


BUCKET_NAME_MIN, BUCKET_NAME_MAX = 3, 63
RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3")


def bucket_name(xr: Composite[Any]) -> str:
    """The S3 bucket's name: world-visible, unique per XR, and the one it was created with once it
    exists (a bucket cannot be renamed)."""
    return kept_external_name(xr, "bucket", unique_base(xr, BUCKET_NAME_MAX))


def bucket_name_problem(name: str) -> str | None:
    """Why S3 would refuse `name` as a bucket name (the rules a derived name can break)."""
    if not BUCKET_NAME_MIN <= len(name) <= BUCKET_NAME_MAX:
        return f"is {len(name)} characters long; S3 needs {BUCKET_NAME_MIN} to {BUCKET_NAME_MAX}"
    for prefix in RESERVED_PREFIXES:
        if name.startswith(prefix):
            return f"starts with {prefix}, which S3 reserves"
    for suffix in RESERVED_SUFFIXES:
        if name.endswith(suffix):
            return f"ends with {suffix}, which S3 reserves"
    return None


# -- guards: checks across fields and against what exists ----------------------------------------


def validate(xr: Composite[BucketParameters]) -> None:
    p = xr.params
    if "bucket" not in xr.observed:
        problem = bucket_name_problem(bucket_name(xr))
        if problem:
            raise ComposeError(
                "metadata.name",
                f"the bucket would be named {bucket_name(xr)!r}, which {problem}; "
                "rename the " + ("XR" if xr.namespace else "claim"),
            )
    if p.encryption.kms_key_arn:
        refuse_key_elsewhere(
            "spec.parameters.encryption.kmsKeyArn", p.encryption.kms_key_arn, p.region
        )
    rules = p.lifecycle
    if (
        rules.transition_to_infrequent_access_days is not None
        and rules.expiration_days is not None
        and rules.transition_to_infrequent_access_days >= rules.expiration_days
    ):
        raise ComposeError(
            "spec.parameters.lifecycle.transitionToInfrequentAccessDays",
            f"{rules.transition_to_infrequent_access_days} days is not before "
            f"spec.parameters.lifecycle.expirationDays ({rules.expiration_days}); objects must "
            "move to STANDARD_IA before they expire",
        )
    if rules.noncurrent_version_expiration_days is not None and not p.versioning:
        raise ComposeError(
            "spec.parameters.lifecycle.noncurrentVersionExpirationDays",
            "there are no noncurrent versions to expire while spec.parameters.versioning is "
            "false; turn versioning on or drop this rule",
        )


def compose(xr: Composite[BucketParameters], out: Desired) -> None:
    validate(xr)
    p = xr.params
    name = bucket_name(xr)
    region = p.region

    # A composed key is kept even if encryption changes later: deleting it would make every
    # object encrypted with it unreadable. The bucket uses it (a Usage): AWS refuses to delete a
    # bucket that holds objects, so the key goes only once nothing encrypted with it is left.
    composes_key = p.encryption.needs_key or "kms-key" in xr.observed
    if composes_key:
        out.add(
            "kms-key",
            lambda: kms.key(xr, "kms-key", f"Encrypts S3 bucket {name}"),
            stage=ENCRYPTION,
        )

    out.add(
        "bucket",
        lambda: bucket(xr, "bucket", name),
        stage=BUCKET_STAGE,
        uses=["kms-key"] if composes_key else [],
        delete_in_any_order="its settings go with it, and S3 refuses to delete it while it holds "
        "objects",
    )
    after_bucket = ["bucket"]
    if p.block_public_access:
        out.add(
            "public-access-block",
            lambda: public_access_block(xr, "public-access-block", name),
            after=after_bucket,
            stage=BUCKET_STAGE,
        )
    out.add(
        "ownership-controls",
        lambda: ownership_controls(xr, "ownership-controls", name),
        after=after_bucket,
        stage=BUCKET_STAGE,
    )
    out.add(
        "versioning",
        lambda: versioning(xr, "versioning", name, p.versioning),
        after=after_bucket,
        stage=BUCKET_STAGE,
    )
    out.add(
        "encryption",
        lambda: encryption(
            xr,
            "encryption",
            name,
            p.encryption.type,
            kms_key_arn=p.encryption.kms_key_arn,
            composed_key="kms-key" if p.encryption.needs_key else None,
        ),
        after=[*after_bucket, "kms-key"] if p.encryption.needs_key else after_bucket,
        stage=BUCKET_STAGE,
    )
    if p.lifecycle.is_set:
        out.add(
            "lifecycle",
            lambda: lifecycle(xr, "lifecycle", name, p.lifecycle),
            after=after_bucket,
            stage=BUCKET_STAGE,
        )
    if p.enforce_tls:
        out.add(
            "tls-policy",
            lambda: tls_policy(xr, "tls-policy", name),
            after=after_bucket,
            stage=BUCKET_STAGE,
        )
    # The kit keeps whatever is observed but no longer planned; an option turned off goes.
    out.remove_unplanned(
        lambda key: key in ("public-access-block", "lifecycle", "tls-policy"),
        "turned off in spec.parameters",
    )

    observed_bucket = xr.observed.get("bucket")
    # A bucket's ARN follows from its name: known even when the observed status is missing.
    arn = (
        observed_bucket.text("status", "atProvider", "arn") or bucket_arn(region, name)
        if observed_bucket
        else None
    )
    if arn:
        out.status_model(BucketStatus(bucket=BucketInfo(name=name, arn=arn, region=region)))
        out.connection(bucket=name, region=region, arn=arn)


# The builders take what they build from explicitly, so other blueprints compose buckets with
# them too (XDatabase's backup bucket): `key` is the composition resource name.


def bucket(
    xr: Composite[Any], key: str, name: str, *, deletion_policy: DeletionPolicy | None = None
) -> dict[str, Any]:
    return xr.shape.managed(
        BUCKET,
        xr.resource_name(key),
        # Never forceDestroy: AWS refuses to delete a bucket that still holds data.
        {"region": xr.params.region, "forceDestroy": False, "tags": xr.tags()},
        external_name=name,
        deletion_policy=deletion_policy,
    )


def public_access_block(xr: Composite[Any], key: str, bucket: str) -> dict[str, Any]:
    return xr.shape.managed(
        BUCKET_PUBLIC_ACCESS_BLOCK,
        xr.resource_name(key),
        {
            "region": xr.params.region,
            "bucket": bucket,
            "blockPublicAcls": True,
            "blockPublicPolicy": True,
            "ignorePublicAcls": True,
            "restrictPublicBuckets": True,
        },
    )


def ownership_controls(xr: Composite[Any], key: str, bucket: str) -> dict[str, Any]:
    return xr.shape.managed(
        BUCKET_OWNERSHIP_CONTROLS,
        xr.resource_name(key),
        {
            "region": xr.params.region,
            "bucket": bucket,
            "rule": {"objectOwnership": "BucketOwnerEnforced"},
        },
    )


def versioning(xr: Composite[Any], key: str, bucket: str, enabled: bool) -> dict[str, Any]:
    status = "Enabled" if enabled else "Suspended"
    return xr.shape.managed(
        BUCKET_VERSIONING,
        xr.resource_name(key),
        {
            "region": xr.params.region,
            "bucket": bucket,
            "versioningConfiguration": {"status": status},
        },
    )


def encryption(
    xr: Composite[Any],
    key: str,
    bucket: str,
    sse_type: str,
    *,
    kms_key_arn: str | None = None,
    composed_key: str | None = None,
) -> dict[str, Any]:
    """Default encryption with `kms_key_arn`, else the composed key `composed_key` (a composition
    resource name), else S3's default key for `sse_type`."""
    default: dict[str, Any] = {"sseAlgorithm": sse_type}
    if kms_key_arn:
        default["kmsMasterKeyId"] = kms_key_arn
    elif composed_key:
        default["kmsMasterKeyIdRef"] = xr.ref(composed_key)
    return xr.shape.managed(
        BUCKET_ENCRYPTION,
        xr.resource_name(key),
        {
            "region": xr.params.region,
            "bucket": bucket,
            "rule": [
                {
                    "applyServerSideEncryptionByDefault": default,
                    # S3 Bucket Keys cut KMS requests (and cost) by orders of magnitude.
                    "bucketKeyEnabled": sse_type == "aws:kms",
                }
            ],
        },
    )


def lifecycle(xr: Composite[Any], key: str, bucket: str, settings: Lifecycle) -> dict[str, Any]:
    rule: dict[str, Any] = {
        "id": "paved",
        "status": "Enabled",
        "filter": [{"prefix": ""}],
        "abortIncompleteMultipartUpload": [{"daysAfterInitiation": 7}],
    }
    if settings.expiration_days is not None:
        rule["expiration"] = [{"days": settings.expiration_days}]
    if settings.noncurrent_version_expiration_days is not None:
        rule["noncurrentVersionExpiration"] = [
            {"noncurrentDays": settings.noncurrent_version_expiration_days}
        ]
    if settings.transition_to_infrequent_access_days is not None:
        rule["transition"] = [
            {"days": settings.transition_to_infrequent_access_days, "storageClass": "STANDARD_IA"}
        ]
    return xr.shape.managed(
        BUCKET_LIFECYCLE,
        xr.resource_name(key),
        {"region": xr.params.region, "bucket": bucket, "rule": [rule]},
    )


def tls_policy(xr: Composite[Any], key: str, bucket: str) -> dict[str, Any]:
    arn = bucket_arn(xr.params.region, bucket)
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [arn, f"{arn}/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        ],
    }
    return xr.shape.managed(
        BUCKET_POLICY,
        xr.resource_name(key),
        {
            "region": xr.params.region,
            "bucket": bucket,
            "policy": json.dumps(policy, sort_keys=True),
        },
    )


BLUEPRINT = Blueprint(
    kind="XBucket",
    claim_kind="Bucket",
    description="A private, encrypted, versioned S3 bucket.",
    parameters=BucketParameters,
    status=BucketStatus,
    compose=compose,
    connection_keys=("bucket", "region", "arn"),
    columns=(
        ("BUCKET", ".status.bucket.name", "string"),
        ("REGION", ".spec.parameters.region", "string"),
    ),
)
