"""A few alarms that mean "someone should look": parked uploads, failing functions, API server errors,
failed processing runs, stream records the indexer gave up on, a red or filling search domain.

They notify the SNS topic given as context `alarm_topic_arn`, when there is one.
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_sns as sns
from constructs import Construct

from stacks.api import Api
from stacks.config import StageConfig
from stacks.ingest import Ingest
from stacks.library_worker import LibraryWorker
from stacks.pipeline import Pipeline
from stacks.search import Search

PERIOD = Duration.minutes(5)
# AWS's recommended FreeStorageSpace alarm: a quarter of a node's storage left (the metric is in MiB).
FREE_STORAGE_FRACTION = 0.25


class Monitoring(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StageConfig,
        api: Api,
        ingest: Ingest,
        library_worker: LibraryWorker,
        pipeline: Pipeline,
        search: Search,
    ) -> None:
        super().__init__(scope, construct_id)
        metrics = {
            # Anything in the DLQ is an upload that failed 5 times: it needs a person.
            "UploadsDeadLettered": ingest.dead_letters.metric_approximate_number_of_messages_visible(
                period=PERIOD, statistic="Maximum"
            ),
            "IngestErrors": ingest.handler.function.metric_errors(period=PERIOD),
            # A deleted folder's, brand's or collection's assets that 5 tries could not update: they still name it.
            "LibraryCleanupsDeadLettered": library_worker.dead_letters.metric_approximate_number_of_messages_visible(
                period=PERIOD, statistic="Maximum"
            ),
            "LibraryWorkerErrors": library_worker.handler.function.metric_errors(period=PERIOD),
            "ApiErrors": api.handler.function.metric_errors(period=PERIOD),
            "Api5xx": api.http_api.metric_server_error(period=PERIOD),
            # Rejected files end in Succeed; a failed run is a file the pipeline could not process.
            "PipelineFailures": pipeline.state_machine.metric_failed(period=PERIOD),
            # Stream records that failed 5 retries and bisection: search is missing those changes.
            "IndexerDeadLettered": search.dead_letters.metric_approximate_number_of_messages_visible(
                period=PERIOD, statistic="Maximum"
            ),
            "IndexerErrors": search.indexer.function.metric_errors(period=PERIOD),
            # A primary shard is unassigned: some assets can be neither found nor indexed.
            "SearchClusterRed": search.domain.metric_cluster_status_red(period=PERIOD, statistic="Maximum"),
        }
        at_least = {name: (metric, 1.0) for name, metric in metrics.items()}
        at_most = {
            # The emptiest node (Minimum); a full disk blocks writes to the index.
            "SearchStorageLow": (
                search.domain.metric_free_storage_space(period=PERIOD, statistic="Minimum"),
                config.search.volume_gb * 1024 * FREE_STORAGE_FRACTION,
            ),
        }
        comparisons = [
            (at_least, cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD),
            (at_most, cloudwatch.ComparisonOperator.LESS_THAN_OR_EQUAL_TO_THRESHOLD),
        ]
        topic = sns.Topic.from_topic_arn(self, "Topic", config.alarm_topic_arn) if config.alarm_topic_arn else None
        self.alarms = []
        for alarms, comparison in comparisons:
            for name, (metric, threshold) in alarms.items():
                alarm = metric.create_alarm(
                    self,
                    name,
                    alarm_description=f"DAM {config.stage}: {name}",
                    threshold=threshold,
                    evaluation_periods=1,
                    comparison_operator=comparison,
                    treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
                )
                if topic:
                    alarm.add_alarm_action(actions.SnsAction(topic))
                self.alarms.append(alarm)
