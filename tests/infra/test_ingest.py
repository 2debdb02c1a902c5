"""The upload notification path: S3 → SQS (+ DLQ) → ingest function."""

from __future__ import annotations

from tests.infra.synth import INFRA_MARKS, Synth, arn_of

pytestmark = INFRA_MARKS


def test_originals_under_assets_notify_the_upload_queue(synth: Synth) -> None:
    _, notifications = synth.one("Custom::S3BucketNotifications")
    props = notifications["Properties"]
    assert props["BucketName"] == {"Ref": synth.logical_id(synth.stack.storage.media_bucket)}
    configs = props["NotificationConfiguration"]["QueueConfigurations"]
    for config in configs:
        assert config["QueueArn"] == arn_of(synth.logical_id(synth.stack.ingest.queue))
        assert config["Events"] == ["s3:ObjectCreated:*"]
    # Originals and bulk import archives, under prefixes that can't overlap (S3 refuses overlapping filters).
    filters = [{rule["Name"]: rule["Value"] for rule in c["Filter"]["Key"]["FilterRules"]} for c in configs]
    assert filters == [{"prefix": "assets/", "suffix": "/original"}, {"prefix": "imports/", "suffix": "/archive.zip"}]


def test_only_the_media_bucket_may_send_to_the_queue(synth: Synth) -> None:
    queue_id = synth.logical_id(synth.stack.ingest.queue)
    (policy,) = [
        p for p in synth.of_type("AWS::SQS::QueuePolicy").values() if p["Properties"]["Queues"] == [{"Ref": queue_id}]
    ]
    (allow,) = [s for s in policy["Properties"]["PolicyDocument"]["Statement"] if s["Effect"] == "Allow"]
    assert allow["Principal"] == {"Service": "s3.amazonaws.com"}
    media_arn = arn_of(synth.logical_id(synth.stack.storage.media_bucket))
    assert allow["Condition"] == {"ArnLike": {"aws:SourceArn": media_arn}}


def test_an_extraction_lease_outlasts_the_function_that_holds_it(synth: Synth) -> None:
    """A redelivery takes over an import only when its extraction can't still be running."""
    from dam.services.imports import ImportLimits

    function = synth.resources[synth.logical_id(synth.stack.ingest.handler.function)]["Properties"]
    assert ImportLimits().extraction_lease_seconds > function["Timeout"]
    queue = synth.resources[synth.logical_id(synth.stack.ingest.queue)]["Properties"]
    assert queue["VisibilityTimeout"] > ImportLimits().extraction_lease_seconds  # the redelivery comes after


def test_ingest_consumes_the_queue_reporting_partial_batch_failures(synth: Synth) -> None:
    props = synth.event_source_mapping(arn_of(synth.logical_id(synth.stack.ingest.queue)))
    assert props["FunctionName"] == {"Ref": synth.logical_id(synth.stack.ingest.handler.function)}
    assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert props["BatchSize"] == 10
    assert 0 < props["MaximumBatchingWindowInSeconds"] <= 10
