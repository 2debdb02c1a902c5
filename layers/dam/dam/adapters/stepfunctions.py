"""Starting processing runs on Step Functions, idempotently by execution name."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mypy_boto3_stepfunctions import SFNClient


def sfn_client(region: str, endpoint_url: str | None) -> SFNClient:
    import boto3

    return boto3.client("stepfunctions", region_name=region, endpoint_url=endpoint_url)


class StepFunctionsStarter:
    def __init__(self, client: SFNClient, state_machine_arn: str) -> None:
        self._sfn = client
        self._arn = state_machine_arn

    def start(self, name: str, payload: dict[str, object]) -> bool:
        try:
            self._sfn.start_execution(stateMachineArn=self._arn, name=name, input=json.dumps(payload))
        except self._sfn.exceptions.ExecutionAlreadyExists:
            # Standard workflows keep names for 90 days: a replayed event finds its run already there.
            return False
        return True
