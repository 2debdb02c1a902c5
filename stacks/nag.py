"""cdk-nag (AWS Solutions pack) and this project's acknowledged findings, each on the narrowest construct
with its reason. A finding that is not acknowledged here fails the synth (cdk-nag 3 reports through CDK's
validation framework, which raises and writes `validation-report.json` into the cloud assembly)."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from aws_cdk import Acknowledgment, App, CfnElement, Stack, Token, Validations
from cdk_nag import AwsSolutionsChecks
from constructs import IConstruct

if TYPE_CHECKING:
    from stacks.dam_stack import DamStack

PACK = "AwsSolutions"
# The pipeline steps granted object actions in Pipeline._grant.
OBJECT_STEPS = ("register", "renditions", "analyze")
PINNED_RUNTIME = (
    "Python 3.12 is pinned on purpose: the layers' binary wheels (pydantic-core; pillow, pillow-heif "
    "in the media layer) are built for cp312, and runtime upgrades are a reviewed change of both together."
)


def add_nag_checks(app: App) -> None:
    Validations.of(app).add_plugins(AwsSolutionsChecks(app, verbose=True))


def acknowledge(scope: IConstruct, rule: str, reason: str) -> None:
    """`rule` as cdk-nag names it, e.g. `IAM5[Resource::*]`."""
    Validations.of(scope).acknowledge(Acknowledgment(id=f"{PACK}::{PACK}-{rule}", reason=reason))


def acknowledge_findings(stack: DamStack) -> None:
    storage, auth, api, ingest, pipeline = stack.storage, stack.auth, stack.api, stack.ingest, stack.pipeline
    bucket = cast(CfnElement, storage.media_bucket.node.default_child)
    objects = f"Resource::<{stack.get_logical_id(bucket)}.Arn>/assets/*"
    for handler in (api.handler, ingest.handler, stack.library_worker.handler, *pipeline.steps.values()):
        acknowledge(handler.function, "L1", PINNED_RUNTIME)
        acknowledge(
            handler.role,
            "IAM5[Resource::*]",
            "Only X-Ray's PutTraceSegments/PutTelemetryRecords (active tracing): they support no "
            "resource-level permissions.",
        )
    # Only the functions that read or write objects (embed, finalize and record_failure touch no object); the
    # library worker deletes an expired asset's objects.
    workers = (api.handler, ingest.handler, stack.library_worker.handler)
    for handler in (*workers, *(pipeline.steps[step] for step in OBJECT_STEPS)):
        acknowledge(
            handler.role,
            f"IAM5[{objects}]",
            "Object keys are per asset (assets/{id}/original, renditions); the grant is limited to the "
            "assets/ prefix of the one media bucket, with only the listed object actions.",
        )
    for handler in (api.handler, ingest.handler):
        acknowledge(
            handler.role,
            f"IAM5[Resource::<{stack.get_logical_id(bucket)}.Arn>/imports/*]",
            "A bulk import's archive key is per import (imports/{workspace}/{id}/archive.zip): the API signs "
            "its upload, the ingest function reads and then deletes it; limited to the imports/ prefix.",
        )
    acknowledge(
        pipeline.state_machine.role,
        "IAM5[Resource::*]",
        "Only what CDK adds for logging ALL and tracing: CloudWatch Logs vended log delivery (logs:*LogDelivery*, "
        "PutResourcePolicy, DescribeResourcePolicies, DescribeLogGroups) and X-Ray (PutTraceSegments, "
        "PutTelemetryRecords, GetSampling*) support no resource-level permissions.",
    )
    for step in pipeline.steps.values():
        function = cast(CfnElement, step.function.node.default_child)
        acknowledge(
            pipeline.state_machine.role,
            f"IAM5[Resource::<{stack.get_logical_id(function)}.Arn>:*]",
            "CDK's LambdaInvoke grant: the pipeline's own step function and its versions (ARN:*), nothing else.",
        )
    acknowledge(
        pipeline.node.find_child("RunEndDeadLetters"),
        "SQS3",
        "This queue is itself a dead-letter queue: of the run-end EventBridge rule's target and of RecordFailure's "
        "asynchronous invocations (an on-failure destination), neither of which cdk-nag recognises.",
    )
    acknowledge(
        pipeline.steps["analyze"].role,
        f"IAM5[Resource::arn:aws:bedrock:*::foundation-model/{pipeline.foundation_model}]",
        "A cross-region inference profile may route a request to the model in any region of its geography; "
        "the grant names the one model, and the profile itself is granted in this region only.",
    )
    acknowledge(
        api.handler.role,
        f"IAM5[Resource::arn:aws:bedrock:*::foundation-model/{api.assistant_foundation_model}]",
        "The writing assistant's cross-region inference profile may route a request to its model in any region "
        "of its geography; the grant names the one model, and the profile itself is granted in this region only.",
    )
    acknowledge(
        auth.user_pool,
        "COG2",
        "MFA is optional with TOTP offered to every user; requiring it is a per-team policy decision, not "
        "a default a self-hosted install can impose before its admins have enrolled.",
    )
    acknowledge(
        auth.user_pool,
        "COG8",
        "The Plus feature plan (threat protection) is billed per monthly active user; teams that want it "
        "switch feature_plan in stacks/auth.py. Strong passwords, invite-only sign-up and optional TOTP "
        "are on by default.",
    )
    for route in api.public_routes:
        acknowledge(
            route,
            "APIG4",
            "Public by design: the health check and the OpenAPI document carry no tenant data; every "
            "other route is behind the Cognito JWT authorizer.",
        )
    for route in api.share_routes:
        acknowledge(
            route,
            "APIG4",
            "The outside reviewer's share link routes: the link's random token (192 bits, stored only as its "
            "SHA-256, expiring, revocable, optionally password-protected, rate-limited per link and logged) is "
            "the credential, checked by the function; they show only the review's own versions.",
        )
    _acknowledge_search(stack)
    _acknowledge_web(stack)
    acknowledge(stack.audit.handler.function, "L1", PINNED_RUNTIME)
    acknowledge(
        stack.audit.handler.role,
        "IAM5[Resource::*]",
        "Only X-Ray's PutTraceSegments/PutTelemetryRecords (active tracing) and dynamodb:ListStreams from CDK's "
        "stream grant: none supports resource-level permissions; the stream reads name the two tables' streams.",
    )
    acknowledge(
        stack.audit.dead_letters,
        "SQS3",
        "This queue is itself a dead-letter queue: the on-failure destination of the audit function's two stream "
        "event source mappings, which cdk-nag does not recognise (it looks at redrive policies and function DLQs).",
    )
    acknowledge(
        _notifications_handler(stack),
        "IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]",
        "CDK's own custom resource that sets the bucket notification at deploy time; the managed policy "
        "only lets it write its logs.",
    )


def _acknowledge_search(stack: DamStack) -> None:
    search, api = stack.search, stack.api
    domain = cast(CfnElement, search.domain.node.default_child)
    acknowledge(search.indexer.function, "L1", PINNED_RUNTIME)
    acknowledge(
        search.indexer.role,
        "IAM5[Resource::*]",
        "Only X-Ray's PutTraceSegments/PutTelemetryRecords (active tracing) and dynamodb:ListStreams from CDK's "
        "stream grant: none supports resource-level permissions; the stream reads name the Assets table's stream.",
    )
    domain_arn = f"<{stack.get_logical_id(domain)}.Arn>"
    acknowledge(
        api.handler.role,
        f"IAM5[Resource::{domain_arn}/assets/_doc/*]",
        "Reading one search document by its id (GET, the asset similar-asset search starts from) in this domain's "
        "assets index; its searches are granted on /assets/_search and /assets/_msearch only.",
    )
    acknowledge(
        search.domain,
        "OS1",
        "The Lambdas that call the domain run outside a VPC; a VPC would need NAT gateways (~$32/month each, "
        "one per AZ) or interface endpoints to keep their S3, DynamoDB, Bedrock and X-Ray calls working. The "
        "domain accepts only SigV4-signed requests from the indexer's and API's roles over TLS 1.2+.",
    )
    acknowledge(
        search.domain,
        "OS3",
        "Its callers are Lambda functions, which have no fixed IP addresses; instead the access policy allows "
        "only the indexer's and the API's IAM roles (SigV4-signed, exact HTTP methods): no anonymous access.",
    )
    if not search.sizing.master_nodes:
        acknowledge(
            search.domain,
            "OS4",
            "This stage's domain is sized small (stacks/config.py, the dev default: one m5.large node) where a "
            "dedicated master would cost more than the data node; the prod default has three dedicated masters.",
        )
    if search.sizing.zones == 1:
        acknowledge(
            search.domain,
            "OS7",
            "This stage's domain has a single AZ (the dev default); the index is derived from the Assets table and "
            "`dam reindex` rebuilds it, so an AZ loss costs availability, not data. The prod default spans 3 AZs.",
        )
    acknowledge(
        search.dead_letters,
        "SQS3",
        "This queue is itself a dead-letter queue: the on-failure destination of the indexer's stream event "
        "source mapping, which cdk-nag does not recognise (it looks at redrive policies and function DLQs).",
    )


def _acknowledge_web(stack: DamStack) -> None:
    web = stack.web
    distribution = web.distribution
    acknowledge(
        distribution,
        "CFR1",
        "Who may use the library is decided by Cognito sign-in, not by country: the distribution serves only the "
        "app's static files (the same to everyone, no tenant data). A team that must restrict countries sets "
        "geo_restriction on the distribution (stacks/web.py).",
    )
    acknowledge(
        distribution,
        "CFR2",
        "The distribution serves GET/HEAD of cached static files from S3 only; every data request goes to the "
        "API, which is throttled and behind the JWT authorizer. A web ACL (~$5/month plus rules and requests) "
        "can be attached with web_acl_id where a team's policy asks for one.",
    )
    acknowledge(
        distribution,
        "CFR3",
        "Decision: no CloudFront access logs. The distribution serves the same public app files to every viewer; "
        "what reaches S3 (each cache miss) is in the web bucket's server access logs (web/ in the access-log "
        "bucket), and every data request is in the API's access log. Standard logging would also need an "
        "ACL-enabled log bucket, where the log bucket enforces bucket-owner ownership (ACLs off).",
    )
    acknowledge(
        distribution,
        "CFR4",
        "The distribution uses its default *.cloudfront.net certificate, with which CloudFront fixes the viewer "
        "security policy (TLSv1) and the minimum protocol version cannot be set; a custom domain with an ACM "
        "certificate allows TLSv1.2_2021. Browsers that load the app negotiate TLS 1.2 or 1.3 anyway.",
    )
    deployment = _bucket_deployment_handler(stack)
    acknowledge(
        deployment,
        "L1",
        "CDK's own BucketDeployment provider (it syncs the web build into its bucket at deploy time); CDK "
        "chooses and upgrades its runtime.",
    )
    acknowledge(
        deployment,
        "IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]",
        "CDK's BucketDeployment provider; the managed policy only lets it write its own logs.",
    )
    bucket = f"<{stack.get_logical_id(cast(CfnElement, web.bucket.node.default_child))}.Arn>"
    assets_bucket = (
        f"cdk-hnb659fds-assets-{_or_token(stack.account, 'AWS::AccountId')}-{_or_token(stack.region, 'AWS::Region')}"
    )
    for finding, reason in {
        "Action::s3:GetObject*": "reads the build from CDK's asset bucket and syncs the web bucket",
        "Action::s3:GetBucket*": "the sync reads the two buckets' locations",
        "Action::s3:List*": "the sync lists the web bucket to find what changed",
        "Action::s3:DeleteObject*": "prunes files of an older build (not static/, which is excluded)",
        "Action::s3:Abort*": "aborts its own multipart uploads of a large file",
        f"Resource::{bucket}/*": "the objects of the web bucket only",
        f"Resource::arn:<AWS::Partition>:s3:::{assets_bucket}/*": "CDK's bootstrap asset bucket, where the web "
        "build's zip is uploaded",
        "Resource::*": "cloudfront:CreateInvalidation/GetInvalidation after a deploy, which CDK grants on *",
    }.items():
        acknowledge(
            deployment.node.find_child("ServiceRole"),
            f"IAM5[{finding}]",
            f"CDK's BucketDeployment grant (s3 sync of the web build at deploy time): it {reason}.",
        )


def _or_token(value: str, pseudo: str) -> str:
    """As cdk-nag writes a value: the pseudo parameter when synth leaves it open (no account or region)."""
    return f"<{pseudo}>" if Token.is_unresolved(value) else value


def _bucket_deployment_handler(stack: Stack) -> IConstruct:
    """CDK adds one stack-level provider (with a hashed id) for every BucketDeployment of one memory size."""
    return next(child for child in stack.node.children if child.node.id.startswith("Custom::CDKBucketDeployment"))


def _notifications_handler(stack: Stack) -> IConstruct:
    """CDK adds one stack-level handler (with a hashed id) for all bucket notifications."""
    return next(child for child in stack.node.children if child.node.id.startswith("BucketNotificationsHandler"))
