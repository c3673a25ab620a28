"""Deploy a rendered template's archive stack (S3, Firehose, Logs) to moto, by API calls.

moto's CloudFormation creates a bucket without its lifecycle or tiering settings and
no Firehose stream at all, so each resource is created here through the API call that
validates it, with the template's own properties (CloudFormation's names mapped to the
API's), and the intrinsic functions resolved against what was created.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml


class _Loader(yaml.SafeLoader):
    """CloudFormation YAML with short-form intrinsics turned into their long form."""


def _construct(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    if suffix == "Ref":
        return {"Ref": value}
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{suffix}": value}


_Loader.add_multi_constructor("!", _construct)


def load_template(path: Path) -> dict[str, Any]:
    """The rendered template, intrinsics as ``{"Ref": ...}`` / ``{"Fn::...": ...}``."""
    loaded: dict[str, Any] = yaml.load(path.read_text(), Loader=_Loader)
    return loaded


class ArchiveDeployment:
    """The archive stack of one template, created in moto."""

    def __init__(self, clients: Any, template: dict[str, Any], account: str) -> None:
        self.clients = clients
        self.pseudo = {
            "AWS::Region": "us-east-1",
            "AWS::AccountId": account,
            "AWS::Partition": "aws",
        }
        self.resources: dict[str, Any] = template["Resources"]
        self.physical: dict[str, str] = {}
        self.arns: dict[str, str] = {}

    def of_type(self, kind: str) -> dict[str, dict[str, Any]]:
        return {k: r["Properties"] for k, r in self.resources.items() if r["Type"] == kind}

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        if not isinstance(value, dict):
            return value
        if set(value) == {"Ref"}:
            return self.physical[value["Ref"]]
        if set(value) == {"Fn::GetAtt"}:
            return self.arns[value["Fn::GetAtt"][0]]
        if set(value) == {"Fn::Sub"}:
            text = str(value["Fn::Sub"])
            for name, known in self.pseudo.items():
                text = text.replace("${" + name + "}", known)
            assert "${" not in text, text
            return text
        return {k: self.resolve(v) for k, v in value.items()}

    def deploy(self) -> None:
        logs = self.clients("logs")
        for logical, props in self.of_type("AWS::Logs::LogGroup").items():
            logs.create_log_group(logGroupName=props["LogGroupName"])
            self.physical[logical] = props["LogGroupName"]
        for logical, props in self.of_type("AWS::S3::Bucket").items():
            self._bucket(logical, props)
        iam = self.clients("iam")
        for logical, props in self.of_type("AWS::IAM::Role").items():
            role = iam.create_role(
                RoleName=props["RoleName"],
                AssumeRolePolicyDocument=_json(self.resolve(props["AssumeRolePolicyDocument"])),
            )["Role"]
            for policy in props["Policies"]:
                iam.put_role_policy(
                    RoleName=props["RoleName"],
                    PolicyName=policy["PolicyName"],
                    PolicyDocument=_json(self.resolve(policy["PolicyDocument"])),
                )
            self.arns[logical] = role["Arn"]
        firehose = self.clients("firehose")
        for logical, props in self.of_type("AWS::KinesisFirehose::DeliveryStream").items():
            arn = firehose.create_delivery_stream(
                DeliveryStreamName=props["DeliveryStreamName"],
                DeliveryStreamType=props["DeliveryStreamType"],
                ExtendedS3DestinationConfiguration=self.resolve(
                    props["ExtendedS3DestinationConfiguration"]
                ),
            )["DeliveryStreamARN"]
            self.arns[logical] = arn
        for logical, props in self.of_type("AWS::Logs::SubscriptionFilter").items():
            logs.put_subscription_filter(
                logGroupName=self.resolve(props["LogGroupName"]),
                filterName=logical,
                filterPattern=props["FilterPattern"],
                destinationArn=self.resolve(props["DestinationArn"]),
                roleArn=self.resolve(props["RoleArn"]),
            )

    def _bucket(self, logical: str, props: dict[str, Any]) -> None:
        s3 = self.clients("s3")
        name = props["BucketName"]
        s3.create_bucket(Bucket=name)
        self.physical[logical] = name
        self.arns[logical] = f"arn:aws:s3:::{name}"
        s3.put_bucket_versioning(
            Bucket=name,
            VersioningConfiguration={"Status": props["VersioningConfiguration"]["Status"]},
        )
        s3.put_bucket_lifecycle_configuration(
            Bucket=name,
            LifecycleConfiguration={
                "Rules": [_lifecycle_rule(r) for r in props["LifecycleConfiguration"]["Rules"]]
            },
        )
        for config in props.get("IntelligentTieringConfigurations", []):
            s3.put_bucket_intelligent_tiering_configuration(
                Bucket=name,
                Id=config["Id"],
                IntelligentTieringConfiguration={
                    "Id": config["Id"],
                    "Filter": {"Prefix": config["Prefix"]},
                    "Status": config["Status"],
                    "Tierings": config["Tierings"],
                },
            )


def _lifecycle_rule(rule: dict[str, Any]) -> dict[str, Any]:
    """CloudFormation's LifecycleRule as the S3 API's rule."""
    api: dict[str, Any] = {
        "ID": rule["Id"],
        "Status": rule["Status"],
        "Filter": {"Prefix": rule.get("Prefix", "")},
        "Transitions": [
            {"Days": t["TransitionInDays"], "StorageClass": t["StorageClass"]}
            for t in rule.get("Transitions", [])
        ],
    }
    if "ExpirationInDays" in rule:
        api["Expiration"] = {"Days": rule["ExpirationInDays"]}
    if "NoncurrentVersionExpiration" in rule:
        api["NoncurrentVersionExpiration"] = rule["NoncurrentVersionExpiration"]
    if "AbortIncompleteMultipartUpload" in rule:
        api["AbortIncompleteMultipartUpload"] = rule["AbortIncompleteMultipartUpload"]
    return api


def _json(document: Any) -> str:
    import json

    return json.dumps(document)
