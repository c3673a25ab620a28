"""Deploy a rendered ops template against the moto server, resource by resource.

moto's CloudFormation creates the topics, the KMS key, the log groups and the dashboard
and skips (with a warning) alarms, composite alarms, metric filters, subscription filters
and query definitions. Those are created here through their own API calls, with the
template's properties and its intrinsic functions (``Ref``, ``Fn::GetAtt``, ``Fn::Sub``)
resolved against the stack moto made, so each is accepted by the API that validates it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

#: Types moto's CloudFormation does not create; each has its API call below.
BY_API = (
    "AWS::CloudWatch::Alarm",
    "AWS::CloudWatch::CompositeAlarm",
    "AWS::Logs::MetricFilter",
    "AWS::Logs::SubscriptionFilter",
    "AWS::Logs::QueryDefinition",
    "AWS::KinesisFirehose::DeliveryStream",
)
REGION, ACCOUNT = "us-east-1", "123456789012"
_PSEUDO = {"AWS::Region": REGION, "AWS::AccountId": ACCOUNT, "AWS::Partition": "aws"}
_SUB = re.compile(r"\$\{([^}!]+)\}")


@dataclass
class Stack:
    """What the stack made: logical ID -> physical ID, and the ``Fn::GetAtt`` values."""

    physical: dict[str, str] = field(default_factory=dict)
    attributes: dict[tuple[str, str], str] = field(default_factory=dict)

    def ref(self, name: str) -> str:
        return _PSEUDO[name] if name in _PSEUDO else self.physical[name]

    def get_att(self, name: str, attribute: str) -> str:
        return self.attributes[name, attribute]

    def resolve(self, value: Any) -> Any:
        """``value`` with every intrinsic function replaced by what it stands for."""
        if isinstance(value, list):
            return [self.resolve(item) for item in value]
        if not isinstance(value, dict):
            return value
        if set(value) == {"Ref"}:
            return self.ref(value["Ref"])
        if set(value) == {"Fn::GetAtt"}:
            name, attribute = value["Fn::GetAtt"]
            return self.get_att(name, attribute)
        if set(value) == {"Fn::Sub"}:
            return _SUB.sub(lambda m: self._sub(m.group(1)), value["Fn::Sub"])
        return {key: self.resolve(item) for key, item in value.items()}

    def _sub(self, name: str) -> str:
        if "." in name:
            logical, attribute = name.split(".", 1)
            return self.get_att(logical, attribute)
        return self.ref(name)


def create_stack(clients: Any, name: str, template: dict[str, Any]) -> Stack:
    """Create the part of ``template`` moto's CloudFormation supports; return its IDs."""
    supported = {
        **template,
        "Resources": {k: v for k, v in template["Resources"].items() if v["Type"] not in BY_API},
    }
    supported.pop("Outputs", None)  # some refer to resources made through the API
    cfn = clients("cloudformation")
    cfn.create_stack(StackName=name, TemplateBody=json.dumps(supported))
    status = cfn.describe_stacks(StackName=name)["Stacks"][0]["StackStatus"]
    assert status == "CREATE_COMPLETE", status
    stack = Stack()
    for resource in cfn.describe_stack_resources(StackName=name)["StackResources"]:
        logical, physical = resource["LogicalResourceId"], resource["PhysicalResourceId"]
        stack.physical[logical] = physical
        if resource["ResourceType"] == "AWS::KMS::Key":
            # The key's ARN as CloudFormation's GetAtt gives it. (moto keeps a
            # CloudFormation key's policy as a dict, so its DescribeKey fails on it.)
            stack.attributes[logical, "Arn"] = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{physical}"
    return stack


def _alarm(clients: Any, logical: str, props: dict[str, Any]) -> None:
    clients("cloudwatch").put_metric_alarm(**props)


def _composite(clients: Any, logical: str, props: dict[str, Any]) -> None:
    cloudwatch = clients("cloudwatch")
    validate(cloudwatch, "PutCompositeAlarm", props)
    # What the API would check beyond the shape: every alarm the rule names exists.
    children = re.findall(r'ALARM\("([^"]+)"\)', props["AlarmRule"])
    found = cloudwatch.describe_alarms(AlarmNames=children)["MetricAlarms"]
    assert sorted(a["AlarmName"] for a in found) == sorted(children), props["AlarmRule"]


def _metric_filter(clients: Any, logical: str, props: dict[str, Any]) -> None:
    clients("logs").put_metric_filter(
        logGroupName=props["LogGroupName"],
        filterName=props.get("FilterName", logical),
        filterPattern=props["FilterPattern"],
        metricTransformations=[
            {
                "metricName": t["MetricName"],
                "metricNamespace": t["MetricNamespace"],
                "metricValue": t["MetricValue"],
                **({"unit": t["Unit"]} if "Unit" in t else {}),
                **(
                    {"dimensions": {d["Key"]: d["Value"] for d in t["Dimensions"]}}
                    if "Dimensions" in t
                    else {}
                ),
            }
            for t in props["MetricTransformations"]
        ],
    )


def _subscription_filter(clients: Any, logical: str, props: dict[str, Any]) -> None:
    clients("logs").put_subscription_filter(
        logGroupName=props["LogGroupName"],
        filterName=props.get("FilterName", logical),
        filterPattern=props["FilterPattern"],
        destinationArn=props["DestinationArn"],
        **({"roleArn": props["RoleArn"]} if "RoleArn" in props else {}),
    )


def _delivery_stream(clients: Any, logical: str, props: dict[str, Any]) -> None:
    clients("firehose").create_delivery_stream(
        DeliveryStreamName=props.get("DeliveryStreamName", logical),
        DeliveryStreamType=props.get("DeliveryStreamType", "DirectPut"),
        ExtendedS3DestinationConfiguration=props["ExtendedS3DestinationConfiguration"],
    )


#: Types the moto server implements neither through CloudFormation nor through their API
#: (moto 5.2 has no PutCompositeAlarm, no PutQueryDefinition): their request is validated
#: against the AWS API model instead (required members, types, lengths).
NOT_IN_MOTO = frozenset({"AWS::CloudWatch::CompositeAlarm", "AWS::Logs::QueryDefinition"})


def validate(client: Any, operation: str, request: dict[str, Any]) -> None:
    """Check ``request`` against the operation's input shape in the AWS API model."""
    from botocore.validate import validate_parameters

    shape = client.meta.service_model.operation_model(operation).input_shape
    validate_parameters(request, shape)  # raises ParamValidationError, naming the member


def _query_definition(clients: Any, logical: str, props: dict[str, Any]) -> None:
    request = {
        "name": props["Name"],
        "queryString": props["QueryString"],
        **({"logGroupNames": props["LogGroupNames"]} if "LogGroupNames" in props else {}),
    }
    validate(clients("logs"), "PutQueryDefinition", request)


_CREATE: dict[str, Callable[[Any, str, dict[str, Any]], None]] = {
    "AWS::CloudWatch::Alarm": _alarm,
    "AWS::CloudWatch::CompositeAlarm": _composite,
    "AWS::Logs::MetricFilter": _metric_filter,
    "AWS::Logs::SubscriptionFilter": _subscription_filter,
    "AWS::Logs::QueryDefinition": _query_definition,
    "AWS::KinesisFirehose::DeliveryStream": _delivery_stream,
}
#: Creation order where resources name each other: a stream before the subscription
#: filters that send to it, composite alarms after the alarms their rules name.
_ORDER = {"AWS::KinesisFirehose::DeliveryStream": -1, "AWS::CloudWatch::CompositeAlarm": 1}


def create_by_api(clients: Any, stack: Stack, template: dict[str, Any]) -> dict[str, int]:
    """Create every resource moto's CloudFormation skips, in ``_ORDER`` (as ``DependsOn``
    orders them); count them by type."""
    created: dict[str, int] = {}
    resources = sorted(
        template["Resources"].items(), key=lambda item: _ORDER.get(item[1]["Type"], 0)
    )
    for logical, resource in resources:
        kind = resource["Type"]
        if kind not in _CREATE:
            continue
        _CREATE[kind](clients, logical, stack.resolve(resource.get("Properties", {})))
        created[kind] = created.get(kind, 0) + 1
    return created
