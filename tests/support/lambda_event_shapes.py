"""Lambda events of the sources the shared fixtures do not cover, one per source.

Written for these tests from the event shapes AWS documents for each service (the
Lambda developer guide's "Using Lambda with …" pages and the samples in AWS's runtime
libraries). Only the fields a detector or an assertion reads are kept, plus a few of
the neighbours that make each shape recognisable; values are invented.
"""

from __future__ import annotations

import base64
import json
from typing import Any

REGION = "eu-west-1"
ACCOUNT = "123456789012"


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _kafka_headers(**headers: str) -> list[dict[str, list[int]]]:
    return [{name: list(value.encode())} for name, value in headers.items()]


EVENTS: dict[str, Any] = {
    "apiGatewayAuthorizerToken": {
        "type": "TOKEN",
        "authorizationToken": "allow",
        "methodArn": f"arn:aws:execute-api:{REGION}:{ACCOUNT}:a1b2c3/prod/GET/orders",
    },
    "apiGatewayAuthorizerRequest": {
        "version": "1.0",
        "type": "REQUEST",
        "methodArn": f"arn:aws:execute-api:{REGION}:{ACCOUNT}:a1b2c3/prod/GET/orders",
        "identitySource": "tok",
        "authorizationToken": "tok",
        "resource": "/orders",
        "path": "/orders",
        "httpMethod": "GET",
        "headers": {"Host": "a1b2c3.execute-api.eu-west-1.amazonaws.com", "Accept": "*/*"},
        "queryStringParameters": {"page": "1"},
        "requestContext": {
            "accountId": ACCOUNT,
            "apiId": "a1b2c3",
            "httpMethod": "GET",
            "identity": {"sourceIp": "203.0.113.9"},
            "path": "/prod/orders",
            "requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
            "resourcePath": "/orders",
            "stage": "prod",
        },
    },
    "apiGatewayAuthorizerV2": {
        "version": "2.0",
        "type": "REQUEST",
        "routeArn": f"arn:aws:execute-api:{REGION}:{ACCOUNT}:a1b2c3/$default/POST/orders",
        "identitySource": ["tok"],
        "routeKey": "POST /orders",
        "rawPath": "/orders",
        "rawQueryString": "",
        "headers": {"authorization": "tok", "host": "api.example.com"},
        "requestContext": {
            "accountId": ACCOUNT,
            "apiId": "a1b2c3",
            "domainName": "api.example.com",
            "http": {
                "method": "POST",
                "path": "/orders",
                "protocol": "HTTP/1.1",
                "sourceIp": "203.0.113.9",
                "userAgent": "curl/8",
            },
            "requestId": "id",
            "routeKey": "POST /orders",
            "stage": "$default",
        },
    },
    "webSocketConnect": {
        "headers": {
            "Host": "ws1234.execute-api.eu-west-1.amazonaws.com",
            "Sec-WebSocket-Key": "k==",
            "Sec-WebSocket-Version": "13",
        },
        "multiValueHeaders": {"Host": ["ws1234.execute-api.eu-west-1.amazonaws.com"]},
        "requestContext": {
            "routeKey": "$connect",
            "eventType": "CONNECT",
            "extendedRequestId": "Xa1=",
            "messageDirection": "IN",
            "stage": "prod",
            "connectedAt": 1731332735513,
            "identity": {"sourceIp": "198.51.100.7"},
            "requestId": "Xa1=",
            "domainName": "ws1234.execute-api.eu-west-1.amazonaws.com",
            "connectionId": "BFaT_fALIAMCKug=",
            "apiId": "ws1234",
        },
        "isBase64Encoded": False,
    },
    "webSocketMessage": {
        "requestContext": {
            "routeKey": "chat",
            "messageId": "BFaVtfGSIAMCKug=",
            "eventType": "MESSAGE",
            "messageDirection": "IN",
            "stage": "prod",
            "connectedAt": 1731332735513,
            "identity": {"sourceIp": "198.51.100.7"},
            "requestId": "Xb2=",
            "domainName": "ws1234.execute-api.eu-west-1.amazonaws.com",
            "connectionId": "BFaT_fALIAMCKug=",
            "apiId": "ws1234",
        },
        "body": json.dumps({"action": "chat", "message": "hi"}),
        "isBase64Encoded": False,
    },
    "webSocketDisconnect": {
        "headers": {"Host": "ws1234.execute-api.eu-west-1.amazonaws.com"},
        "requestContext": {
            "routeKey": "$disconnect",
            "disconnectStatusCode": 1001,
            "eventType": "DISCONNECT",
            "messageDirection": "IN",
            "stage": "prod",
            "identity": {"sourceIp": "198.51.100.7"},
            "requestId": "Xc3=",
            "connectionId": "BFaT_fALIAMCKug=",
            "domainName": "ws1234.execute-api.eu-west-1.amazonaws.com",
            "apiId": "ws1234",
        },
        "isBase64Encoded": False,
    },
    "vpcLatticeV2": {
        "version": "2.0",
        "path": "/orders",
        "method": "GET",
        "headers": {
            "user_agent": "curl/8",
            "x-forwarded-for": "10.0.0.9",
            "host": "svc-1.7d67968.vpc-lattice-svcs.eu-west-1.on.aws",
        },
        "queryStringParameters": {"id": "1"},
        "body": "",
        "isBase64Encoded": False,
        "requestContext": {
            "serviceNetworkArn": f"arn:aws:vpc-lattice:{REGION}:{ACCOUNT}:servicenetwork/sn-1",
            "serviceArn": f"arn:aws:vpc-lattice:{REGION}:{ACCOUNT}:service/svc-1",
            "targetGroupArn": f"arn:aws:vpc-lattice:{REGION}:{ACCOUNT}:targetgroup/tg-1",
            "identity": {"type": "AWS_IAM"},
            "region": REGION,
            "timeEpoch": "1696331543569073",
        },
    },
    "cloudFrontViewerRequest": {
        "Records": [
            {
                "cf": {
                    "config": {
                        "distributionDomainName": "d111111abcdef8.cloudfront.net",
                        "distributionId": "EDFDVBD6EXAMPLE",
                        "eventType": "viewer-request",
                        "requestId": "4TyzHTaYWb1GX1qTfsHhEqV6HUDd_BzoBZnwfnvQc_1oF26ClkoUSEQ==",
                    },
                    "request": {
                        "clientIp": "203.0.113.178",
                        "method": "GET",
                        "querystring": "",
                        "uri": "/index.html",
                        "headers": {
                            "host": [{"key": "Host", "value": "d111111abcdef8.cloudfront.net"}],
                            "user-agent": [{"key": "User-Agent", "value": "curl/8"}],
                        },
                    },
                }
            }
        ]
    },
    "kafkaMsk": {
        "eventSource": "aws:kafka",
        "eventSourceArn": f"arn:aws:kafka:{REGION}:{ACCOUNT}:cluster/orders/abcd-1",
        "bootstrapServers": "b-1.orders.kafka.eu-west-1.amazonaws.com:9092,"
        "b-2.orders.kafka.eu-west-1.amazonaws.com:9092",
        "records": {
            "orders-0": [
                {
                    "topic": "orders",
                    "partition": 0,
                    "offset": 15,
                    "timestamp": 1545084650987,
                    "timestampType": "CREATE_TIME",
                    "key": _b64("k1"),
                    "value": _b64("{}"),
                    "headers": _kafka_headers(source="checkout"),
                },
                {
                    "topic": "orders",
                    "partition": 0,
                    "offset": 16,
                    "timestamp": 1545084650988,
                    "timestampType": "CREATE_TIME",
                    "key": _b64("k2"),
                    "value": _b64("{}"),
                    "headers": [],
                },
            ]
        },
    },
    "kafkaSelfManaged": {
        "eventSource": "aws:SelfManagedKafka",
        "bootstrapServers": "kafka-1.internal:9092",
        "records": {
            "payments-3": [
                {
                    "topic": "payments",
                    "partition": 3,
                    "offset": 7,
                    "timestamp": 1545084650987,
                    "timestampType": "CREATE_TIME",
                    "value": _b64("{}"),
                    "headers": [],
                }
            ]
        },
    },
    "activeMq": {
        "eventSource": "aws:amq",
        "eventSourceArn": f"arn:aws:mq:{REGION}:{ACCOUNT}:broker:orders:b-9bcfa592",
        "messages": [
            {
                "messageID": "ID:b-9bcfa592-1.mq.eu-west-1.amazonaws.com-37557-1:1:1:1:1",
                "messageType": "jms/text-message",
                "data": _b64("hello"),
                "connectionId": "myJMSCoID",
                "redelivered": False,
                "destination": {"physicalName": "orders.queue"},
                "timestamp": 1598827811958,
                "properties": {"source": "checkout"},
            }
        ],
    },
    "rabbitMq": {
        "eventSource": "aws:rmq",
        "eventSourceArn": f"arn:aws:mq:{REGION}:{ACCOUNT}:broker:pizza:b-1",
        "rmqMessagesByQueue": {
            "pizzaQueue::/": [
                {
                    "basicProperties": {
                        "contentType": "text/plain",
                        "deliveryMode": 1,
                        "messageId": "msg-77",
                        "headers": {"source": "oven"},
                        "bodySize": 80,
                    },
                    "redelivered": False,
                    "data": _b64("{}"),
                }
            ]
        },
    },
    "documentDb": {
        "eventSourceArn": f"arn:aws:rds:{REGION}:{ACCOUNT}:cluster:docdb-1",
        "events": [
            {
                "event": {
                    "_id": {"_data": "0163"},
                    "clusterTime": {"$timestamp": {}},
                    "documentKey": {"_id": {"$oid": "9876"}},
                    "fullDocument": {"name": "x"},
                    "ns": {"db": "shop", "coll": "orders"},
                    "operationType": "insert",
                }
            }
        ],
        "eventSource": "aws:docdb",
    },
    "ses": {
        "Records": [
            {
                "eventSource": "aws:ses",
                "eventVersion": "1.0",
                "ses": {
                    "mail": {
                        "timestamp": "2019-08-05T21:30:02.028Z",
                        "source": "sender@example.com",
                        "messageId": "5h5auqp1oa1bg49b2q8f8tmli1oju8pcma2bt4o1",
                        "destination": ["orders@example.com"],
                    },
                    "receipt": {
                        "recipients": ["orders@example.com"],
                        "action": {"type": "Lambda", "invocationType": "Event"},
                    },
                },
            }
        ]
    },
    "codeCommit": {
        "Records": [
            {
                "eventId": "5a824061-17ca-46a9-bbf9-114edeadbeef",
                "eventVersion": "1.0",
                "eventTriggerName": "on-push",
                "eventPartNumber": 1,
                "codecommit": {"references": [{"commit": "5c4ef10", "ref": "refs/heads/main"}]},
                "eventName": "ReferenceChanges",
                "eventSourceARN": f"arn:aws:codecommit:{REGION}:{ACCOUNT}:video-repo",
                "eventSource": "aws:codecommit",
                "awsRegion": REGION,
                "eventTotalParts": 1,
            }
        ]
    },
    "cloudWatchLogs": {"awslogs": {"data": "H4sIAAAAAAAAA6tWKkktLlGyUlAqS8wpTVWqBQBtO2UaEwAAAA=="}},
    "firehose": {
        "invocationId": "invocationIdExample",
        "deliveryStreamArn": f"arn:aws:firehose:{REGION}:{ACCOUNT}:deliverystream/clicks",
        "region": REGION,
        "records": [
            {
                "recordId": "49546986683135544286507457936321625675700192471156785154",
                "approximateArrivalTimestamp": 1495072949453,
                "data": _b64("a"),
            }
        ],
    },
    "kinesisAnalyticsOutput": {
        "invocationId": "invocationIdExample",
        "applicationArn": f"arn:aws:kinesisanalytics:{REGION}:{ACCOUNT}:application/agg",
        "records": [{"recordId": "4957", "data": _b64("row")}],
    },
    "s3Batch": {
        "invocationSchemaVersion": "2.0",
        "invocationId": "YXNkbGZq",
        "job": {"id": "f3cc4f60-61f6-4a2b-8a21-d07600c373ce", "userArguments": {}},
        "tasks": [
            {
                "taskId": "dGFza2lk",
                "s3Key": "videos/1.mp4",
                "s3VersionId": None,
                "s3Bucket": "rendered-videos",
            }
        ],
    },
    "s3ObjectLambda": {
        "xAmzRequestId": "1a5ed718-5f53-471d-b6fe-5cf62d88d02a",
        "getObjectContext": {
            "inputS3Url": "https://ap.s3-accesspoint.eu-west-1.amazonaws.com/x",
            "outputRoute": "io-use1-001",
            "outputToken": "tok",
        },
        "configuration": {
            "accessPointArn": f"arn:aws:s3-object-lambda:{REGION}:{ACCOUNT}:accesspoint/olap",
            "supportingAccessPointArn": f"arn:aws:s3:{REGION}:{ACCOUNT}:accesspoint/ap",
            "payload": "",
        },
        "userRequest": {
            "url": "https://olap.s3-object-lambda.eu-west-1.amazonaws.com/x",
            "headers": {"Host": "olap.s3-object-lambda.eu-west-1.amazonaws.com"},
        },
        "userIdentity": {"type": "IAMUser", "principalId": "AID"},
        "protocolVersion": "1.00",
    },
    "cognitoPreSignUp": {
        "version": "1",
        "triggerSource": "PreSignUp_SignUp",
        "region": REGION,
        "userPoolId": "eu-west-1_abc123",
        "userName": "jane",
        "callerContext": {"awsSdkVersion": "aws-sdk-unknown-unknown", "clientId": "cid"},
        "request": {"userAttributes": {"email": "jane@example.com"}},
        "response": {"autoConfirmUser": False},
    },
    "cognitoSync": {
        "datasetName": "prefs",
        "eventType": "SyncTrigger",
        "region": REGION,
        "identityId": "identityId",
        "identityPoolId": "eu-west-1:pool",
        "datasetRecords": {"theme": {"newValue": "dark", "oldValue": "light", "op": "replace"}},
        "version": 2,
    },
    "appSyncResolver": {
        "arguments": {"id": "1"},
        "identity": None,
        "source": None,
        "request": {"headers": {"host": "x.appsync-api.eu-west-1.amazonaws.com"}},
        "prev": None,
        "info": {
            "selectionSetList": ["id"],
            "selectionSetGraphQL": "{ id }",
            "parentTypeName": "Query",
            "fieldName": "getOrder",
            "variables": {},
        },
        "stash": {},
    },
    "appSyncAuthorizer": {
        "authorizationToken": "BE9DC5E3",
        "requestContext": {
            "apiId": "giy7kumfmv",
            "accountId": ACCOUNT,
            "requestId": "b80ed838-14c6-4500-b4c3-b694c7bef086",
            "queryString": "query Q { a }",
            "operationName": "Q",
            "variables": {},
        },
    },
    "lexV1": {
        "currentIntent": {"name": "BookRoom", "slots": {}, "confirmationStatus": "None"},
        "bot": {"name": "Booker", "alias": "prod", "version": "3"},
        "userId": "u",
        "inputTranscript": "book a room",
        "invocationSource": "FulfillmentCodeHook",
        "outputDialogMode": "Text",
        "messageVersion": "1.0",
        "sessionAttributes": {},
        "requestAttributes": {},
    },
    "lexV2": {
        "messageVersion": "1.0",
        "invocationSource": "DialogCodeHook",
        "inputMode": "Text",
        "responseContentType": "text/plain; charset=utf-8",
        "sessionId": "s-1",
        "inputTranscript": "book a table",
        "bot": {
            "id": "BOT1",
            "name": "Tables",
            "aliasId": "TSTALIASID",
            "localeId": "en_US",
            "version": "DRAFT",
        },
        "interpretations": [],
        "sessionState": {"intent": {"name": "BookTable"}},
    },
    "cloudFormationCustomResource": {
        "RequestType": "Create",
        "ServiceToken": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:provider",
        "ResponseURL": "https://cloudformation-custom-resource-response.s3.amazonaws.com/x",
        "StackId": f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/video/271845b0",
        "RequestId": "unique-id",
        "LogicalResourceId": "Seed",
        "ResourceType": "Custom::Seed",
        "ResourceProperties": {"ServiceToken": "arn"},
    },
    "configRule": {
        "version": "1.0",
        "invokingEvent": json.dumps({"messageType": "ScheduledNotification"}),
        "ruleParameters": "{}",
        "resultToken": "tok",
        "eventLeftScope": False,
        "executionRoleArn": f"arn:aws:iam::{ACCOUNT}:role/config",
        "configRuleArn": f"arn:aws:config:{REGION}:{ACCOUNT}:config-rule/config-rule-1",
        "configRuleName": "tagged-buckets",
        "configRuleId": "config-rule-1",
        "accountId": ACCOUNT,
    },
    "secretsManagerRotation": {
        "Step": "createSecret",
        "SecretId": f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:db-AbCdEf",
        "ClientRequestToken": "550e8400-e29b-41d4-a716-446655440000",
    },
    "codePipelineJob": {
        "CodePipeline.job": {
            "id": "11111111-abcd-1111-abcd-111111abcdef",
            "accountId": ACCOUNT,
            "data": {
                "actionConfiguration": {"configuration": {"FunctionName": "deploy"}},
                "inputArtifacts": [],
                "outputArtifacts": [],
            },
        }
    },
    "codeDeployHook": {
        "DeploymentId": "d-ABCDEF",
        "LifecycleEventHookExecutionId": "eyJlbmNyeXB0ZWREYXRh",
    },
    "connectContactFlow": {
        "Name": "ContactFlowEvent",
        "Details": {
            "ContactData": {
                "Channel": "VOICE",
                "ContactId": "5ca32fbd-8f92",
                "InitiationMethod": "INBOUND",
                "Attributes": {},
            },
            "Parameters": {},
        },
    },
    "bedrockAgent": {
        "messageVersion": "1.0",
        "actionGroup": "Claims",
        "sessionId": "1234",
        "sessionAttributes": {},
        "promptSessionAttributes": {},
        "inputText": "I want to claim",
        "apiPath": "/claims",
        "httpMethod": "GET",
        "agent": {"alias": "TSTALIASID", "name": "insurer", "version": "DRAFT", "id": "8ZXY0W8P1H"},
    },
    "cloudWatchAlarm": {
        "source": "aws.cloudwatch",
        "alarmArn": f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:queue-depth",
        "accountId": ACCOUNT,
        "time": "2024-02-17T11:53:08.431+0000",
        "region": REGION,
        "alarmData": {
            "alarmName": "queue-depth",
            "state": {"value": "ALARM"},
            "previousState": {"value": "OK"},
            "configuration": {"metrics": []},
        },
    },
    "cloudWatchDashboardWidget": {
        "original": "param-to-widget",
        "widgetContext": {
            "dashboardName": "ops",
            "widgetId": "widget-16",
            "accountId": ACCOUNT,
            "locale": "en",
        },
    },
    "eventBridgeScheduler": {
        "version": "0",
        "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
        "detail-type": "Scheduled Event",
        "source": "aws.scheduler",
        "account": ACCOUNT,
        "time": "2024-01-01T00:00:00Z",
        "region": REGION,
        "resources": [f"arn:aws:scheduler:{REGION}:{ACCOUNT}:schedule/default/nightly"],
        "detail": "{}",
    },
    "iotCustomAuthorizer": {
        "token": "aToken",
        "signatureVerified": False,
        "protocols": ["tls", "mqtt"],
        "protocolData": {
            "tls": {"serverName": "iot.example.com"},
            "mqtt": {"username": "device", "clientId": "device-1"},
        },
        "connectionMetadata": {"id": "e56f08c3-c559-490f-aa9f-7e8427d0f57b"},
    },
    "iotPreProvisioningHook": {
        "claimCertificateId": "cc1",
        "certificateId": "c1",
        "certificatePem": "pem",
        "templateArn": f"arn:aws:iot:{REGION}:{ACCOUNT}:provisioningtemplate/fleet",
        "clientId": "221a6d10",
        "parameters": {},
    },
    "clientVpnConnection": {
        "connection-id": "cvpn-connection-04e7e1b2f0daf9460",
        "endpoint-id": "cvpn-endpoint-0f13eab7f860433cc",
        "common-name": "",
        "username": "jane",
        "public-ip": "198.51.100.4",
        "schema-version": "v1",
    },
    "transferFamilyAuthorizer": {
        "username": "jane",
        "password": "",
        "protocol": "SFTP",
        "serverId": "s-abcd123456",
        "sourceIp": "198.51.100.4",
    },
}
