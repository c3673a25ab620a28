"""The CloudFormation template: topics, log groups, filters, alarms, SLOs, dashboard, queries.

Built with troposphere: every resource and property is a typed class checked against
the CloudFormation resource specification when the template is assembled, so a
misspelt property fails the render, not the deploy. The template has no parameters and
no transforms, so SAM, CDK's ``CfnInclude`` and Terraform's ``aws_cloudformation_stack``
take it as it is.
"""

from __future__ import annotations

import json
import re
from typing import Any

from troposphere import GetAtt, Output, Ref, Sub, Template, cloudwatch, kms, logs, sns

from otelkit.ops._dashboard_cw import REGION, dashboard_body
from otelkit.ops._model import SEVERITIES, Alarm, MetricRef, ModelError, OpsModel, Slo
from otelkit.ops._names import checked_stage
from otelkit.ops._presets import ERROR_LINES, preset_alarms
from otelkit.ops._s3_archive import add_archive

_COMPARISONS = {
    ">": "GreaterThanThreshold",
    ">=": "GreaterThanOrEqualToThreshold",
    "<": "LessThanThreshold",
    "<=": "LessThanOrEqualToThreshold",
}
# Multi-window burn-rate pairs (long window, short window, burn rate, severity), after the
# SRE workbook: 2% of a 30-day budget in an hour pages, 5% in six hours warns.
_BURN_WINDOWS = ((3600, 300, 14.4, "critical"), (21600, 1800, 6.0, "warning"))
# JSON log lines: the level field otelkit writes.
ERROR_LINE_PATTERN = '{ $.level = "ERROR" }'


def logical_id(*parts: str) -> str:
    """A CloudFormation logical ID (alphanumeric) made of ``parts``."""
    return "".join(re.sub(r"[^A-Za-z0-9]", " ", p).title().replace(" ", "") for p in parts)


def sub_literal(text: str) -> str:
    """``text`` for Fn::Sub, where only the region is substituted: any other ``${``
    (a title, a query, an expression of the model) is written ``${!`` and stays literal."""
    return REGION.join(part.replace("${", "${!") for part in text.split(REGION))


def all_alarms(model: OpsModel) -> list[Alarm]:
    """The preset alarms followed by the model's own."""
    return [*preset_alarms(model), *error_routing_alarms(model), *model.alarms]


def error_routing_alarms(model: OpsModel) -> list[Alarm]:
    """``error_routing``: the first ERROR line in a period notifies its topic."""
    routing = model.error_routing
    if routing is None:
        return []
    return [
        Alarm(
            name="ErrorLogged",
            metric=MetricRef(ERROR_LINES, None, {}, "Sum"),
            threshold=0,
            description="The service wrote ERROR lines; they are in its log groups.",
            runbook="error-lines.md",
            period=routing.period,
            severity=routing.severity,
        )
    ]


def render_template(model: OpsModel, stage: str) -> Template:
    """Every CloudFormation resource of ``model`` at ``stage``."""
    checked_stage(stage)
    template = Template(
        Description=f"Operations for {model.service} ({stage}): alarms, "
        "log retention, dashboard and saved queries, "
        "rendered by otelkit ops"
    )
    topics = _topics(template, model, stage)
    groups = _log_groups(template, model, stage)
    add_archive(template, model, stage, [logical_id("Logs", name) for name in groups])
    for alarm in all_alarms(model):
        _alarm(template, model, stage, alarm, topics)
    for slo in model.slos:
        _slo(template, model, stage, slo, topics)
    template.add_resource(
        cloudwatch.Dashboard(
            "Dashboard",
            DashboardName=f"{model.service}-{stage}-overview",
            DashboardBody=Sub(
                sub_literal(json.dumps(dashboard_body(model, stage), separators=(",", ":")))
            ),
        )
    )
    for query in model.queries:
        if query.insights:
            template.add_resource(
                logs.QueryDefinition(
                    logical_id("Query", query.name),
                    Name=f"{model.service}/{stage}/{query.name}",
                    QueryString=query.insights,
                    **({"LogGroupNames": groups} if groups else {}),
                )
            )
    return template


def _topics(template: Template, model: OpsModel, stage: str) -> dict[str, sns.Topic]:
    topics: dict[str, sns.Topic] = {}
    for severity in SEVERITIES:
        subscriptions = [
            sns.Subscription(Protocol=_protocol(target), Endpoint=target)
            for target in model.notify.get(severity, ())
        ]
        topic = template.add_resource(
            sns.Topic(
                logical_id("Alerts", severity),
                TopicName=f"{model.service}-alerts-{severity}-{stage}",
                KmsMasterKeyId="alias/aws/sns",
                **({"Subscription": subscriptions} if subscriptions else {}),
            )
        )
        template.add_output(Output(logical_id("Alerts", severity, "Topic"), Value=Ref(topic)))
        topics[severity] = topic
    return topics


def _protocol(target: str) -> str:
    """SNS protocol of a notification target: an address, a URL or an ARN."""
    if target.startswith(("https://", "http://")):
        return target.split(":", 1)[0]
    if target.startswith("arn:aws:lambda:"):
        return "lambda"
    if target.startswith("arn:aws:sqs:"):
        return "sqs"
    if target.startswith("+"):
        return "sms"
    return "email"


def _log_groups(template: Template, model: OpsModel, stage: str) -> list[str]:
    if not model.log_groups:
        return []
    key = template.add_resource(
        kms.Key(
            "LogsKey",
            Description=f"Encrypts the log groups of {model.service} ({stage})",
            EnableKeyRotation=True,
            KeyPolicy=_logs_key_policy(),
        )
    )
    names = []
    for group in model.log_groups:
        name = model.fill(group.name, stage)
        names.append(name)
        resource = template.add_resource(
            logs.LogGroup(
                logical_id("Logs", name),
                LogGroupName=name,
                RetentionInDays=model.retention_for(group, stage),
                KmsKeyId=GetAtt(key, "Arn"),
                DeletionPolicy="Retain",
                UpdateReplacePolicy="Retain",
            )
        )
        template.add_resource(
            logs.MetricFilter(
                logical_id("ErrorLines", name),
                LogGroupName=Ref(resource),
                FilterPattern=ERROR_LINE_PATTERN,
                MetricTransformations=[
                    logs.MetricTransformation(
                        MetricNamespace=model.namespace,
                        MetricName=ERROR_LINES,
                        MetricValue="1",
                        Unit="Count",
                        Dimensions=[logs.Dimension(Key="service", Value="$.service")],
                    )
                ],
            )
        )
        if model.archive:
            template.add_resource(
                logs.SubscriptionFilter(
                    logical_id("Archive", name),
                    LogGroupName=Ref(resource),
                    FilterPattern="",
                    DestinationArn=model.fill(model.archive["destination_arn"], stage),
                    RoleArn=model.fill(model.archive["role_arn"], stage),
                )
            )
    return names


def _logs_key_policy() -> dict[str, Any]:
    # The account administers the key; CloudWatch Logs of this region may use it for
    # log groups of this account only.
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AccountAdministers",
                "Effect": "Allow",
                "Principal": {"AWS": Sub("arn:${AWS::Partition}:iam::${AWS::AccountId}:root")},
                "Action": "kms:*",
                "Resource": "*",
            },
            {
                "Sid": "CloudWatchLogsEncrypts",
                "Effect": "Allow",
                "Principal": {"Service": Sub("logs.${AWS::Region}.amazonaws.com")},
                "Action": [
                    "kms:Encrypt*",
                    "kms:Decrypt*",
                    "kms:ReEncrypt*",
                    "kms:GenerateDataKey*",
                    "kms:Describe*",
                ],
                "Resource": "*",
                "Condition": {
                    "ArnLike": {
                        "kms:EncryptionContext:aws:logs:arn": Sub(
                            "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:*"
                        )
                    }
                },
            },
        ],
    }


def _stat_args(ref: MetricRef) -> dict[str, str]:
    if ref.stat.startswith("p"):
        return {"ExtendedStatistic": ref.stat}
    return {"Statistic": ref.stat}


def _alarm(
    template: Template, model: OpsModel, stage: str, alarm: Alarm, topics: dict[str, sns.Topic]
) -> None:
    ref = alarm.metric
    topic = Ref(topics[alarm.severity])
    dims = model.dimensions(ref, stage)
    if "*" in dims.values():
        # An alarm names one exact dimension set; across every value of some dimensions
        # it takes a Metrics Insights query instead.
        metric: dict[str, Any] = {
            "Metrics": [
                cloudwatch.MetricDataQuery(
                    Id="q",
                    ReturnData=True,
                    Period=alarm.period,
                    Expression=insights_sql(model, ref, dims),
                )
            ]
        }
    else:
        metric = {
            "Namespace": model.namespace_of(ref),
            "MetricName": ref.metric,
            "Period": alarm.period,
            **_stat_args(ref),
            "Dimensions": [
                cloudwatch.MetricDimension(Name=k, Value=v) for k, v in sorted(dims.items())
            ],
        }
    name = model.fill(alarm.name, stage)
    template.add_resource(
        cloudwatch.Alarm(
            logical_id("Alarm", name),
            AlarmName=f"{model.service}-{stage}-{name}",
            AlarmDescription=_description(model, alarm.description, alarm.runbook, alarm.severity),
            EvaluationPeriods=alarm.evaluation_periods,
            Threshold=alarm.threshold,
            ComparisonOperator=_COMPARISONS[alarm.comparison],
            TreatMissingData="notBreaching",
            AlarmActions=[topic],
            OKActions=[topic],
            **metric,
        )
    )


_SQL_FUNCTIONS = {
    "Sum": "SUM",
    "Average": "AVG",
    "Maximum": "MAX",
    "Minimum": "MIN",
    "SampleCount": "COUNT",
}


def insights_sql(model: OpsModel, ref: MetricRef, dims: dict[str, str]) -> str:
    """A Metrics Insights query aggregating ``ref`` over its ``*`` dimensions."""
    if ref.stat not in _SQL_FUNCTIONS:
        raise ModelError(
            f"alarm on {ref.metric}: {ref.stat} over '*' dimensions is not "
            f"available (Metrics Insights offers {', '.join(_SQL_FUNCTIONS)})"
        )
    names = [model.namespace_of(ref), ref.metric, *dims, *dims.values()]
    if any(not re.fullmatch(r"[\w./*:-]+", name) for name in names):
        raise ModelError(
            f"alarm on {ref.metric}: names in a Metrics Insights query take "
            "letters, digits and _ . / : - only"
        )
    # Double quotes make any name an identifier (``http.route`` has a dot).
    schema = ", ".join(f'"{name}"' for name in [model.namespace_of(ref), *sorted(dims)])
    where = " AND ".join(f"\"{k}\" = '{v}'" for k, v in sorted(dims.items()) if v != "*")
    function = _SQL_FUNCTIONS[ref.stat]
    query = f'SELECT {function}("{ref.metric}") FROM SCHEMA({schema})'  # noqa: S608
    return query + (f" WHERE {where}" if where else "")  # names checked above


def _description(model: OpsModel, text: str, runbook: str, severity: str) -> str:
    return f"[{severity}] {text} Runbook: {model.runbook_url(runbook)}"


def _slo(
    template: Template, model: OpsModel, stage: str, slo: Slo, topics: dict[str, sns.Topic]
) -> None:
    budget = 1 - slo.objective / 100
    for long_window, short_window, burn, severity in _BURN_WINDOWS:
        children = []
        for window in (long_window, short_window):
            child = template.add_resource(
                cloudwatch.Alarm(
                    logical_id("Slo", slo.name, f"{burn}x", f"{window}s"),
                    AlarmName=f"{model.service}-{stage}-slo-{slo.name}-{burn}x-{window}s",
                    AlarmDescription=f"Error ratio of {slo.name} over {window // 60} min above "
                    f"{burn}x the budget of a {slo.objective}% objective.",
                    Metrics=_ratio_queries(model, stage, slo, window),
                    EvaluationPeriods=1,
                    Threshold=round(burn * budget, 6),
                    ComparisonOperator="GreaterThanThreshold",
                    TreatMissingData="notBreaching",
                )
            )
            children.append(child)
        topic = Ref(topics[severity])
        template.add_resource(
            cloudwatch.CompositeAlarm(
                logical_id("Slo", slo.name, f"{burn}x"),
                AlarmName=f"{model.service}-{stage}-slo-{slo.name}-burn-{burn}x",
                AlarmRule=" AND ".join(f'ALARM("{c.AlarmName}")' for c in children),
                AlarmDescription=_description(
                    model,
                    f"{slo.name}: the {slo.window_days}-day error budget of a "
                    f"{slo.objective}% objective burns {burn}x too fast.",
                    slo.runbook,
                    severity,
                ),
                AlarmActions=[topic],
                OKActions=[topic],
                DependsOn=children,
            )
        )


def _ratio_queries(
    model: OpsModel, stage: str, slo: Slo, period: int
) -> list[cloudwatch.MetricDataQuery]:
    def stat(query_id: str, ref: MetricRef) -> cloudwatch.MetricDataQuery:
        return cloudwatch.MetricDataQuery(
            Id=query_id,
            ReturnData=False,
            MetricStat=cloudwatch.MetricStat(
                Metric=cloudwatch.Metric(
                    Namespace=model.namespace_of(ref),
                    MetricName=ref.metric,
                    Dimensions=[
                        cloudwatch.MetricDimension(Name=k, Value=v)
                        for k, v in sorted(model.dimensions(ref, stage).items())
                    ],
                ),
                Period=period,
                Stat=ref.stat,
            ),
        )

    totals = [stat(f"total{i}", ref) for i, ref in enumerate(slo.total)]
    total_sum = " + ".join(f"FILL(total{i}, 0)" for i in range(len(totals)))
    return [
        stat("bad", slo.bad),
        *totals,
        cloudwatch.MetricDataQuery(
            Id="ratio",
            Label=f"{slo.name} error ratio",
            ReturnData=True,
            Expression=f"FILL(bad, 0) / ({total_sum})",
        ),
    ]
