"""The HTTP API: one Lambda behind API Gateway, every route behind the Cognito JWT authorizer except
the health check, the OpenAPI document and the outside reviewer's share link routes."""

from __future__ import annotations

import json

import jsii
from aws_cdk import Duration, Stack
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_apigatewayv2_authorizers as authorizers
from aws_cdk import aws_apigatewayv2_integrations as integrations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from constructs import Construct

from stacks.auth import Auth
from stacks.config import StageConfig
from stacks.function import DamFunction
from stacks.layers import SharedLayers
from stacks.pipeline import ANALYSIS_MODEL_ID as ASSISTANT_MODEL_ID
from stacks.sizing import FUNCTION_MEMORY_MB
from stacks.storage import ASSETS_PREFIX, IMPORTS_PREFIX, Storage

PUBLIC_ROUTES = ("/health", "/openapi.json")
# The outside reviewer's routes (dam.api.routes.share): the link's token in the path is their credential, so they
# are routes of their own with no authorizer (API Gateway picks them over the JWT-authorized `/{proxy+}`). Only
# these exact shapes: any other path under /share/ still meets the authorizer. The lead adds the outside
# reviewer's comment route (POST /share/{token}/items/{position}/comments) here when it lands.
SHARE_ROUTES: tuple[tuple[str, str], ...] = (
    ("GET", "/share/{token}"),
    ("GET", "/share/{token}/items/{position}/rendition"),
    ("POST", "/share/{token}/items/{position}/decision"),
    ("POST", "/share/{token}/items/{position}/comments"),
    ("GET", "/share/{token}/items/{position}/comments"),
)
# The header a password-protected share link's reviewer sends (a browser preflights it).
SHARE_PASSWORD_HEADER = "X-Share-Password"
PROTECTED_METHODS = (
    apigwv2.HttpMethod.GET,
    apigwv2.HttpMethod.HEAD,
    apigwv2.HttpMethod.POST,
    apigwv2.HttpMethod.PUT,
    apigwv2.HttpMethod.PATCH,
    apigwv2.HttpMethod.DELETE,
)
# HTTP API logging variables only (REST API ones such as $context.resourcePath make the stage fail to create).
# No caller identity or token claims: request ids and timings tie a line to the function's own logs.
ACCESS_LOG_FIELDS = {
    "requestId": "$context.requestId",
    "ip": "$context.identity.sourceIp",
    "requestTime": "$context.requestTime",
    "httpMethod": "$context.httpMethod",
    "routeKey": "$context.routeKey",
    "path": "$context.path",
    "status": "$context.status",
    "protocol": "$context.protocol",
    "responseLength": "$context.responseLength",
    "responseLatency": "$context.responseLatency",
    "integrationLatency": "$context.integrationLatency",
    "integrationError": "$context.integrationErrorMessage",
    "authorizerError": "$context.authorizer.error",
    "error": "$context.error.message",
}
# Item actions name tables (an index holds no item to get or write); Query names the indexes it reads.
ITEM_ACTIONS = (
    "dynamodb:GetItem",
    "dynamodb:BatchGetItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:ConditionCheckItem",
)


@jsii.implements(apigwv2.IAccessLogSettings)
class _AccessLogs:
    """IAccessLogSettings is an interface in this CDK version, not a struct."""

    def __init__(self, destination: apigwv2.IAccessLogDestination, log_format: apigw.AccessLogFormat) -> None:
        self._destination = destination
        self._format = log_format

    @property  # jsii only sees members declared on the class
    def destination(self) -> apigwv2.IAccessLogDestination:
        return self._destination

    @property
    def format(self) -> apigw.AccessLogFormat:
        return self._format


class Api(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StageConfig,
        storage: Storage,
        auth: Auth,
        layers: SharedLayers,
        web_origin: str,
    ) -> None:
        super().__init__(scope, construct_id)
        table = storage.table("Assets")
        library = storage.table("Library")
        bucket = storage.media_bucket
        # The writing assistant's model: by default the analysis model (a small Claude, through its profile).
        self.assistant_model_id = str(self.node.try_get_context("assistant_model_id") or ASSISTANT_MODEL_ID)
        self.handler = DamFunction(
            self,
            "Handler",
            config=config,
            layers=layers,
            folder="api",
            # Pillow for `?format=png|jpg` downloads; imported only by that path, so other routes' cold start
            # is unchanged. 1536 MB: a 40 MP export holds a few full-size copies, and Lambda's CPU share
            # grows with memory (PNG encoding is CPU-bound).
            media=True,
            memory_mb=FUNCTION_MEMORY_MB["Api/Handler"],
            timeout=Duration.seconds(15),
            description="The DAM HTTP API",
            environment={
                "DAM_ASSETS_TABLE": table.table_name,
                "DAM_LIBRARY_TABLE": library.table_name,
                "DAM_MEDIA_BUCKET": bucket.bucket_name,
                "DAM_MAX_UPLOAD_BYTES": str(config.max_upload_bytes),
                "DAM_TRASH_DAYS": str(config.trash_days),
                "DAM_ASSISTANT": "bedrock",
                "DAM_ASSISTANT_MODEL_ID": self.assistant_model_id,
                "POWERTOOLS_SERVICE_NAME": "dam-api",
                "POWERTOOLS_LOG_LEVEL": "INFO",
            },
        )
        self._grant(storage, bucket.bucket_arn)

        self.access_logs = logs.LogGroup(
            self, "AccessLogs", retention=config.log_retention, removal_policy=config.removal_policy
        )
        self.http_api = apigwv2.HttpApi(
            self,
            "HttpApi",
            description=f"DAM API ({config.stage})",
            create_default_stage=False,  # the stage below adds throttling and access logs
            cors_preflight=apigwv2.CorsPreflightOptions(
                # The web app on CloudFront, and the development origins from context.
                allow_origins=[web_origin, *config.allowed_origins],
                allow_methods=[
                    apigwv2.CorsHttpMethod.GET,
                    apigwv2.CorsHttpMethod.HEAD,
                    apigwv2.CorsHttpMethod.POST,
                    apigwv2.CorsHttpMethod.PUT,
                    apigwv2.CorsHttpMethod.PATCH,
                    apigwv2.CorsHttpMethod.DELETE,
                    apigwv2.CorsHttpMethod.OPTIONS,
                ],
                allow_headers=["Authorization", "Content-Type", "Idempotency-Key", "If-Match", SHARE_PASSWORD_HEADER],
                expose_headers=["ETag", "X-Next-Cursor"],  # X-Next-Cursor: GET /audit/export
                max_age=Duration.hours(1),
            ),
        )
        self.stage = self.http_api.add_stage(
            "DefaultStage",
            stage_name="$default",
            auto_deploy=True,
            throttle=apigwv2.ThrottleSettings(burst_limit=config.throttle_burst, rate_limit=config.throttle_rate),
            access_log_settings=_AccessLogs(
                apigwv2.LogGroupLogDestination(self.access_logs),
                apigw.AccessLogFormat.custom(json.dumps(ACCESS_LOG_FIELDS, separators=(",", ":"))),
            ),
        )

        integration = integrations.HttpLambdaIntegration(
            "Lambda",
            self.handler.function,
            payload_format_version=apigwv2.PayloadFormatVersion.VERSION_2_0,
        )
        self.authorizer = authorizers.HttpUserPoolAuthorizer(
            "Cognito",
            auth.user_pool,
            user_pool_clients=[auth.client],  # the JWT audience: tokens of this app client only
        )
        self.protected_routes = self.http_api.add_routes(
            path="/{proxy+}",
            # Not ANY: a browser's OPTIONS preflight carries no token, and a route that matched it would run the
            # authorizer (401). Without an OPTIONS route, API Gateway answers preflights from the CORS settings.
            methods=list(PROTECTED_METHODS),
            integration=integration,
            authorizer=self.authorizer,
        )
        self.public_routes = [
            route
            for path in PUBLIC_ROUTES
            for route in self.http_api.add_routes(path=path, methods=[apigwv2.HttpMethod.GET], integration=integration)
        ]
        self.share_routes = [
            route
            for method, path in SHARE_ROUTES
            for route in self.http_api.add_routes(
                path=path, methods=[apigwv2.HttpMethod(method)], integration=integration
            )
        ]

    @property
    def url(self) -> str:
        return self.stage.url

    def _grant(self, storage: Storage, bucket_arn: str) -> None:
        role = self.handler.role
        objects = f"{bucket_arn}/{ASSETS_PREFIX}*"
        assets, library = storage.table("Assets").table_arn, storage.table("Library").table_arn
        statements = [
            # Transactions (a brand or collection link with its asset) need exactly these item actions on both.
            iam.PolicyStatement(sid="AssetRecords", actions=list(ITEM_ACTIONS), resources=[assets, library]),
            # Every list is a Query: on each index of the assets table (never the table itself), on the library
            # table (an owner's links) and its indexes. No Scan anywhere.
            iam.PolicyStatement(
                sid="AssetQueries",
                actions=["dynamodb:Query"],
                resources=[*storage.table_and_index_arns("Assets")[1:], *storage.table_and_index_arns("Library")],
            ),
            # Deleting an asset, a brand or a collection removes its links 25 at a time.
            iam.PolicyStatement(sid="LibraryLinkDeletes", actions=["dynamodb:BatchWriteItem"], resources=[library]),
            # The presigned URLs the API hands out are signed by this role: uploads (multipart too: create,
            # parts, complete, abort, list the parts stored), downloads (pinned to the checked version), deletes
            # (every version of every object of the asset, by DeleteObjects naming each version).
            iam.PolicyStatement(
                sid="AssetObjects",
                actions=[
                    "s3:PutObject",
                    "s3:GetObject",
                    "s3:GetObjectVersion",
                    "s3:DeleteObjectVersion",
                    "s3:AbortMultipartUpload",
                    "s3:ListMultipartUploadParts",
                ],
                resources=[objects],
            ),
            iam.PolicyStatement(
                sid="ListAssetObjects",
                actions=["s3:ListBucketVersions"],
                resources=[bucket_arn],
                conditions={"StringLike": {"s3:prefix": [f"{ASSETS_PREFIX}*"]}},
            ),
            # The presigned POST of a bulk import's archive.
            iam.PolicyStatement(
                sid="ImportArchiveUploads", actions=["s3:PutObject"], resources=[f"{bucket_arn}/{IMPORTS_PREFIX}*"]
            ),
        ]
        # Converse needs bedrock:InvokeModel: on the inference profile in this region, and on the model behind
        # it in any region of the profile's geography (where the profile may route the request).
        stack = Stack.of(self)
        statements.append(
            iam.PolicyStatement(
                sid="AssistantModel",
                actions=["bedrock:InvokeModel"],
                resources=[
                    f"arn:aws:bedrock:{stack.region}:{stack.account}:inference-profile/{self.assistant_model_id}",
                    f"arn:aws:bedrock:*::foundation-model/{self.assistant_foundation_model}",
                ],
            )
        )
        for statement in statements:
            role.add_to_principal_policy(statement)

    @property
    def assistant_foundation_model(self) -> str:
        """The model behind the inference profile: `us.anthropic.claude-…` → `anthropic.claude-…`."""
        return self.assistant_model_id.split(".", 1)[1]
