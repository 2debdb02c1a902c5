"""What a route needs besides its input: the caller and the services, built once per cold start."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from dam.api.identity import caller_from_claims
from dam.domain.identity import Caller

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
    from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2

    from dam.adapters.dynamodb.assets import AssetRepository
    from dam.adapters.dynamodb.comments import CommentRepository
    from dam.adapters.dynamodb.library import LibraryRepository
    from dam.adapters.dynamodb.versions import VersionRepository
    from dam.adapters.s3.storage import ObjectStorage
    from dam.services.assets import AssetService, UploadLimits
    from dam.services.assistant import AssistantService
    from dam.services.audit import AuditService
    from dam.services.comments import CommentService
    from dam.services.concepts import ConceptService
    from dam.services.imports import ImportService
    from dam.services.library import LibraryService
    from dam.services.lineage import GenerationGate
    from dam.services.ports import CleanupQueue
    from dam.services.projects import ProjectService
    from dam.services.reviews import ReviewService
    from dam.services.search import SearchService
    from dam.services.trash import TrashService
    from dam.services.versions import VersionService
    from dam.settings import ApiSettings


class ApiServices:
    """The API's services, each built (and its modules imported) when a request first asks for it: a cold
    start pays for what its first request uses (a gallery page: assets and the library), not for the other
    ten. Built from one settings object; a test or the local stack may set any of them instead."""

    def __init__(self, settings: ApiSettings) -> None:
        from dam.adapters.dynamodb.models import bind_tables

        self.settings = settings
        tables = {"Assets": settings.assets_table, "Library": settings.library_table}
        bind_tables(
            tables | ({"Audit": settings.audit_table} if settings.audit_table else {}),
            region=settings.region,
            endpoint_url=settings.endpoint_url,
        )

    def build_all(self) -> None:
        """Build every service now (the local stack warms up as provisioned concurrency would)."""
        for name in SERVICES:
            getattr(self, name)

    # The records and stores several services share.
    @cached_property
    def storage(self) -> ObjectStorage:
        from dam.adapters.s3.storage import ObjectStorage, s3_client

        settings = self.settings
        return ObjectStorage(s3_client(settings.region, settings.endpoint_url), settings.media_bucket)

    @cached_property
    def asset_records(self) -> AssetRepository:
        from dam.adapters.dynamodb.assets import AssetRepository

        return AssetRepository()

    @cached_property
    def library_records(self) -> LibraryRepository:
        from dam.adapters.dynamodb.library import LibraryRepository

        return LibraryRepository()

    @cached_property
    def version_records(self) -> VersionRepository:
        from dam.adapters.dynamodb.versions import VersionRepository

        return VersionRepository()

    @cached_property
    def comment_records(self) -> CommentRepository:
        from dam.adapters.dynamodb.comments import CommentRepository

        return CommentRepository()

    @cached_property
    def limits(self) -> UploadLimits:
        from dam.services.assets import UploadLimits

        settings = self.settings
        return UploadLimits(
            max_upload_bytes=settings.max_upload_bytes,
            upload_url_ttl_seconds=settings.upload_url_ttl_seconds,
            download_url_ttl_seconds=settings.download_url_ttl_seconds,
            multipart_threshold_bytes=settings.multipart_threshold_bytes,
            multipart_part_bytes=settings.multipart_part_bytes,
        )

    # The services the routes call.
    @cached_property
    def gate(self) -> GenerationGate:
        from dam.adapters.dynamodb.lineage import LineageRepository
        from dam.services.lineage import GenerationGate

        return GenerationGate(self.asset_records, self.version_records, LineageRepository())

    @cached_property
    def assets(self) -> AssetService:
        from dam.services.assets import AssetService

        workflow = None
        if self.settings.state_machine_arn:
            from dam.adapters.stepfunctions import StepFunctionsStarter, sfn_client

            client = sfn_client(self.settings.region, self.settings.endpoint_url)
            workflow = StepFunctionsStarter(client, self.settings.state_machine_arn)
        return AssetService(self.asset_records, self.storage, self.limits, workflow, self.library_records, self.gate)

    @cached_property
    def library(self) -> LibraryService:
        from dam.services.library import LibraryService

        return LibraryService(self.assets, self.asset_records, self.library_records, cleanup_queue(self.settings))

    @cached_property
    def versions(self) -> VersionService:
        from dam.services.versions import VersionPolicy, VersionService

        return VersionService(
            self.assets,
            self.asset_records,
            self.version_records,
            self.storage,
            self.limits,
            VersionPolicy(self_approval_workspaces=self.settings.self_approval_workspaces),
            self.gate,
            self.comment_records,
        )

    @cached_property
    def imports(self) -> ImportService:
        from dam.adapters.dynamodb.imports import ImportRepository
        from dam.services.imports import ImportLimits, ImportService

        settings = self.settings
        limits = ImportLimits(
            max_archive_bytes=settings.max_upload_bytes, upload_url_ttl_seconds=settings.upload_url_ttl_seconds
        )
        return ImportService(ImportRepository(), self.asset_records, self.storage, limits, self.library_records)

    @cached_property
    def projects(self) -> ProjectService:
        from dam.adapters.dynamodb.projects import ProjectRepository
        from dam.services.projects import ProjectService

        return ProjectService(ProjectRepository(), self.assets, self.asset_records, self.version_records)

    @cached_property
    def concepts(self) -> ConceptService:
        from dam.adapters.dynamodb.concepts import ConceptRepository
        from dam.services.concepts import ConceptService

        return ConceptService(ConceptRepository(), self.projects)

    @cached_property
    def reviews(self) -> ReviewService:
        from dam.adapters.dynamodb.reviews import ReviewRepository
        from dam.services.reviews import ReviewPolicy, ReviewService

        settings = self.settings
        policy = ReviewPolicy(
            all_reviewers_workspaces=settings.all_reviewers_workspaces,
            requests_per_minute=settings.share_requests_per_minute,
        )
        return ReviewService(ReviewRepository(), self.assets, self.versions, self.projects, self.library, policy)

    @cached_property
    def trash(self) -> TrashService:
        from dam.adapters.dynamodb.trash import TrashRepository
        from dam.services.trash import TrashService

        return TrashService(
            self.assets, self.asset_records, TrashRepository(), self.library_records, days=self.settings.trash_days
        )

    @cached_property
    def audit(self) -> AuditService:
        from dam.adapters.dynamodb.audit import AuditRepository
        from dam.services.audit import AuditService

        return AuditService(AuditRepository())  # reads only: the audit function writes

    @cached_property
    def comments(self) -> CommentService:
        from dam.services.comments import CommentService

        return CommentService(self.comment_records, self.versions, self.asset_records, self.version_records)

    @cached_property
    def search(self) -> SearchService:
        """The index client and the query embedder."""
        from dam.search_wiring import build_query_embedder, build_search_index
        from dam.services.search import SearchService

        embedder = build_query_embedder(self.settings)
        index = build_search_index(self.settings, embedder)
        return SearchService(index, self.asset_records, embedder, self.library_records)

    @cached_property
    def assistant(self) -> AssistantService:
        return build_assistant(self.settings)


# What build_all() builds (search and the assistant too: the local stack's warm-up loads the embedder).
SERVICES = (
    "assets", "library", "versions", "gate", "imports", "projects", "concepts", "reviews", "trash", "audit",
    "comments", "search", "assistant",
)  # fmt: skip

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
    return ApiServices(settings)


def cleanup_queue(settings: ApiSettings) -> CleanupQueue | None:
    if not settings.library_queue_url:
        return None
    from dam.adapters.sqs import SqsCleanupQueue, sqs_client

    return SqsCleanupQueue(sqs_client(settings.region, settings.endpoint_url), settings.library_queue_url)


def build_assistant(settings: ApiSettings) -> AssistantService:
    """Bedrock on AWS (`DAM_ASSISTANT=bedrock`); offline, the screenplay breakdown that invents nothing."""
    from dam.services.assistant import AssistantService

    if settings.assistant == "bedrock":
        import boto3
        from botocore.config import Config

        from dam.adapters.bedrock_assistant import BedrockWritingAssistant

        # A person waits for the answer: one SDK retry, then the 503 "busy" says try again.
        retries = Config(retries={"mode": "standard", "max_attempts": 2})
        client = boto3.client("bedrock-runtime", region_name=settings.region, config=retries)
        return AssistantService(BedrockWritingAssistant(client, settings.assistant_model_id))
    from dam.adapters.screenplay import ScreenplayAssistant

    return AssistantService(ScreenplayAssistant())


def services() -> ApiServices:
    global _services  # noqa: PLW0603
    if _services is None:
        from dam.settings import ApiSettings

        _services = build_services(ApiSettings.from_environment())  # values come from the environment
    return _services


def current_event() -> APIGatewayProxyEventV2:
    assert _app is not None, "attach(app) runs when dam.api.app is imported"
    event: APIGatewayProxyEventV2 = _app.current_event
    return event


def current_caller() -> Caller:
    assert _app is not None, "attach(app) runs when dam.api.app is imported"
    authorizer = _app.current_event.request_context.authorizer
    return caller_from_claims(authorizer.jwt_claim if authorizer else None)
