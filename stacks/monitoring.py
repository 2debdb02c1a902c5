"""Alarms that mean "someone should look", and one dashboard that shows the pipeline end to end.

Some alarms are found by walking the stack rather than listed by hand, so what other constructs add later is
watched without a change here (build Monitoring last):
- every dead-letter queue: any queue another queue redrives to (`deadLetterTargetArn`), or that an event
  source mapping, a function or a rule sends its failures to;
- every Lambda function's Errors and Throttles (custom-resource handlers included);
- every state machine's failed executions.
The rest watch one thing each: the API's 5xx rate and p99 latency, the upload queue's oldest message, the
search domain's health and disk. All notify the SNS topic given as context `alarm_topic_arn`, when there is one.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from aws_cdk import CfnResource, Duration, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_sns as sns
from constructs import Construct, IConstruct

from stacks.api import Api
from stacks.config import StageConfig
from stacks.ingest import Ingest
from stacks.pipeline import Pipeline
from stacks.search import Search

PERIOD = Duration.minutes(5)
# AWS's recommended FreeStorageSpace alarm: a quarter of a node's storage left (the metric is in MiB).
FREE_STORAGE_FRACTION = 0.25
# No input may produce a 5xx: one in a hundred requests is a bug hitting users.
API_5XX_PERCENT = 1.0
# Cold starts take a second or two; a p99 over 5 s for 10 minutes is users waiting.
API_P99_MS = 5000
# The dispatcher takes seconds per upload; an upload notification waiting 10 minutes is a stuck pipeline.
UPLOAD_QUEUE_AGE_SECONDS = 600
NAMESPACE = "DAM"  # the functions' business metrics (dam.observability)

# Where resources name the queue their failures go to: their CloudFormation types and the L1 attribute.
_DEAD_LETTER_PROPERTIES = {
    "AWS::SQS::Queue": "redrive_policy",  # {"deadLetterTargetArn": …}
    "AWS::Lambda::EventSourceMapping": "destination_config",  # {"onFailure": {"destination": …}}
    "AWS::Lambda::Function": "dead_letter_config",  # {"targetArn": …}
    "AWS::Events::Rule": "targets",  # [{"deadLetterConfig": {"arn": …}}]
    "AWS::SNS::Subscription": "redrive_policy",
}


class Monitoring(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StageConfig,
        api: Api,
        ingest: Ingest,
        pipeline: Pipeline,
        search: Search,
    ) -> None:
        super().__init__(scope, construct_id)
        self._config = config
        self._topic = (
            sns.Topic.from_topic_arn(self, "Topic", config.alarm_topic_arn) if config.alarm_topic_arn else None
        )
        self.alarms: list[cloudwatch.Alarm] = []
        stack = Stack.of(self)
        resources = [r for r in _all(stack) if isinstance(r, CfnResource)]

        self.dead_letter_queues = dead_letter_queues(stack, resources)
        for name, queue in self.dead_letter_queues.items():
            # Anything here failed all its retries: it needs a person.
            self._alarm(f"{name}NotEmpty", _sqs(queue, "ApproximateNumberOfMessagesVisible", "Maximum"), 1)
        self.functions = {_name(r): r for r in resources if r.cfn_resource_type == "AWS::Lambda::Function"}
        for name, function in self.functions.items():
            self._alarm(f"{name}Errors", _lambda(function, "Errors"), 1)
            self._alarm(f"{name}Throttles", _lambda(function, "Throttles"), 1)
        for resource in resources:
            if resource.cfn_resource_type == "AWS::StepFunctions::StateMachine":
                # Rejected files end in Succeed; a failed run is a file the pipeline could not process.
                failed = cloudwatch.Metric(
                    namespace="AWS/States",
                    metric_name="ExecutionsFailed",
                    dimensions_map={"StateMachineArn": resource.ref},
                    period=PERIOD,
                    statistic="Sum",
                )
                self._alarm(f"{_name(resource)}Failures", failed, 1)

        requests = api.http_api.metric_count(period=PERIOD, statistic="Sum")
        server_errors = api.http_api.metric_server_error(period=PERIOD, statistic="Sum")
        api_5xx_rate = cloudwatch.MathExpression(
            expression="IF(requests > 0, 100 * errors / requests, 0)",
            using_metrics={"requests": requests, "errors": server_errors},
            period=PERIOD,
            label="5xx (% of requests)",
        )
        self._alarm("Api5xxRate", api_5xx_rate, API_5XX_PERCENT)
        api_p99 = api.http_api.metric_latency(period=PERIOD, statistic="p99")
        self._alarm("ApiLatencyP99", api_p99, API_P99_MS, periods=2)
        upload_age = ingest.queue.metric_approximate_age_of_oldest_message(period=PERIOD, statistic="Maximum")
        self._alarm("UploadQueueAge", upload_age, UPLOAD_QUEUE_AGE_SECONDS)
        # A primary shard is unassigned: some assets can be neither found nor indexed.
        red = search.domain.metric_cluster_status_red(period=PERIOD, statistic="Maximum")
        self._alarm("SearchClusterRed", red, 1)
        # The emptiest node (Minimum); a full disk blocks writes to the index.
        free = search.domain.metric_free_storage_space(period=PERIOD, statistic="Minimum")
        self._alarm("SearchStorageLow", free, config.search.volume_gb * 1024 * FREE_STORAGE_FRACTION, at_most=True)

        self.dashboard = self._dashboard(api, ingest, pipeline, search, api_5xx_rate)

    def _alarm(
        self, name: str, metric: cloudwatch.IMetric, threshold: float, *, periods: int = 1, at_most: bool = False
    ) -> None:
        comparison = (
            cloudwatch.ComparisonOperator.LESS_THAN_OR_EQUAL_TO_THRESHOLD
            if at_most
            else cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD
        )
        alarm = metric.create_alarm(
            self,
            name,
            alarm_description=f"DAM {self._config.stage}: {name}",
            threshold=threshold,
            evaluation_periods=periods,
            comparison_operator=comparison,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        if self._topic:
            alarm.add_alarm_action(actions.SnsAction(self._topic))
        self.alarms.append(alarm)

    def _dashboard(
        self, api: Api, ingest: Ingest, pipeline: Pipeline, search: Search, api_5xx_rate: cloudwatch.IMetric
    ) -> cloudwatch.Dashboard:
        """Left to right as an asset goes: the API, the upload queue and dispatcher, the pipeline, the indexer,
        search; then every dead-letter queue and the alarms."""
        dashboard = cloudwatch.Dashboard(
            self, "Dashboard", dashboard_name=f"dam-{self._config.stage}", default_interval=Duration.hours(6)
        )
        state_machine = pipeline.state_machine
        queue = ingest.queue
        dashboard.add_widgets(
            cloudwatch.TextWidget(
                markdown=f"# DAM {self._config.stage}: upload → dispatcher → pipeline → indexer → search\n"
                "An asset's whole life in Logs Insights: `filter asset_id = \"…\"` over the functions' log groups.",
                width=24,
                height=2,
            )
        )
        dashboard.add_widgets(
            _graph(
                "API: requests and errors",
                [api.http_api.metric_count(), api.http_api.metric_client_error(), api.http_api.metric_server_error()],
                right=[api_5xx_rate],
            ),
            _graph("API: latency (ms)", [api.http_api.metric_latency(statistic=s) for s in ("p50", "p90", "p99")]),
            _graph("API: function", *_function_metrics(api.handler.function)),
        )
        dashboard.add_widgets(
            _graph(
                "Ingest: upload queue",
                [queue.metric_approximate_number_of_messages_visible(), queue.metric_number_of_messages_received()],
                right=[queue.metric_approximate_age_of_oldest_message()],
            ),
            _graph("Ingest: dispatcher", *_function_metrics(ingest.handler.function)),
        )
        dashboard.add_widgets(
            _graph(
                "Pipeline: runs",
                [
                    state_machine.metric_started(),
                    state_machine.metric_succeeded(),
                    state_machine.metric_failed(),
                    state_machine.metric_timed_out(),
                ],
            ),
            _graph("Pipeline: assets processed by type", [_search("AssetsProcessed", "media_type", "Sum")]),
            _graph(
                "Pipeline: processing time (ms)",
                [_search("ProcessingTime", "media_type", "p50"), _search("ProcessingTime", "media_type", "p99")],
            ),
            _graph(
                "Pipeline: rejected by reason, failed by error",
                [_search("AssetsRejected", "reason", "Sum"), _search("AssetsFailed", "error", "Sum")],
            ),
        )
        dashboard.add_widgets(
            _graph(
                "Pipeline: analysis latency (ms)",
                [_search("AnalysisLatency", "model", "p50"), _search("AnalysisLatency", "model", "p99")],
            ),
            _graph(
                "Pipeline: analysis tokens",
                [_search("AnalysisInputTokens", "model", "Sum"), _search("AnalysisOutputTokens", "model", "Sum")],
            ),
            _graph(
                "Pipeline: step durations (ms)",
                [step.function.metric_duration(statistic="p99", label=name) for name, step in pipeline.steps.items()],
            ),
        )
        dashboard.add_widgets(
            _graph(
                "Indexer: stream",
                *_function_metrics(search.indexer.function),
            ),
            _graph("Indexer: stream lag (ms)", [search.indexer.function.metric("IteratorAge", statistic="Maximum")]),
            _graph(
                "Search: latency (ms)",
                [_search("SearchLatency", "mode", "p50"), _search("SearchLatency", "mode", "p99")],
            ),
            _graph(
                "Search: domain health",
                [search.domain.metric_cluster_status_red(), search.domain.metric_cluster_status_yellow()],
                right=[search.domain.metric_free_storage_space(statistic="Minimum")],
            ),
        )
        dashboard.add_widgets(
            _graph(
                "Dead-letter queues: messages",
                [
                    _sqs(q, "ApproximateNumberOfMessagesVisible", "Maximum", label=name)
                    for name, q in self.dead_letter_queues.items()
                ],
            ),
            cloudwatch.AlarmStatusWidget(title="Alarms", alarms=list(self.alarms), width=12, height=6),
        )
        return dashboard


def dead_letter_queues(stack: Stack, resources: list[CfnResource]) -> dict[str, CfnResource]:
    """Every queue some resource sends its failures to, by a name made of its construct path."""
    queues = {
        json.dumps(stack.resolve(q.get_att("Arn"))): q for q in resources if q.cfn_resource_type == "AWS::SQS::Queue"
    }
    found: dict[str, CfnResource] = {}
    for resource in resources:
        attribute = _DEAD_LETTER_PROPERTIES.get(resource.cfn_resource_type)
        value = getattr(resource, attribute, None) if attribute else None
        if value is None:
            continue
        resolved = stack.resolve(value)
        if resource.cfn_resource_type == "AWS::Events::Rule":  # a target is a queue too: only its dead letters
            resolved = [_dead_letter_config(target) for target in resolved or []]
        text = json.dumps(resolved)
        for arn, queue in queues.items():
            if arn in text:
                found[_name(queue)] = queue
    return found


def _dead_letter_config(target: dict[str, Any]) -> Any:
    return target.get("DeadLetterConfig", target.get("deadLetterConfig"))


def _all(root: IConstruct) -> Iterator[IConstruct]:
    yield from root.node.find_all()


def _name(resource: CfnResource) -> str:
    """`Search/IndexerDeadLetters/Resource` → `SearchIndexerDeadLetters`: a construct id under the stack."""
    parts = resource.node.path.split("/")[1:]
    return "".join(p for p in parts if p not in ("Resource", "Function")) or resource.node.id


def _sqs(queue: CfnResource, metric: str, statistic: str, label: str | None = None) -> cloudwatch.Metric:
    return cloudwatch.Metric(
        namespace="AWS/SQS",
        metric_name=metric,
        dimensions_map={"QueueName": queue.get_att("QueueName").to_string()},
        period=PERIOD,
        statistic=statistic,
        label=label,
    )


def _lambda(function: CfnResource, metric: str) -> cloudwatch.Metric:
    return cloudwatch.Metric(
        namespace="AWS/Lambda",
        metric_name=metric,
        dimensions_map={"FunctionName": function.ref},
        period=PERIOD,
        statistic="Sum",
    )


def _search(metric: str, dimension: str, statistic: str) -> cloudwatch.MathExpression:
    """Every series of one of our metrics, one line per value of its dimension (EMF creates them on use)."""
    return cloudwatch.MathExpression(
        expression=f"SEARCH('{{{NAMESPACE},{dimension}}} MetricName=\"{metric}\"', '{statistic}', 300)",
        using_metrics={},
        label=f"{metric} {statistic}",
        period=PERIOD,
    )


def _function_metrics(function: Any) -> tuple[list[cloudwatch.IMetric], list[cloudwatch.IMetric]]:
    return (
        [function.metric_invocations(), function.metric_errors(), function.metric_throttles()],
        [function.metric_duration(statistic="p99")],
    )


def _graph(
    title: str, left: list[cloudwatch.IMetric], right: list[cloudwatch.IMetric] | None = None
) -> cloudwatch.GraphWidget:
    return cloudwatch.GraphWidget(title=title, left=left, right=right or [], width=6, height=6)
