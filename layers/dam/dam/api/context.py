"""What a route needs besides its input: the caller and the services, built once per cold start."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from dam.api.identity import caller_from_claims
from dam.domain.identity import Caller

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
    from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2

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


@dataclass
class ApiServices:
    assets: AssetService
    limits: UploadLimits
    library: LibraryService
    versions: VersionService
    gate: GenerationGate
    imports: ImportService
    projects: ProjectService
    concepts: ConceptService
    reviews: ReviewService
    trash: TrashService
    audit: AuditService
    comments: CommentService
    # Built on the first search: the index client and the query embedder cost nothing until then.
    search_factory: Callable[[], SearchService] | None = None
    _search: SearchService | None = field(default=None, repr=False)
    # Built on the first draft asked for: the Bedrock client costs nothing until then.
    assistant_factory: Callable[[], AssistantService] | None = None
    _assistant: AssistantService | None = field(default=None, repr=False)

    @property
    def search(self) -> SearchService:
        if self._search is None:
            if self.search_factory is None:
                raise RuntimeError("search is not configured")
            self._search = self.search_factory()
        return self._search

    @property
    def assistant(self) -> AssistantService:
        if self._assistant is None:
            if self.assistant_factory is None:
                raise RuntimeError("the assistant is not configured")
            self._assistant = self.assistant_factory()
        return self._assistant


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
    from dam.adapters.dynamodb.audit import AuditRepository
    from dam.adapters.dynamodb.comments import CommentRepository
    from dam.adapters.dynamodb.concepts import ConceptRepository
    from dam.adapters.dynamodb.imports import ImportRepository
    from dam.adapters.dynamodb.library import LibraryRepository
    from dam.adapters.dynamodb.lineage import LineageRepository
    from dam.adapters.dynamodb.models import bind_tables
    from dam.adapters.dynamodb.projects import ProjectRepository
    from dam.adapters.dynamodb.reviews import ReviewRepository
    from dam.adapters.dynamodb.trash import TrashRepository
    from dam.adapters.dynamodb.versions import VersionRepository
    from dam.adapters.s3.storage import ObjectStorage, s3_client
    from dam.services.assets import AssetService, UploadLimits
    from dam.services.audit import AuditService
    from dam.services.comments import CommentService
    from dam.services.concepts import ConceptService
    from dam.services.imports import ImportLimits, ImportService
    from dam.services.library import LibraryService
    from dam.services.lineage import GenerationGate
    from dam.services.projects import ProjectService
    from dam.services.reviews import ReviewPolicy, ReviewService
    from dam.services.trash import TrashService
    from dam.services.versions import VersionPolicy, VersionService

    tables = {"Assets": settings.assets_table, "Library": settings.library_table}
    bind_tables(
        tables | ({"Audit": settings.audit_table} if settings.audit_table else {}),
        region=settings.region,
        endpoint_url=settings.endpoint_url,
    )
    storage = ObjectStorage(s3_client(settings.region, settings.endpoint_url), settings.media_bucket)
    limits = UploadLimits(
        max_upload_bytes=settings.max_upload_bytes,
        upload_url_ttl_seconds=settings.upload_url_ttl_seconds,
        download_url_ttl_seconds=settings.download_url_ttl_seconds,
        multipart_threshold_bytes=settings.multipart_threshold_bytes,
        multipart_part_bytes=settings.multipart_part_bytes,
    )
    workflow = None
    if settings.state_machine_arn:
        from dam.adapters.stepfunctions import StepFunctionsStarter, sfn_client

        workflow = StepFunctionsStarter(sfn_client(settings.region, settings.endpoint_url), settings.state_machine_arn)
    repository = AssetRepository()
    library = LibraryRepository()
    versions = VersionRepository()
    gate = GenerationGate(repository, versions, LineageRepository())
    assets = AssetService(repository, storage, limits, workflow, library, gate)
    projects = ProjectService(ProjectRepository(), assets, repository, versions)
    comments = CommentRepository()
    version_service = VersionService(
        assets,
        repository,
        versions,
        storage,
        limits,
        VersionPolicy(self_approval_workspaces=settings.self_approval_workspaces),
        gate,
        comments,
    )

    def search_service() -> SearchService:
        from dam.search_wiring import build_query_embedder, build_search_index
        from dam.services.search import SearchService

        embedder = build_query_embedder(settings)
        return SearchService(build_search_index(settings, embedder), repository, embedder, library)

    library_service = LibraryService(assets, repository, library, cleanup_queue(settings))
    return ApiServices(
        assets=assets,
        limits=limits,
        library=library_service,
        versions=version_service,
        gate=gate,
        imports=ImportService(
            ImportRepository(),
            repository,
            storage,
            ImportLimits(
                max_archive_bytes=settings.max_upload_bytes, upload_url_ttl_seconds=settings.upload_url_ttl_seconds
            ),
            library,
        ),
        projects=projects,
        concepts=ConceptService(ConceptRepository(), projects),
        reviews=ReviewService(
            ReviewRepository(),
            assets,
            version_service,
            projects,
            library_service,
            ReviewPolicy(
                all_reviewers_workspaces=settings.all_reviewers_workspaces,
                requests_per_minute=settings.share_requests_per_minute,
            ),
        ),
        trash=TrashService(assets, repository, TrashRepository(), library, days=settings.trash_days),
        audit=AuditService(AuditRepository()),  # reads only: the audit function writes
        comments=CommentService(comments, version_service, repository, versions),
        search_factory=search_service,
        assistant_factory=lambda: build_assistant(settings),
    )


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

        _services = build_services(ApiSettings())  # values come from the environment
    return _services


def current_event() -> APIGatewayProxyEventV2:
    assert _app is not None, "attach(app) runs when dam.api.app is imported"
    event: APIGatewayProxyEventV2 = _app.current_event
    return event


def current_caller() -> Caller:
    assert _app is not None, "attach(app) runs when dam.api.app is imported"
    authorizer = _app.current_event.request_context.authorizer
    return caller_from_claims(authorizer.jwt_claim if authorizer else None)
