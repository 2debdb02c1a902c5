"""What a route needs besides its input: the caller and the services, built once per cold start."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from dam.api.identity import caller_from_claims
from dam.domain.identity import Caller

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

    from dam.services.assets import AssetService, UploadLimits
    from dam.settings import ApiSettings


@dataclass
class ApiServices:
    assets: AssetService
    limits: UploadLimits


_app: APIGatewayHttpResolver | None = None
_services: ApiServices | None = None


def attach(app: APIGatewayHttpResolver) -> None:
    global _app  # noqa: PLW0603 - one resolver per process, set once at import
    _app = app


def use_services(built: ApiServices | None) -> None:
    """Replace the services (tests and the local stack); None rebuilds from settings on next use."""
    global _services  # noqa: PLW0603
    _services = built


def build_services(settings: ApiSettings) -> ApiServices:
    from dam.adapters.dynamodb.assets import AssetRepository
    from dam.adapters.dynamodb.models import bind_tables
    from dam.adapters.s3.storage import ObjectStorage, s3_client
    from dam.services.assets import AssetService, UploadLimits

    bind_tables({"Assets": settings.assets_table}, region=settings.region, endpoint_url=settings.endpoint_url)
    storage = ObjectStorage(s3_client(settings.region, settings.endpoint_url), settings.media_bucket)
    limits = UploadLimits(
        max_upload_bytes=settings.max_upload_bytes,
        upload_url_ttl_seconds=settings.upload_url_ttl_seconds,
        download_url_ttl_seconds=settings.download_url_ttl_seconds,
    )
    workflow = None
    if settings.state_machine_arn:
        from dam.adapters.stepfunctions import StepFunctionsStarter, sfn_client

        workflow = StepFunctionsStarter(sfn_client(settings.region, settings.endpoint_url), settings.state_machine_arn)
    return ApiServices(assets=AssetService(AssetRepository(), storage, limits, workflow), limits=limits)


def services() -> ApiServices:
    global _services  # noqa: PLW0603
    if _services is None:
        from dam.settings import ApiSettings

        _services = build_services(ApiSettings())  # values come from the environment
    return _services


def current_caller() -> Caller:
    assert _app is not None, "attach(app) runs when dam.api.app is imported"
    authorizer = _app.current_event.request_context.authorizer
    return caller_from_claims(authorizer.jwt_claim if authorizer else None)
