"""The local stand-in for EventBridge's schedule: the trash sweep goes to the worker's queue at start and
then at the configured rate, as the message the worker reads as a sweep."""

from __future__ import annotations

import json
from typing import Any

import pytest

from dam.adapters.sqs import read_message
from dam.domain.trash import TrashSweep
from dam_local.schedule import SWEEP_SECONDS_VARIABLE, TRASH_SWEEP, TRASH_SWEEP_SECONDS, Schedule, sweep_interval


class Queue:
    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    def send_message(self, **request: Any) -> None:
        self.sent.append(request)


def test_the_first_sweep_goes_at_start_then_one_a_period() -> None:
    queue = Queue()
    schedule = Schedule(queue, "q-url", TRASH_SWEEP, every_seconds=3600, name="t")  # type: ignore[arg-type]
    for _ in range(3):
        schedule.poll_once()
    assert [m["QueueUrl"] for m in queue.sent] == ["q-url"]
    assert read_message(queue.sent[0]["MessageBody"]) == TrashSweep()
    assert json.loads(queue.sent[0]["MessageBody"]) == {"sweep": "trash"}


def test_the_rate_is_the_deployed_hour_unless_set() -> None:
    assert sweep_interval({}) == TRASH_SWEEP_SECONDS == 3600
    assert sweep_interval({SWEEP_SECONDS_VARIABLE: "5"}) == 5
    with pytest.raises(ValueError, match=SWEEP_SECONDS_VARIABLE):
        sweep_interval({SWEEP_SECONDS_VARIABLE: "0"})
