"""The S3 archive stack: log lines through Firehose into a bucket with lifecycle rules.

CloudWatch Logs keeps lines for the retention days; the archive keeps them for years
at archive prices. A subscription filter on each log group sends the matching lines to
a Firehose stream, which writes them (gzipped, as CloudWatch Logs sends them) under the
bucket's prefix; the bucket's lifecycle moves objects to the archive storage class and
deletes them at the end, and Intelligent-Tiering's archive tiers take what nobody reads.
"""

from __future__ import annotations

from typing import Any

from troposphere import Output, Ref, Sub, Template, firehose, iam, logs, s3

from otelkit.ops._model import OpsModel, S3Archive

BUCKET = "ArchiveBucket"
STREAM = "ArchiveStream"


def add_archive(template: Template, model: OpsModel, stage: str, groups: list[str]) -> None:
    """Add the bucket, the stream, their roles and a subscription filter per log group.

    ``groups`` are the logical IDs of the template's log groups.
    """
    archive = model.s3_archive
    if archive is None:
        return
    bucket_name = model.fill(archive.bucket, stage)
    stream_name = f"{model.service}-logs-archive-{stage}"
    # ARNs are spelt out from the names rather than taken with GetAtt, so each resource
    # can be created on its own (a tool that skips Firehose still creates the rest).
    bucket_arn = Sub(f"arn:${{AWS::Partition}}:s3:::{bucket_name}")
    stream_arn = Sub(
        "arn:${AWS::Partition}:firehose:${AWS::Region}:${AWS::AccountId}:"
        f"deliverystream/{stream_name}"
    )
    bucket = template.add_resource(_bucket(bucket_name, archive))
    writer = template.add_resource(
        iam.Role(
            "ArchiveStreamRole",
            RoleName=f"{model.service}-archive-writer-{stage}"[:64],
            AssumeRolePolicyDocument=_trust("firehose.amazonaws.com"),
            Policies=[
                iam.Policy(
                    PolicyName="write-archive",
                    PolicyDocument=_allow(
                        [
                            "s3:AbortMultipartUpload",
                            "s3:GetBucketLocation",
                            "s3:ListBucket",
                            "s3:ListBucketMultipartUploads",
                            "s3:PutObject",
                        ],
                        [bucket_arn, Sub(f"arn:${{AWS::Partition}}:s3:::{bucket_name}/*")],
                    ),
                )
            ],
        )
    )
    stream = template.add_resource(
        firehose.DeliveryStream(
            STREAM,
            DeliveryStreamName=stream_name,
            DependsOn=[bucket, writer],
            DeliveryStreamType="DirectPut",
            DeliveryStreamEncryptionConfigurationInput=(
                firehose.DeliveryStreamEncryptionConfigurationInput(KeyType="AWS_OWNED_CMK")
            ),
            ExtendedS3DestinationConfiguration=firehose.ExtendedS3DestinationConfiguration(
                BucketARN=bucket_arn,
                RoleARN=_role_arn(writer),
                Prefix=archive.prefix,
                ErrorOutputPrefix="errors/",
                # CloudWatch Logs sends gzipped batches: compressing again gains nothing.
                CompressionFormat="UNCOMPRESSED",
                BufferingHints=firehose.BufferingHints(IntervalInSeconds=300, SizeInMBs=5),
            ),
            Metadata=_skip(
                "CKV_AWS_241", "encrypted with an AWS-owned key; the bucket encrypts at rest"
            ),
        )
    )
    sender = template.add_resource(
        iam.Role(
            "ArchiveLogsRole",
            RoleName=f"{model.service}-archive-sender-{stage}"[:64],
            AssumeRolePolicyDocument=_trust(Sub("logs.${AWS::Region}.amazonaws.com")),
            Policies=[
                iam.Policy(
                    PolicyName="send-to-archive",
                    PolicyDocument=_allow(
                        ["firehose:PutRecord", "firehose:PutRecordBatch"],
                        [stream_arn],
                    ),
                )
            ],
        )
    )
    for group in groups:
        template.add_resource(
            logs.SubscriptionFilter(
                f"S3Archive{group}",
                LogGroupName=Ref(group),
                FilterPattern=archive.filter_pattern,
                DestinationArn=stream_arn,
                RoleArn=_role_arn(sender),
                DependsOn=[stream, sender],
            )
        )
    template.add_output(Output("ArchiveBucketName", Value=Ref(bucket)))


def _bucket(name: str, archive: S3Archive) -> s3.Bucket:
    rule: dict[str, Any] = {
        "Id": "archive-then-expire",
        "Status": "Enabled",
        "Prefix": archive.prefix,
        "Transitions": [
            s3.LifecycleRuleTransition(
                StorageClass=archive.storage_class, TransitionInDays=archive.transition_days
            )
        ],
        # Versioning keeps replaced objects: let them go after a week.
        "NoncurrentVersionExpiration": s3.NoncurrentVersionExpiration(NoncurrentDays=7),
        "AbortIncompleteMultipartUpload": s3.AbortIncompleteMultipartUpload(DaysAfterInitiation=1),
    }
    if archive.expire_days is not None:
        rule["ExpirationInDays"] = archive.expire_days
    tierings = [
        s3.Tiering(AccessTier=tier, Days=days)
        for tier, days in (
            ("ARCHIVE_ACCESS", archive.archive_access_days),
            ("DEEP_ARCHIVE_ACCESS", archive.deep_archive_access_days),
        )
        if days is not None
    ]
    extra: dict[str, Any] = {}
    if tierings:
        extra["IntelligentTieringConfigurations"] = [
            s3.IntelligentTieringConfiguration(
                Id="archive-tiers", Status="Enabled", Prefix=archive.prefix, Tierings=tierings
            )
        ]
    return s3.Bucket(
        BUCKET,
        BucketName=name,
        DeletionPolicy="Retain",
        UpdateReplacePolicy="Retain",
        VersioningConfiguration=s3.VersioningConfiguration(Status="Enabled"),
        BucketEncryption=s3.BucketEncryption(
            ServerSideEncryptionConfiguration=[
                s3.ServerSideEncryptionRule(
                    ServerSideEncryptionByDefault=s3.ServerSideEncryptionByDefault(
                        SSEAlgorithm="AES256"
                    )
                )
            ]
        ),
        PublicAccessBlockConfiguration=s3.PublicAccessBlockConfiguration(
            BlockPublicAcls=True,
            BlockPublicPolicy=True,
            IgnorePublicAcls=True,
            RestrictPublicBuckets=True,
        ),
        LifecycleConfiguration=s3.LifecycleConfiguration(Rules=[s3.LifecycleRule(**rule)]),
        Metadata=_skip(
            "CKV_AWS_18",
            "an archive written by Firehose only; access logs would need a second bucket",
        ),
        **extra,
    )


def _role_arn(role: iam.Role) -> Sub:
    return Sub(f"arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:role/{role.RoleName}")


def _trust(service: Any) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
        ],
    }


def _allow(actions: list[str], resources: list[Any]) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": actions, "Resource": resources}],
    }


def _skip(check: str, why: str) -> dict[str, Any]:
    """checkov's in-template suppression of one check, with the reason."""
    return {"checkov": {"skip": [{"id": check, "comment": why}]}}
