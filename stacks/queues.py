"""A work queue a Lambda function consumes, with its dead-letter queue: encrypted with SQS-managed keys (S3
can publish without a KMS key policy), TLS only, and a visibility timeout of 6× the consumer's timeout (AWS's
guidance for Lambda consumers), so a message is never handed out again while a slow batch still runs."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_sqs as sqs
from constructs import Construct

DEAD_LETTER_RETENTION = Duration.days(14)


def consumed_queue(
    scope: Construct,
    construct_id: str,
    *,
    consumer_timeout: Duration,
    retention: Duration,
    max_receive_count: int,
) -> tuple[sqs.Queue, sqs.Queue]:
    """(queue, dead letters): a message received `max_receive_count` times moves to the dead letters."""
    dead_letters = dead_letter_queue(scope, "DeadLetters")
    queue = sqs.Queue(
        scope,
        construct_id,
        encryption=sqs.QueueEncryption.SQS_MANAGED,
        enforce_ssl=True,
        visibility_timeout=Duration.seconds(consumer_timeout.to_seconds() * 6),
        retention_period=retention,
        dead_letter_queue=sqs.DeadLetterQueue(queue=dead_letters, max_receive_count=max_receive_count),
    )
    return queue, dead_letters


def dead_letter_queue(scope: Construct, construct_id: str) -> sqs.Queue:
    """A queue failures land in, kept 14 days: encrypted with SQS-managed keys (EventBridge, S3 and Lambda can
    send without a KMS key policy), TLS only."""
    return sqs.Queue(
        scope,
        construct_id,
        encryption=sqs.QueueEncryption.SQS_MANAGED,
        enforce_ssl=True,
        retention_period=DEAD_LETTER_RETENTION,
    )
