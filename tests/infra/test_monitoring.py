"""Monitoring on the synthesized template: an alarm for every dead-letter queue and every function (found in
the template, so what is added later is covered), the state machine's failures, the API's 5xx rate and p99
latency, the upload queue's oldest message, the search domain's health; one dashboard across the stages."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.infra.synth import ALARM_TOPIC, INFRA_MARKS, Synth

pytestmark = INFRA_MARKS


def alarms(synth: Synth) -> list[dict[str, Any]]:
    return [alarm["Properties"] for alarm in synth.of_type("AWS::CloudWatch::Alarm").values()]


def watching(synth: Synth, namespace: str, metric: str) -> dict[str, dict[str, Any]]:
    """The single-metric alarms on `metric`, by the value of their (only) dimension, as JSON text."""
    found = {}
    for alarm in alarms(synth):
        if alarm.get("Namespace") == namespace and alarm.get("MetricName") == metric:
            (dimension,) = alarm["Dimensions"]
            found[json.dumps(dimension["Value"], sort_keys=True)] = alarm
    return found


def key(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def dead_letter_targets(synth: Synth) -> set[str]:
    """Every queue the template names as where failures go, found generically: a queue's redrive target, an
    event source mapping's on-failure destination, a function's or a rule target's dead-letter config."""
    targets = set()
    for resource in synth.resources.values():
        props = resource.get("Properties", {})
        candidates = [
            (props.get("RedrivePolicy") or {}).get("deadLetterTargetArn"),
            ((props.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination"),
            (props.get("DeadLetterConfig") or {}).get("TargetArn"),
            *[(t.get("DeadLetterConfig") or {}).get("Arn") for t in props.get("Targets", []) if isinstance(t, dict)],
        ]
        for arn in candidates:
            if isinstance(arn, dict) and "Fn::GetAtt" in arn:
                logical_id = arn["Fn::GetAtt"][0]
                if synth.resources[logical_id]["Type"] == "AWS::SQS::Queue":
                    targets.add(logical_id)
    return targets


def test_every_dead_letter_queue_in_the_template_has_an_alarm(synth: Synth) -> None:
    targets = dead_letter_targets(synth)
    stack = synth.stack
    # The upload queue's redrive target and the indexer's on-failure destination, at least.
    assert {synth.logical_id(stack.ingest.dead_letters), synth.logical_id(stack.search.dead_letters)} <= targets
    watched = watching(synth, "AWS/SQS", "ApproximateNumberOfMessagesVisible")
    for logical_id in targets:
        alarm = watched[key({"Fn::GetAtt": [logical_id, "QueueName"]})]
        assert (alarm["Threshold"], alarm["ComparisonOperator"]) == (1, "GreaterThanOrEqualToThreshold")
        assert alarm["Statistic"] == "Maximum"
    # Only dead-letter queues: the upload queue itself is watched by its age, not its depth.
    assert len(watched) == len(targets)


def test_a_dead_letter_queue_added_by_another_construct_gets_its_alarm(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A construct added to the stack later (before Monitoring) with its own queue and DLQ needs no change here."""
    from aws_cdk import aws_sqs as sqs

    from stacks import dam_stack
    from tests.infra.synth import synthesize

    original = dam_stack.Monitoring

    def with_fan_out(scope: Any, construct_id: str, **kwargs: Any) -> Any:
        dead = sqs.Queue(scope, "FanOutDeadLetters", enforce_ssl=True)
        sqs.Queue(
            scope,
            "FanOut",
            enforce_ssl=True,
            dead_letter_queue=sqs.DeadLetterQueue(queue=dead, max_receive_count=3),
        )
        return original(scope, construct_id, **kwargs)

    monkeypatch.setattr(dam_stack, "Monitoring", with_fan_out)
    synth = synthesize(tmp_path_factory.mktemp("cdk-fan-out"), {})
    dead = next(i for i in synth.of_type("AWS::SQS::Queue") if synth.path(i).endswith("/FanOutDeadLetters/Resource"))
    assert dead in dead_letter_targets(synth)
    assert key({"Fn::GetAtt": [dead, "QueueName"]}) in watching(synth, "AWS/SQS", "ApproximateNumberOfMessagesVisible")


@pytest.mark.parametrize("metric", ["Errors", "Throttles"])
def test_every_function_has_error_and_throttle_alarms(synth: Synth, metric: str) -> None:
    functions = set(synth.of_type("AWS::Lambda::Function"))
    assert len(functions) >= 9  # API, dispatcher, six pipeline steps, indexer (and custom-resource handlers)
    watched = watching(synth, "AWS/Lambda", metric)
    assert {key({"Ref": logical_id}) for logical_id in functions} <= set(watched)
    assert all(alarm["Threshold"] == 1 and alarm["Statistic"] == "Sum" for alarm in watched.values())


def test_the_state_machines_failures_raise_an_alarm(synth: Synth) -> None:
    (state_machine,) = synth.of_type("AWS::StepFunctions::StateMachine")
    assert key({"Ref": state_machine}) in watching(synth, "AWS/States", "ExecutionsFailed")


def test_the_apis_5xx_rate_and_p99_latency_raise_alarms(synth: Synth) -> None:
    """HTTP APIs publish `5xx`, `Count` and `Latency` under AWS/ApiGateway with the dimension ApiId."""
    api_id = {"Ref": synth.logical_id(synth.stack.api.http_api)}
    (latency,) = watching(synth, "AWS/ApiGateway", "Latency").values()
    assert latency["Dimensions"] == [{"Name": "ApiId", "Value": api_id}]
    assert (latency["ExtendedStatistic"], latency["Threshold"]) == ("p99", 5000)
    (rate,) = [a for a in alarms(synth) if "Metrics" in a and "errors / requests" in json.dumps(a["Metrics"])]
    used = {m["Id"]: m["MetricStat"]["Metric"] for m in rate["Metrics"] if "MetricStat" in m}
    assert {name: metric["MetricName"] for name, metric in used.items()} == {"requests": "Count", "errors": "5xx"}
    assert all(metric["Dimensions"] == [{"Name": "ApiId", "Value": api_id}] for metric in used.values())
    assert rate["Threshold"] == 1


def test_uploads_waiting_in_the_queue_raise_an_alarm(synth: Synth) -> None:
    queue = synth.logical_id(synth.stack.ingest.queue)
    alarm = watching(synth, "AWS/SQS", "ApproximateAgeOfOldestMessage")[key({"Fn::GetAtt": [queue, "QueueName"]})]
    assert (alarm["Threshold"], alarm["Statistic"]) == (600, "Maximum")


def test_the_search_domains_health_raises_alarms(synth: Synth) -> None:
    """OpenSearch publishes under AWS/ES with the dimensions DomainName and ClientId (the account)."""
    for metric in ("ClusterStatus.red", "FreeStorageSpace"):
        (alarm,) = [a for a in alarms(synth) if a.get("Namespace") == "AWS/ES" and a.get("MetricName") == metric]
        assert {d["Name"] for d in alarm["Dimensions"]} == {"DomainName", "ClientId"}


def test_every_alarm_notifies_the_topic_when_there_is_one(synth: Synth, prod_synth: Synth) -> None:
    assert all("AlarmActions" not in alarm for alarm in alarms(synth))
    assert all(alarm["AlarmActions"] == [ALARM_TOPIC] for alarm in alarms(prod_synth))


def dashboard_body(synth: Synth) -> dict[str, Any]:
    """The dashboard's JSON with the template's references left as placeholders."""
    _, dashboard = synth.one("AWS::CloudWatch::Dashboard")
    body = dashboard["Properties"]["DashboardBody"]
    if isinstance(body, dict):  # {"Fn::Join": ["", [text, {"Ref": …}, text, …]]}
        body = "".join(part if isinstance(part, str) else "REF" for part in body["Fn::Join"][1])
    return json.loads(body)


def test_one_dashboard_shows_every_stage_of_the_pipeline(synth: Synth) -> None:
    widgets = dashboard_body(synth)["widgets"]
    titles = [w["properties"].get("title", "") for w in widgets]
    for stage in ("API", "Ingest", "Pipeline", "Indexer", "Search", "Dead-letter queues", "Alarms"):
        assert any(title.startswith(stage) for title in titles), (stage, titles)
    text = json.dumps(widgets)
    for metric in ("AssetsProcessed", "ProcessingTime", "AssetsRejected", "AnalysisLatency", "SearchLatency"):
        assert f'MetricName=\\\\"{metric}\\\\"' in text or f'MetricName=\\"{metric}\\"' in text, metric
