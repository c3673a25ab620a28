"""Detectors for services that invoke a function with an event of their own shape.

Each :class:`ServiceEventKeys` entry of ``SERVICE_EVENTS`` names a source by the keys
only its events have together (Cognito's ``triggerSource`` with a ``userPoolId``, Lex's
``invocationSource`` with a ``bot``…) and says which of its fields name the invocation on
the span. Order matters only where entries overlap; the more specific one comes first.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from otelkit.aws._sources import Source, eventbridge_carrier, mapping, present, text

Attributes = Callable[[Mapping[str, Any]], dict[str, Any]]
#: The sources of timer events: scheduled rules and EventBridge Scheduler.
_SCHEDULERS = frozenset({"aws.events", "aws.scheduler"})
_GRAPHQL_OPERATIONS = frozenset({"query", "mutation", "subscription"})


@dataclass(frozen=True)
class ServiceEventKeys:
    """A service's event, recognised by a set of keys its events always have together."""

    name: str
    trigger: str
    keys: tuple[str, ...]
    attributes: Attributes

    def detect(self, event: Mapping[str, Any]) -> Source | None:
        """The source, if ``event`` has every one of the keys."""
        if not all(key in event for key in self.keys):
            return None
        return Source(self.name, self.trigger, self.attributes(event))


def _count(records: object) -> int | None:
    return len(records) if isinstance(records, list) else None


def _nested(event: Mapping[str, Any], *path: str) -> object:
    current: object = event
    for step in path:
        current = mapping(current).get(step)
    return current


SERVICE_EVENTS: tuple[ServiceEventKeys, ...] = (
    ServiceEventKeys(
        "appsync_authorizer",
        "other",
        ("authorizationToken", "requestContext"),
        lambda e: present(
            aws__appsync__api_id=_nested(e, "requestContext", "apiId"),
            graphql__operation__name=_nested(e, "requestContext", "operationName"),
        ),
    ),
    ServiceEventKeys(
        "cognito_user_pool",
        "other",
        ("triggerSource", "userPoolId"),
        lambda e: present(
            aws__cognito__trigger_source=e.get("triggerSource"),
            aws__cognito__user_pool_id=e.get("userPoolId"),
        ),
    ),
    ServiceEventKeys(
        "cognito_sync",
        "datasource",
        ("datasetName", "identityPoolId", "datasetRecords"),
        lambda e: present(
            faas__document__collection=e.get("identityPoolId"),
            faas__document__name=e.get("datasetName"),
        ),
    ),
    ServiceEventKeys(
        "kinesis_analytics",
        "pubsub",
        ("invocationId", "applicationArn", "records"),
        lambda e: present(
            aws__kinesis_analytics__application_arn=e.get("applicationArn"),
            messaging__batch__message_count=_count(e.get("records")),
        ),
    ),
    # After Kinesis Analytics, whose events also have both: Firehose's do not always
    # name the delivery stream (``deliveryStreamArn`` is missing from some).
    ServiceEventKeys(
        "firehose",
        "pubsub",
        ("invocationId", "records"),
        lambda e: present(
            aws__firehose__delivery_stream_arn=e.get("deliveryStreamArn"),
            aws__kinesis__stream_arn=e.get("sourceKinesisStreamArn"),
            messaging__batch__message_count=_count(e.get("records")),
        ),
    ),
    ServiceEventKeys(
        "s3_batch",
        "datasource",
        ("invocationSchemaVersion", "job", "tasks"),
        lambda e: _s3_batch(e),
    ),
    ServiceEventKeys(
        "s3_object_lambda",
        "datasource",
        ("xAmzRequestId", "configuration", "userRequest"),
        lambda e: present(
            aws__s3__access_point_arn=_nested(e, "configuration", "accessPointArn"),
            faas__document__operation=next(
                (
                    k.removesuffix("Context")
                    for k in e
                    if k.endswith("ObjectContext")
                    or k.endswith("ObjectsContext")
                    or k.endswith("ObjectsV2Context")
                ),
                None,
            ),
        ),
    ),
    ServiceEventKeys("cloudwatch_logs", "pubsub", ("awslogs",), lambda e: {}),
    ServiceEventKeys(
        "cloudwatch_alarm",
        "other",
        ("alarmArn", "alarmData"),
        lambda e: present(
            aws__cloudwatch__alarm_arn=e.get("alarmArn"),
            aws__cloudwatch__alarm_state=_nested(e, "alarmData", "state", "value"),
        ),
    ),
    ServiceEventKeys(
        "cloudwatch_dashboard",
        "other",
        ("widgetContext",),
        lambda e: present(aws__cloudwatch__dashboard=_nested(e, "widgetContext", "dashboardName")),
    ),
    ServiceEventKeys(
        "lex_v2",
        "other",
        ("sessionState", "bot", "invocationSource"),
        lambda e: present(
            aws__lex__bot=_nested(e, "bot", "name"),
            aws__lex__invocation_source=e.get("invocationSource"),
            aws__lex__intent=_nested(e, "sessionState", "intent", "name"),
        ),
    ),
    ServiceEventKeys(
        "lex",
        "other",
        ("currentIntent", "bot", "invocationSource"),
        lambda e: present(
            aws__lex__bot=_nested(e, "bot", "name"),
            aws__lex__invocation_source=e.get("invocationSource"),
            aws__lex__intent=_nested(e, "currentIntent", "name"),
        ),
    ),
    ServiceEventKeys(
        "cloudformation_custom_resource",
        "other",
        ("RequestType", "ResponseURL", "StackId"),
        lambda e: present(
            aws__cloudformation__request_type=e.get("RequestType"),
            aws__cloudformation__stack_id=e.get("StackId"),
            aws__cloudformation__resource_type=e.get("ResourceType"),
        ),
    ),
    ServiceEventKeys(
        "config_rule",
        "other",
        ("configRuleName", "invokingEvent", "resultToken"),
        lambda e: present(aws__config__rule_name=e.get("configRuleName")),
    ),
    ServiceEventKeys(
        "secrets_manager_rotation",
        "other",
        ("SecretId", "ClientRequestToken", "Step"),
        lambda e: present(
            aws__secretsmanager__secret__arn=e.get("SecretId"),
            aws__secretsmanager__rotation_step=e.get("Step"),
        ),
    ),
    ServiceEventKeys(
        "codepipeline",
        "other",
        ("CodePipeline.job",),
        lambda e: present(aws__codepipeline__job_id=_nested(e, "CodePipeline.job", "id")),
    ),
    ServiceEventKeys(
        "codedeploy_lifecycle_hook",
        "other",
        ("DeploymentId", "LifecycleEventHookExecutionId"),
        lambda e: present(aws__codedeploy__deployment_id=e.get("DeploymentId")),
    ),
    ServiceEventKeys(
        "connect",
        "other",
        ("Details", "Name"),
        lambda e: present(
            aws__connect__contact_id=_nested(e, "Details", "ContactData", "ContactId")
        ),
    ),
    ServiceEventKeys(
        "bedrock_agent",
        "other",
        ("agent", "actionGroup", "messageVersion"),
        lambda e: present(
            aws__bedrock__agent__name=_nested(e, "agent", "name"),
            aws__bedrock__agent__action_group=e.get("actionGroup"),
            aws__bedrock__agent__api_path=e.get("apiPath"),
            aws__bedrock__agent__function=e.get("function"),
        ),
    ),
    ServiceEventKeys(
        "iot_authorizer",
        "other",
        ("protocolData", "protocols"),
        lambda e: present(aws__iot__connection_id=_nested(e, "connectionMetadata", "id")),
    ),
    ServiceEventKeys(
        "iot_provisioning_hook",
        "other",
        ("claimCertificateId", "templateArn"),
        lambda e: present(aws__iot__template_arn=e.get("templateArn")),
    ),
    ServiceEventKeys(
        "client_vpn",
        "other",
        ("connection-id", "endpoint-id"),
        lambda e: present(aws__client_vpn__endpoint_id=e.get("endpoint-id")),
    ),
    ServiceEventKeys(
        "alexa_skill",
        "other",
        ("session", "context", "request"),
        lambda e: present(aws__alexa__request_type=_nested(e, "request", "type")),
    ),
    ServiceEventKeys(
        "sagemaker_ground_truth",
        "other",
        ("labelingJobArn", "dataObject"),
        lambda e: present(aws__sagemaker__labeling_job_arn=e.get("labelingJobArn")),
    ),
    ServiceEventKeys(
        "sagemaker_ground_truth",
        "other",
        ("labelingJobArn", "payload", "labelAttributeName"),
        lambda e: present(aws__sagemaker__labeling_job_arn=e.get("labelingJobArn")),
    ),
    ServiceEventKeys(
        "workmail",
        "other",
        ("summaryVersion", "envelope", "flowDirection"),
        lambda e: present(
            aws__workmail__flow_direction=e.get("flowDirection"),
            aws__workmail__message_id=e.get("messageId"),
        ),
    ),
    ServiceEventKeys(
        "iot_button",
        "other",
        ("serialNumber", "clickType"),
        lambda e: present(aws__iot__click_type=e.get("clickType")),
    ),
    ServiceEventKeys(
        "transfer_family_authorizer",
        "other",
        ("username", "serverId", "protocol"),
        lambda e: present(
            aws__transfer__server_id=e.get("serverId"), aws__transfer__protocol=e.get("protocol")
        ),
    ),
)


def _s3_batch(event: Mapping[str, Any]) -> dict[str, Any]:
    tasks = event.get("tasks")
    first = mapping(tasks[0]) if isinstance(tasks, list) and tasks else {}
    bucket = (
        text(first.get("s3Bucket"))
        or (text(first.get("s3BucketArn")) or "").rsplit(":", 1)[-1]
        or None
    )
    return present(
        aws__s3_batch__job_id=_nested(event, "job", "id"),
        faas__document__collection=bucket,
        faas__document__name=first.get("s3Key"),
    )


def alexa_smart_home(event: Mapping[str, Any]) -> Source | None:
    """An Alexa smart home directive: ``directive.header.namespace`` ``Alexa…`` (a bare
    ``directive`` key is too common in other payloads to go by)."""
    namespace = _nested(event, "directive", "header", "namespace")
    if not (isinstance(namespace, str) and namespace.startswith("Alexa")):
        return None
    return Source(
        "alexa_smart_home",
        "other",
        present(
            aws__alexa__directive_namespace=namespace,
            aws__alexa__directive_name=_nested(event, "directive", "header", "name"),
        ),
    )


def service_source(event: Mapping[str, Any]) -> Source | None:
    """The first service whose event keys ``event`` has."""
    for service in SERVICE_EVENTS:
        found = service.detect(event)
        if found is not None:
            return found
    return None


def eventbridge(event: Mapping[str, Any]) -> Source | None:
    """An EventBridge event (rules and Scheduler): ``detail-type`` and ``source``."""
    if "detail-type" not in event or "source" not in event:
        return None
    scheduled = (
        event.get("detail-type") == "Scheduled Event" and text(event.get("source")) in _SCHEDULERS
    )
    attributes = present(
        cloudevents__event_id=event.get("id"),
        cloudevents__event_source=event.get("source"),
        cloudevents__event_type=event.get("detail-type"),
    )
    if scheduled:
        attributes.update(present(faas__time=event.get("time")))
    return Source(
        "eventbridge",
        "timer" if scheduled else "pubsub",
        attributes,
        headers=eventbridge_carrier(event),
    )


def appsync_resolver(event: object) -> Source | None:
    """An AppSync resolver call (``info.fieldName``), or a batch of them (a list)."""
    batch = event if isinstance(event, list) else None
    first = mapping(batch[0]) if batch else mapping(event)
    info = mapping(first.get("info"))
    field_name = text(info.get("fieldName")) or (
        text(first.get("fieldName")) if "typeName" in first else None
    )
    if field_name is None or "arguments" not in first:
        return None
    type_name = text(info.get("parentTypeName")) or text(first.get("typeName"))
    operation = (type_name or "").lower()
    attributes = present(
        graphql__operation__type=operation if operation in _GRAPHQL_OPERATIONS else None,
        aws__appsync__field=f"{type_name}.{field_name}" if type_name else field_name,
    )
    if batch is not None:
        attributes["aws.appsync.batch_size"] = len(batch)
    return Source("appsync_resolver", "other", attributes)
