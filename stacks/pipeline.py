"""The processing pipeline: one Step Functions state machine, each task its own Lambda sized for its work.

    Mode? ─analyze (re-analysis keeps the renditions)──────┐
      └─full─> Register ─> Renditions ─> Analyze ─> Embed ─> Finalize
    a failed analysis ──> AnalysisFailed ─> Finalize (it keeps the renditions and marks the asset failed)
    any other failure (after its retries) ──> RecordFailure ─> Failed? (Fail) : Done (Succeed)

Standard workflow, not Express: a run takes seconds to minutes (video), execution history is how support
answers "why did my upload fail", and Standard execution names are idempotent for 90 days, which is what
makes a replayed S3 event start no second run. At 6 transitions an asset (bench/cost_model.py counts them),
Standard costs $0.15 per 1,000 assets.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

import jsii
from aws_cdk import App, Aws, Duration, Fn, Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from stacks.config import StageConfig
from stacks.function import DamFunction
from stacks.layers import SharedLayers
from stacks.queues import dead_letter_queue
from stacks.sizing import FUNCTION_MEMORY_MB
from stacks.storage import ASSETS_PREFIX, Storage

# A US cross-region inference profile; outside the US pass `-c analysis_model_id=eu.anthropic.…` (or apac.).
ANALYSIS_MODEL_ID = "us.anthropic.claude-haiku-4-5-20251001-v1:0"
EMBEDDING_MODEL_ID = "amazon.titan-embed-text-v2:0"
EMBEDDING_DIMENSIONS = 512
# Log groups AWS services deliver to without the account-wide CloudWatch Logs resource policy.
VENDED_LOGS_PREFIX = "/aws/vendedlogs/states/"

# The local stack runs the same definition; its functions are named like this (moto's default account).
LOCAL_FUNCTION_ARN = "arn:aws:lambda:us-east-1:123456789012:function:dam-local-{step}"

# Errors worth another try: the pipeline's own "slow down", Lambda's (a bulk import fans out), and network
# hiccups the SDK gave up on. AWS error responses are not here: botocore already retries the transient ones.
THROTTLED = ["Throttled"]
LAMBDA_THROTTLED = ["Lambda.TooManyRequestsException"]
TRANSIENT = ["EndpointConnectionError", "ConnectionClosedError", "ReadTimeoutError"]
# The final statuses of a run that may not have recorded its own end (dam_local/executions.py watches the same).
RUN_ENDS = ("FAILED", "TIMED_OUT", "ABORTED")
# A stuck run ends; part of the definition (TimeoutSeconds), so the local export carries it too.
TIMEOUT = Duration.minutes(30)


@dataclass(frozen=True)
class Step:
    memory_mb: int
    timeout: Duration
    media: bool = False  # needs the imaging libraries
    ephemeral_storage_mb: int = 512  # /tmp holds the original while it is read


STEPS: dict[str, Step] = {
    # Register reads headers only (ranged GETs); Renditions holds the one download of the original.
    "register": Step(FUNCTION_MEMORY_MB["Pipeline/Register"], Duration.minutes(5), media=True),
    "renditions": Step(
        FUNCTION_MEMORY_MB["Pipeline/Renditions"], Duration.minutes(5), media=True, ephemeral_storage_mb=10240
    ),
    "analyze": Step(
        FUNCTION_MEMORY_MB["Pipeline/Analyze"], Duration.minutes(2), media=True, ephemeral_storage_mb=10240
    ),
    "embed": Step(FUNCTION_MEMORY_MB["Pipeline/Embed"], Duration.minutes(1)),
    "finalize": Step(FUNCTION_MEMORY_MB["Pipeline/Finalize"], Duration.seconds(30)),
    "record_failure": Step(FUNCTION_MEMORY_MB["Pipeline/RecordFailure"], Duration.seconds(30)),
}


def pipeline_definition(scope: Construct, functions: Mapping[str, lambda_.IFunction]) -> sfn.IChainable:
    """The state machine, defined once: CDK deploys it and the local stack runs its exported ASL."""

    def task(step: str, state_name: str, result_path: str | None, *, throttles: bool = False) -> tasks.LambdaInvoke:
        invoke = tasks.LambdaInvoke(
            scope,
            state_name,
            lambda_function=functions[step],
            payload_response_only=True,
            result_path=result_path,
            retry_on_service_exceptions=True,
        )
        if throttles:
            invoke.add_retry(
                errors=THROTTLED,
                interval=Duration.seconds(1),
                backoff_rate=2,
                max_attempts=6,
                max_delay=Duration.seconds(30),
                jitter_strategy=sfn.JitterType.FULL,
            )
        invoke.add_retry(
            errors=LAMBDA_THROTTLED,
            interval=Duration.seconds(2),
            backoff_rate=2,
            max_attempts=6,
            max_delay=Duration.seconds(60),
            jitter_strategy=sfn.JitterType.FULL,
        )
        invoke.add_retry(errors=TRANSIENT, interval=Duration.seconds(2), backoff_rate=2, max_attempts=2)
        return invoke

    failed = sfn.Fail(scope, "Failed", error="ProcessingFailed", cause="See the asset's status_reason")
    record_failure = task("record_failure", "RecordFailure", "$.failure").next(
        sfn.Choice(scope, "FailedOrRejected?")
        .when(sfn.Condition.string_equals("$.failure.status", "failed"), failed)
        .otherwise(sfn.Succeed(scope, "Done"))
    )

    # An analysis that fails after its retries must not lose the renditions: AnalysisFailed reports the error,
    # Finalize records the asset as failed with its thumbnails, and "retry analysis" completes it.
    analysis_failed = sfn.Pass(
        scope, "AnalysisFailed", parameters={"analysis_failed.$": "$.analysis_error"}, result_path="$.analyzed"
    )
    renditions = task("renditions", "Renditions", "$.made")
    analyze = task("analyze", "Analyze", "$.analyzed", throttles=True)
    # Embed's output replaces Analyze's (it carries the analysis on): a state's payload is bounded at 256 KB and
    # a document's words would otherwise ride along three times.
    embed = task("embed", "Embed", "$.analyzed", throttles=True)
    for state in (analyze, embed):
        state.add_catch(analysis_failed, errors=["States.ALL"], result_path="$.analysis_error")
    finalize = task("finalize", "Finalize", "$.finalized")
    register = task("register", "Register", "$.register")
    for guarded in (register, renditions, finalize):
        guarded.add_catch(record_failure, errors=["States.ALL"], result_path="$.error")

    # In sequence: the vision model sees the preview Renditions wrote, so the original is downloaded once.
    analysis = analyze.next(embed.next(finalize))
    analysis_failed.next(finalize)
    return (
        sfn.Choice(scope, "Mode?")
        .when(sfn.Condition.string_equals("$.mode", "analyze"), analysis)
        .otherwise(register.next(renditions.next(analysis)))
    )


def export_local_definition() -> str:
    """The ASL the local stack runs: the same chainables, with the local functions' ARNs."""
    stack = Stack(App(), "PipelineExport")
    functions = {
        step: lambda_.Function.from_function_arn(stack, f"{step}-fn", LOCAL_FUNCTION_ARN.format(step=step))
        for step in STEPS
    }
    graph = sfn.StateGraph(pipeline_definition(stack, functions).start_state, "pipeline")
    graph.timeout = TIMEOUT  # what StateMachine(timeout=TIMEOUT) renders into the deployed definition
    return json.dumps(stack.resolve(graph.to_graph_json()), indent=2, sort_keys=True) + "\n"


@jsii.implements(lambda_.IDestination)
class SendOnlyQueueDestination:
    """A queue as an asynchronous invocation's on-failure destination, granting the function sqs:SendMessage only
    (aws_lambda_destinations.SqsDestination grants GetQueueAttributes and GetQueueUrl too, which Lambda never calls)."""

    def __init__(self, queue: sqs.IQueue) -> None:
        self._queue = queue

    def bind(
        self, _scope: Construct, fn: lambda_.IFunction, *, type: lambda_.DestinationType | None = None
    ) -> lambda_.DestinationConfig:
        fn.add_to_role_policy(iam.PolicyStatement(actions=["sqs:SendMessage"], resources=[self._queue.queue_arn]))
        return lambda_.DestinationConfig(destination=self._queue.queue_arn)


class Pipeline(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StageConfig,
        storage: Storage,
        layers: SharedLayers,
    ) -> None:
        super().__init__(scope, construct_id)
        self.analysis_model_id = str(self.node.try_get_context("analysis_model_id") or ANALYSIS_MODEL_ID)
        table = storage.table("Assets")
        bucket = storage.media_bucket
        environment = {
            "DAM_ASSETS_TABLE": table.table_name,
            "DAM_LIBRARY_TABLE": storage.table("Library").table_name,  # version records
            "DAM_MEDIA_BUCKET": bucket.bucket_name,
            "DAM_MAX_UPLOAD_BYTES": str(config.max_upload_bytes),
            "DAM_ANALYZER": "bedrock",
            "DAM_ANALYSIS_MODEL_ID": self.analysis_model_id,
            "DAM_EMBEDDER": "bedrock",
            "DAM_EMBEDDING_MODEL_ID": EMBEDDING_MODEL_ID,
            "DAM_EMBEDDING_DIMENSIONS": str(EMBEDDING_DIMENSIONS),
            "POWERTOOLS_SERVICE_NAME": "dam-pipeline",
            "POWERTOOLS_LOG_LEVEL": "INFO",
        }
        self.steps = {
            name: DamFunction(
                self,
                name.title().replace("_", ""),
                config=config,
                layers=layers,
                folder="pipeline",
                handler=f"handlers.{name}",
                memory_mb=step.memory_mb,
                timeout=step.timeout,
                media=step.media,
                ephemeral_storage_mb=step.ephemeral_storage_mb,
                environment=environment,
                description=f"Processing pipeline: {name.replace('_', ' ')}",
            )
            for name, step in STEPS.items()
        }
        self._grant(storage)

        # Under /aws/vendedlogs/: Step Functions then needs no entry in the account's CloudWatch Logs resource
        # policy (5,120 characters, 10 policies a region) for it. The stack id's UUID keeps a retained group of a
        # deleted stack from blocking the next stack of the same name.
        stack_uuid = Fn.select(2, Fn.split("/", Aws.STACK_ID))
        self.log_group = logs.LogGroup(
            self,
            "Logs",
            log_group_name=Fn.join("", [f"{VENDED_LOGS_PREFIX}dam-{config.stage}-pipeline-", stack_uuid]),
            retention=config.log_retention,
            removal_policy=config.removal_policy,
        )
        self.state_machine = sfn.StateMachine(
            self,
            "StateMachine",
            state_machine_type=sfn.StateMachineType.STANDARD,
            definition_body=sfn.DefinitionBody.from_chainable(
                # States live in their own scope: their names (Register, …) would clash with the functions'.
                pipeline_definition(Construct(self, "States"), {name: fn.function for name, fn in self.steps.items()})
            ),
            timeout=TIMEOUT,
            tracing_enabled=True,
            # Every event, but never the payloads: asset names and prompts stay out of the logs.
            logs=sfn.LogOptions(destination=self.log_group, level=sfn.LogLevel.ALL, include_execution_data=False),
        )
        self._record_runs_that_end_outside_their_catch()

    def _record_runs_that_end_outside_their_catch(self) -> None:
        """A run that times out, is stopped, or fails outside any Catch never reaches RecordFailure and would leave
        its asset `processing` forever. Step Functions reports every such end to EventBridge (with the run's
        input); this rule hands those to RecordFailure, which fails the asset with a reason unless the run
        already recorded its end. Undeliverable events (EventBridge) and events RecordFailure kept failing on
        (Lambda's asynchronous retries) land in one dead-letter queue, which the monitoring alarms on."""
        dead_letters = dead_letter_queue(self, "RunEndDeadLetters")
        record_failure = self.steps["record_failure"].function
        record_failure.configure_async_invoke(
            on_failure=SendOnlyQueueDestination(dead_letters), retry_attempts=2, max_event_age=Duration.hours(6)
        )
        self.run_end_rule = events.Rule(
            self,
            "RunEnded",
            description="Pipeline runs that ended without reaching their own RecordFailure or Finalize",
            event_pattern=events.EventPattern(
                source=["aws.states"],
                detail_type=["Step Functions Execution Status Change"],
                detail={"status": list(RUN_ENDS), "stateMachineArn": [self.state_machine.state_machine_arn]},
            ),
            targets=[
                targets.LambdaFunction(
                    record_failure, dead_letter_queue=dead_letters, retry_attempts=8, max_event_age=Duration.hours(6)
                )
            ],
        )

    def _grant(self, storage: Storage) -> None:
        """Each step may call exactly what it calls."""
        table = storage.table("Assets").table_arn
        checksum_index = f"{table}/index/by_checksum"
        objects = storage.media_bucket.arn_for_objects(f"{ASSETS_PREFIX}*")
        stack = Stack.of(self)
        analysis_profile = f"arn:aws:bedrock:{stack.region}:{stack.account}:inference-profile/{self.analysis_model_id}"
        # A cross-region inference profile routes to the model in any of its regions.
        analysis_model = f"arn:aws:bedrock:*::foundation-model/{self.foundation_model}"
        embedding_model = f"arn:aws:bedrock:{stack.region}::foundation-model/{EMBEDDING_MODEL_ID}"
        # A version's record lives in the library table; the steps read and write it as they do the asset's.
        versions = storage.table("Library").table_arn
        read_write_record = ["dynamodb:GetItem", "dynamodb:PutItem"]
        grants: dict[str, list[tuple[list[str], list[str]]]] = {
            "register": [
                (read_write_record, [table, versions]),
                # Head and read the announced version's headers; remove a version written after the checks.
                (["s3:GetObject", "s3:GetObjectVersion", "s3:DeleteObjectVersion"], [objects]),
            ],
            # Renditions and analysis read the checked version only (a GET with versionId); Renditions records
            # the checksum it computes and looks up an exact duplicate.
            "renditions": [
                (read_write_record, [table, versions]),
                (["dynamodb:Query"], [checksum_index]),
                (["s3:GetObjectVersion", "s3:PutObject"], [objects]),
            ],
            "analyze": [
                (["dynamodb:GetItem"], [table, versions]),
                (["s3:GetObjectVersion"], [objects]),
                (["bedrock:InvokeModel"], [analysis_profile, analysis_model]),
            ],
            "embed": [(["dynamodb:GetItem"], [table, versions]), (["bedrock:InvokeModel"], [embedding_model])],
            "finalize": [(read_write_record, [table, versions])],
            "record_failure": [(read_write_record, [table, versions])],
        }
        for name, statements in grants.items():
            for actions, resources in statements:
                self.steps[name].role.add_to_principal_policy(iam.PolicyStatement(actions=actions, resources=resources))

    @property
    def foundation_model(self) -> str:
        """The model behind the inference profile: `us.anthropic.claude-…` → `anthropic.claude-…`."""
        return self.analysis_model_id.split(".", 1)[1]

    def grant_start(self, grantee: iam.IGrantable) -> None:
        self.state_machine.grant_start_execution(grantee)
