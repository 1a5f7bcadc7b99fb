"""In AWS: the bucket the backups go to (the XBucket building blocks), its key, and the role the
database's pods write them with, bound to their service account by EKS Pod Identity."""

from __future__ import annotations

import json

from functions.kit import ComposeError, Composite, Desired
from functions.resources import iam, kms
from functions.resources.arns import bucket_arn

from ... import bucket as buckets
from ..parameters import DatabaseParameters
from ..rds import as_created
from .names import (
    ASSOCIATION_KEY,
    ATTACHMENT_KEY,
    BACKUPS,
    BUCKET_KEY,
    CLUSTER_NAME,
    KEY,
    POLICY_KEY,
    ROLE_KEY,
    bucket_name,
    kept_policy,
    namespace,
    policy_name,
    role_name,
)
from .target import Target


def compose_backups(xr: Composite[DatabaseParameters], out: Desired, target: Target) -> None:
    """The bucket the backups go to, and the role the database's pods write them with.

    The bucket and the key are orphaned: backups outlive the database, like RDS's retained
    automated backups and final snapshot (and S3 refuses to delete a bucket that holds objects).
    """
    p = xr.params
    name = bucket_name(xr)
    problem = buckets.bucket_name_problem(name)
    if problem and BUCKET_KEY not in xr.observed:
        raise ComposeError(
            "metadata.name", f"the backup bucket would be named {name!r}, which {problem}"
        )
    composes_key = p.needs_key or KEY in xr.observed
    if composes_key:
        description = f"Encrypts backups of PostgreSQL database {xr.namespace or ''}/{xr.name}"
        out.add(
            KEY,
            kms.key(xr, KEY, description.replace(" /", " "), outlives_xr=True),
            stage=BACKUPS,
        )
    out.add(
        BUCKET_KEY,
        buckets.bucket(xr, BUCKET_KEY, name, deletion_policy="Orphan"),
        stage=BACKUPS,
        # The key outlives the bucket: what it encrypts must never become unreadable.
        uses=[KEY] if composes_key else [],
        delete_in_any_order="orphaned: the backups outlive the database",
    )
    # Barman deletes what the retention policy expires; versioning keeps it recoverable for as
    # long again, then S3 removes it.
    lifecycle = buckets.Lifecycle(
        noncurrent_version_expiration_days=max(p.backup_retention_days, 1)
    )
    configuration = {
        "backup-public-access-block": buckets.public_access_block(
            xr, "backup-public-access-block", name
        ),
        "backup-ownership-controls": buckets.ownership_controls(
            xr, "backup-ownership-controls", name
        ),
        "backup-versioning": buckets.versioning(xr, "backup-versioning", name, True),
        "backup-encryption": buckets.encryption(
            xr,
            "backup-encryption",
            name,
            "aws:kms",
            kms_key_arn=p.kms_key_arn,
            composed_key=None if p.kms_key_arn else KEY,
        ),
        "backup-tls-policy": buckets.tls_policy(xr, "backup-tls-policy", name),
        "backup-lifecycle": buckets.lifecycle(xr, "backup-lifecycle", name, lifecycle),
    }
    for key, resource in configuration.items():
        needs_key = key == "backup-encryption" and p.needs_key
        out.add(
            key,
            resource,
            after=[BUCKET_KEY, KEY] if needs_key else [BUCKET_KEY],
            stage=BACKUPS,
            delete_in_any_order="configuration of the kept bucket",
        )
    compose_backup_identity(xr, out, target, name)


def backup_policy_document(xr: Composite[DatabaseParameters], bucket: str) -> str:
    """What barman-cloud needs: the bucket's objects, and the key only through S3 for it."""
    arn = bucket_arn(xr.params.region, bucket)
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ListBackups",
                "Effect": "Allow",
                "Action": ["s3:ListBucket", "s3:GetBucketLocation"],
                "Resource": arn,
            },
            {
                "Sid": "ReadWriteBackups",
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
                "Resource": f"{arn}/*",
            },
            {
                # Without naming the key: the bucket's default encryption picks it, and S3 may
                # use it on this role's behalf for this bucket only.
                "Sid": "EncryptBackups",
                "Effect": "Allow",
                "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
                "Resource": "*",
                "Condition": {
                    "StringEquals": {"kms:ViaService": f"s3.{xr.params.region}.amazonaws.com"},
                    "StringLike": {"kms:EncryptionContext:aws:s3:arn": [arn, f"{arn}/*"]},
                },
            },
        ],
    }
    return json.dumps(policy, sort_keys=True, separators=(",", ":"))


def compose_backup_identity(
    xr: Composite[DatabaseParameters], out: Desired, target: Target, bucket: str
) -> None:
    """An IAM role only the database's service account can assume, through EKS Pod Identity."""
    p = xr.params
    kept = kept_policy(p)
    description = f"Backups of PostgreSQL database {namespace(xr)} in {target.eks_name}"
    out.add(
        ROLE_KEY,
        iam.role(
            xr,
            ROLE_KEY,
            service=iam.PODS,
            description=description,
            external_name=role_name(xr),
            deletion_policy=kept,
        ),
        stage=BACKUPS,
        # AWS refuses to delete a role with a policy attached; the provider retries until the
        # attachment (deleted at the same time) is gone.
        delete_in_any_order="deleted once its attachment is gone (the provider retries)",
    )
    out.add(
        POLICY_KEY,
        iam.policy(
            xr,
            POLICY_KEY,
            document=backup_policy_document(xr, bucket),
            description=as_created(xr, POLICY_KEY, "description", description),
            external_name=policy_name(xr),
            deletion_policy=kept,
        ),
        stage=BACKUPS,
        delete_in_any_order="deleted once its attachment is gone (the provider retries)",
    )
    out.add(
        ATTACHMENT_KEY,
        iam.attachment(
            xr, ATTACHMENT_KEY, role_key=ROLE_KEY, policy_key=POLICY_KEY, deletion_policy=kept
        ),
        after=[ROLE_KEY, POLICY_KEY],
        stage=BACKUPS,
        delete_in_any_order="the association needs the role's permissions only while in use",
    )
    out.add(
        ASSOCIATION_KEY,
        iam.pod_identity_association(
            xr,
            ASSOCIATION_KEY,
            # Immutable: kept as created (moving to another cluster is refused before).
            cluster={
                "clusterName": as_created(xr, ASSOCIATION_KEY, "clusterName", target.eks_name)
            },
            service_account=(
                as_created(xr, ASSOCIATION_KEY, "namespace", namespace(xr)),
                as_created(xr, ASSOCIATION_KEY, "serviceAccount", CLUSTER_NAME),
            ),
            role_key=ROLE_KEY,
            deletion_policy=kept,
        ),
        after=[ROLE_KEY, ATTACHMENT_KEY],
        stage=BACKUPS,
    )
