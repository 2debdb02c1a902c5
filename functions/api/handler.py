"""API Lambda: API Gateway HTTP API (v2) events in, HTTP responses out. All logic lives in dam.api."""

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from dam.api.app import app
from dam.observability import use_correlation_id

logger = Logger(service="dam-api")


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    # The request's id goes with the work it starts: onto the asset record and into its processing run.
    use_correlation_id(logger.get_correlation_id())
    return app.resolve(event, context)
