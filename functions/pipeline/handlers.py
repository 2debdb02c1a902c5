"""Pipeline task Lambdas. Each state machine task is its own Lambda (sized for its work) whose handler
is one of these functions; the steps themselves live in dam.services.processing."""

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from dam import tasks

logger = Logger(service="dam-pipeline")

Step = Callable[[dict[str, Any]], dict[str, Any]]


def _task(step: Step) -> Callable[[dict[str, Any], LambdaContext], dict[str, Any]]:
    @logger.inject_lambda_context
    def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        logger.append_keys(asset_id=event.get("asset_id"), step=step.__name__)
        return step(event)

    return handler


register = _task(tasks.register)
renditions = _task(tasks.renditions)
analyze = _task(tasks.analyze)
embed = _task(tasks.embed)
finalize = _task(tasks.finalize)
record_failure = _task(tasks.record_failure)
