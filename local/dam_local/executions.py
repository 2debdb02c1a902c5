"""EventBridge's "Step Functions Execution Status Change" events, locally: moto emits none, so a poller lists the
pipeline's runs that ended FAILED, TIMED_OUT or ABORTED and hands each, once, to the same function the deployed
rule targets (RecordFailure), in the event's shape. A run that timed out or was stopped outside its own Catch is
then a failed asset a user can see and retry, not one `processing` forever.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from dam_local.polling import Poller
from dam_local.resources import ACCOUNT_ID

if TYPE_CHECKING:
    from mypy_boto3_stepfunctions import SFNClient
    from mypy_boto3_stepfunctions.type_defs import DescribeExecutionOutputTypeDef

logger = logging.getLogger("dam_local.executions")

ENDED = ("FAILED", "TIMED_OUT", "ABORTED")  # what the deployed rule's pattern matches (stacks/pipeline.py)
DETAIL_TYPE = "Step Functions Execution Status Change"


def _epoch_ms(moment: dt.datetime | None) -> int | None:
    return int(moment.timestamp() * 1000) if moment else None


def status_change_event(execution: DescribeExecutionOutputTypeDef, region: str) -> dict[str, Any]:
    """The event EventBridge delivers for an execution's final status (input and output included: ours are small)."""
    stopped = execution.get("stopDate")
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": DETAIL_TYPE,
        "source": "aws.states",
        "account": ACCOUNT_ID,
        "time": (stopped or dt.datetime.now(dt.UTC)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [execution["executionArn"]],
        "detail": {
            "executionArn": execution["executionArn"],
            "stateMachineArn": execution["stateMachineArn"],
            "name": execution.get("name"),
            "status": execution["status"],
            "startDate": _epoch_ms(execution.get("startDate")),
            "stopDate": _epoch_ms(stopped),
            "input": execution.get("input"),
            "inputDetails": {"included": True},
            "output": execution.get("output"),
            "outputDetails": {"included": True},
            "error": execution.get("error"),
            "cause": execution.get("cause"),
        },
    }


class ExecutionWatcher(Poller):
    idle_seconds = 2.0

    def __init__(
        self,
        sfn: SFNClient,
        state_machine_arn: str,
        region: str,
        invoke: Callable[[dict[str, Any]], Any],
        *,
        name: str = "execution-watcher",
    ) -> None:
        super().__init__(name, stop_timeout=10)
        self._sfn = sfn
        self._state_machine_arn = state_machine_arn
        self._region = region
        self._invoke = invoke
        self._seen: set[str] = set()

    def poll_once(self) -> int:
        """Deliver every run that ended unsuccessfully since the last poll; returns how many."""
        delivered = 0
        for status in ENDED:
            listed = self._sfn.list_executions(
                stateMachineArn=self._state_machine_arn,
                statusFilter=status,  # type: ignore[arg-type]
                maxResults=100,
            )
            for item in listed["executions"]:
                arn = item["executionArn"]
                if arn in self._seen:
                    continue
                self._seen.add(arn)  # once, like one event per status change; the handler is idempotent anyway
                event = status_change_event(self._sfn.describe_execution(executionArn=arn), self._region)
                try:
                    self._invoke(event)
                except Exception:  # EventBridge would retry, then send it to the rule's DLQ
                    logger.exception("recording the end of run %s failed", item.get("name"))
                delivered += 1
        return delivered
