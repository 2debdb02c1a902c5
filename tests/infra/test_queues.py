"""Every queue a Lambda function consumes (stacks/queues.py): the upload queue and the library cleanup queue."""

from __future__ import annotations

import pytest

from tests.infra.synth import INFRA_MARKS, Synth, arn_of, ref

pytestmark = INFRA_MARKS

CONSUMERS = ["ingest", "library_worker"]  # attributes of DamStack with .queue, .dead_letters and .handler


@pytest.mark.parametrize("consumer", CONSUMERS)
def test_the_queue_is_encrypted_tls_only_and_dead_letters_after_five_tries(synth: Synth, consumer: str) -> None:
    owner = getattr(synth.stack, consumer)
    assert synth.properties(owner.queue)["RedrivePolicy"] == {
        "deadLetterTargetArn": arn_of(synth.logical_id(owner.dead_letters)),
        "maxReceiveCount": 5,
    }
    for construct in (owner.queue, owner.dead_letters):
        assert synth.properties(construct)["SqsManagedSseEnabled"] is True
    queues = [ref(synth.logical_id(construct)) for construct in (owner.queue, owner.dead_letters)]
    tls_denies = [
        statement
        for policy in synth.of_type("AWS::SQS::QueuePolicy").values()
        if policy["Properties"]["Queues"][0] in queues
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        if statement["Effect"] == "Deny" and statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    ]
    assert len(tls_denies) == 2


@pytest.mark.parametrize("consumer", CONSUMERS)
def test_the_visibility_timeout_is_at_least_six_function_timeouts(synth: Synth, consumer: str) -> None:
    owner = getattr(synth.stack, consumer)
    function = synth.properties(owner.handler.function)
    assert synth.properties(owner.queue)["VisibilityTimeout"] >= 6 * function["Timeout"]
