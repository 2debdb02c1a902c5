"""The processing pipeline's steps. Step Functions runs them; each is one Lambda task.

Register → Renditions → Analyze (the preview Renditions wrote) → Embed → Finalize, any failure → RecordFailure.
Every step re-reads the asset, so a step replayed by a retry, or one that finds the asset deleted
meanwhile, does the right thing.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from dam.domain.assets import Asset, AssetStatus, utcnow
from dam.domain.errors import Conflict, ContentRejected, ContentUnreadable, DomainError
from dam.domain.formats import FORMATS, Format, MediaType, format_for_content_type
from dam.domain.versions import Version, parse_version_key, renditions_prefix, view_of
from dam.observability import correlation_id
from dam.services.ports import AssetStore, BlobStore, VersionStore

if TYPE_CHECKING:
    from dam.adapters.s3.storage import StoredObject
    from dam.imaging.limits import ImageLimits
    from dam.services.analysis_ports import ImageAnalyzer, TextEmbedder

_SAVE_ATTEMPTS = 5
_FORMATS_BY_NAME = {fmt.name: fmt for fmt in FORMATS}
_EXTENSION_BY_TYPE = {
    "image/webp": "webp",
    "image/png": "png",
    "image/jpeg": "jpg",
    "image/svg+xml": "svg",
    "application/json": "json",
    "text/plain; charset=utf-8": "txt",
}


class AssetGone(DomainError):
    """The asset was deleted while its file was being processed: nothing left to do."""

    code = "asset_gone"


class UploadSuperseded(DomainError):
    """Bytes written at the original's key after its checks: refused and removed, the checked ones stay."""

    code = "upload_superseded"


@dataclass(frozen=True)
class ProcessingRequest:
    """A processing run's input, as the dispatcher (or the API, for re-runs) starts it."""

    asset_id: str
    workspace_id: str
    bucket: str
    key: str
    etag: str | None = None
    version_id: str | None = None  # the stored object version the notification announced
    mode: str = "full"  # "full" | "analyze" (re-analysis never redoes renditions)
    hint: str | None = None
    reuse_analysis: bool = False  # re-embed after an edit: keep the stored analysis, skip the vision model
    # The request the run belongs to (every step logs it) and when the run was asked for (epoch seconds).
    correlation_id: str | None = field(default_factory=correlation_id)
    started_at: float | None = field(default_factory=time.time)

    @classmethod
    def from_event(cls, event: dict[str, Any]) -> ProcessingRequest:
        fields: dict[str, Any] = {name: event[name] for name in cls.__dataclass_fields__ if name in event}
        return cls(**fields)

    def to_event(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class ProcessingLimits:
    max_upload_bytes: int
    image: ImageLimits


class ProcessingService:
    def __init__(
        self,
        assets: AssetStore,
        storage: BlobStore,
        limits: ProcessingLimits,
        analyzer: ImageAnalyzer | None = None,
        embedder: TextEmbedder | None = None,
        versions: VersionStore | None = None,
    ) -> None:
        self._versions = versions  # None: only each asset's active version is processed
        self._assets = assets
        self._storage = storage
        self._limits = limits
        self._analyzer = analyzer
        self._embedder = embedder

    # --- steps ---------------------------------------------------------------------------------

    def register(self, request: ProcessingRequest) -> dict[str, Any]:
        """Decide what the file really is, enforce the limits, and mark the asset processing, reading only
        the headers that settle it (ranged reads): Renditions is the one step that reads the whole file.

        The stored version checked here is recorded, and every later read and link is pinned to it: bytes
        written at the key afterwards (a presigned POST can be used again until it expires) are removed.
        """
        from dam.imaging.limits import probe_image
        from dam.imaging.sniff import sniff_stream

        asset = self._load(request)
        # An upload notification without a version id (moto sends none) names the newest object; a re-run
        # from the API re-reads the checked one.
        announced = request.version_id or (None if request.etag else asset.original_version)
        stored = self._storage.head(request.key, announced)
        if stored is None:
            if _checked(asset):
                raise UploadSuperseded(f"the object announced for asset {asset.asset_id} is gone")
            raise ContentRejected("The upload could not be found in storage; upload the file again.")
        if _checked(asset) and not _is_checked_object(asset, stored):
            self._discard(request, stored)
        size = stored.size
        if size == 0:
            raise ContentRejected("The file is empty.")
        if size > self._limits.max_upload_bytes:
            raise ContentRejected(f"The file is {size} bytes; the limit is {self._limits.max_upload_bytes}.")
        if size != asset.size:
            # S3 enforces the signed size; storage that doesn't (moto) must not let another size through.
            raise ContentRejected(f"The file is {size} bytes, but the upload declared {asset.size} bytes.")
        with self._storage.open(stored, request.key) as original_file:
            fmt = sniff_stream(original_file, size, format_for_content_type(asset.content_type))
            dimensions: dict[str, int] = {}
            if fmt.media_type is MediaType.IMAGE and fmt.name != "SVG":
                original_file.seek(0)
                width, height = probe_image(original_file, fmt, self._limits.image)
                dimensions = {"width": width, "height": height}

        def mark(current: Asset) -> Asset:
            if stored.version_id and _checked(current) and not _is_checked_object(current, stored):
                raise _Superseded  # another run checked another version first: that one stays
            return current.model_copy(
                update={
                    "status": AssetStatus.PROCESSING,
                    "status_reason": None,
                    "size": size,
                    "content_type": fmt.content_type,
                    "media_type": fmt.media_type,
                    "original_version": stored.version_id,
                    "original_etag": stored.etag,
                    "metadata": {**current.metadata, **dimensions, "format": fmt.name},
                }
            )

        try:
            self._update(request, mark)
        except _Superseded:
            self._discard(request, stored)
        return {"format": fmt.name, "media_type": fmt.media_type.value, "size": size, "version_id": stored.version_id}

    def _discard(self, request: ProcessingRequest, stored: StoredObject) -> None:
        """Remove a version written after the checks and note it on the asset; the run ends here.
        Without versions (a bucket that keeps none) the checked bytes are gone: these are checked anew."""
        if stored.version_id is None:
            return
        self._storage.delete_version(request.key, stored.version_id)
        self._update(request, lambda asset: asset.model_copy(update={"discarded_uploads": asset.discarded_uploads + 1}))
        raise UploadSuperseded(f"a later upload to asset {request.asset_id}'s original was removed")

    def renditions(self, request: ProcessingRequest, format_name: str, version_id: str | None) -> dict[str, Any]:
        """From the one download of the version Register checked: its SHA-256 (checked against the client's,
        recorded at once, linking an exact duplicate), the thumbnail, preview and friends written beside the
        original, and the words inside a document. The renditions are recorded by Finalize."""
        from dam.imaging.extract import document_text, extracts_text
        from dam.imaging.renditions import make_renditions
        from dam.imaging.sniff import sha256_of

        fmt = _FORMATS_BY_NAME[format_name]
        text: str | None = None
        with self._original(request.key, version_id) as path:
            self._record_checksum(request, sha256_of(path), version_id)
            made = make_renditions(path, fmt, self._limits.image)
            if fmt.media_type is not MediaType.IMAGE and extracts_text(fmt):
                text = document_text(path, fmt) or None
        prefix = renditions_prefix(request.key)
        renditions = {}
        for file in made.files:
            ext = _EXTENSION_BY_TYPE.get(file.content_type, "bin")
            key = f"{prefix}{file.name}.{ext}"
            version_id = self._storage.upload(key, file.data, file.content_type)
            renditions[file.name] = {
                "key": key,
                "version_id": version_id,
                "content_type": file.content_type,
                "size": len(file.data),
                "width": file.width,
                "height": file.height,
            }
        result: dict[str, Any] = {"renditions": renditions, "placeholder": made.placeholder, "metadata": made.metadata}
        if text is not None:
            result["document_text"] = text
        return result

    def _record_checksum(self, request: ProcessingRequest, checksum: str, version_id: str | None) -> None:
        """The checksum on the record as soon as it is known: a client resuming an upload, or an import,
        finds the bytes already stored while they are still being processed."""
        original = self._assets.find_by_checksum(request.workspace_id, checksum, excluding=request.asset_id)

        def hashed(current: Asset) -> Asset:
            if version_id and current.original_version != version_id:
                raise UploadSuperseded(f"another upload to asset {request.asset_id} was checked meanwhile")
            if current.expected_sha256 and checksum != current.expected_sha256:
                raise ContentUnreadable(
                    f"The file's SHA-256 is {checksum}, but the upload declared {current.expected_sha256}: "
                    "it was damaged on the way. Upload it again."
                )
            return current.model_copy(
                update={"checksum_sha256": checksum, "duplicate_of": original.asset_id if original else None}
            )

        self._update(request, hashed)

    def analyze(self, request: ProcessingRequest, made: dict[str, Any] | None = None) -> dict[str, Any]:
        """Describe and tag images with the vision model, which sees the preview Renditions wrote (`made`; a
        re-analysis uses the asset's own); pass on the words Renditions read inside a document."""
        asset = self._load(request)
        if request.reuse_analysis:
            return {"analysis": asset.analysis, "document_text": asset.document_text}
        fmt = format_for_content_type(asset.content_type)
        if fmt is not None and fmt.media_type is not MediaType.IMAGE:
            from dam.imaging.extract import document_text, extracts_text

            if not extracts_text(fmt):
                return {"analysis": None}
            if made is not None:
                return {"analysis": None, "document_text": made.get("document_text")}
            with self._original(asset.original_key, asset.original_version) as path:
                return {"analysis": None, "document_text": document_text(path, fmt) or None}
        if self._analyzer is None or fmt is None:
            return {"analysis": None}
        # The 1280 px preview is what the vision model sees: upright, sRGB, 8-bit, whatever the original was.
        renditions = made["renditions"] if made is not None else asset.model_dump(mode="json")["renditions"]
        metadata = {**asset.metadata, **((made or {}).get("metadata") or {})}
        preview = renditions.get("preview")
        if preview is None:
            return {"analysis": None}
        width, height = metadata.get("width"), metadata.get("height")
        analysis = self._analyzer.analyze(
            self._storage.read(preview["key"], preview.get("version_id")),
            str(preview["content_type"]),
            hint=request.hint,
            context=asset.name,
            original_size=(width, height) if isinstance(width, int) and isinstance(height, int) else None,
        )
        return {"analysis": analysis.model_dump(mode="json")}

    def embed(
        self, request: ProcessingRequest, analysis: dict[str, Any] | None, document_text: str | None = None
    ) -> dict[str, Any]:
        """One paragraph from everything known about the asset, and its vector for semantic search. An asset
        with too few words of its own gets no vector: it would be every query's nearest neighbour."""
        from dam.domain.analysis import MIN_CONTENT_WORDS, ImageAnalysis, content_words, search_context

        asset = self._load(request)
        parsed = ImageAnalysis.model_validate(analysis) if analysis else None
        generation = asset.generation
        facts: dict[str, Any] = {
            "name": asset.name,
            "analysis": parsed,
            "tags": asset.tags,
            "notes": asset.notes,
            "prompt": generation.prompt if generation else None,
            "enhanced_prompt": generation.enhanced_prompt if generation else None,
            "document_text": document_text,
        }
        context = search_context(asset_type=asset.asset_type.value, **facts)
        result: dict[str, Any] = {
            "analysis": analysis,
            "search_context": context,
            "document_text": document_text,
            "embedding": None,
        }
        meaningful = len(content_words(filename=asset.filename, **facts)) >= MIN_CONTENT_WORDS
        if self._embedder is not None and meaningful:
            result["embedding"] = {
                "model": self._embedder.model_id,
                "vector": self._embedder.embed_documents([context])[0],
            }
        return result

    def finalize(self, request: ProcessingRequest, outputs: list[dict[str, Any]]) -> dict[str, Any]:
        """Write every step's results to the record at once; the asset is ready."""
        merged: dict[str, Any] = {}
        for output in outputs:
            merged.update(output)

        failure = merged.get("analysis_failed")

        def ready(current: Asset) -> Asset:
            update: dict[str, Any] = {"status": AssetStatus.READY, "status_reason": None}
            if failure:
                reason = _readable_reason(str(failure.get("Error", "Unknown")), failure.get("Cause"))
                update = {"status": AssetStatus.FAILED, "status_reason": f"Analysis failed: {reason}"}
            if "renditions" in merged:
                update["renditions"] = merged["renditions"]
                update["placeholder"] = merged.get("placeholder")
                update["metadata"] = {**current.metadata, **(merged.get("metadata") or {})}
            if "search_context" in merged:
                update["analysis"] = merged.get("analysis")
                update["search_context"] = merged["search_context"]
                update["document_text"] = merged.get("document_text")
                embedding = merged.get("embedding")
                update["embedding"] = embedding["vector"] if embedding else None
                update["embedding_model"] = embedding["model"] if embedding else None
            return current.model_validate({**current.model_dump(), **update})

        asset = self._update(request, ready)
        return {"status": asset.status.value, "media_type": asset.media_type.value}

    def record_failure(self, request: ProcessingRequest, error: str, cause: str | None) -> dict[str, Any]:
        """The end of a run that could not finish: `rejected` for unacceptable files, `failed` otherwise.
        The original is kept either way, so a user can download it or retry."""
        if error == AssetGone.__name__:
            return {"status": "gone"}
        if error == UploadSuperseded.__name__:
            return {"status": "superseded"}  # the asset keeps what its checked version gave it
        status = AssetStatus.REJECTED if error == ContentRejected.__name__ else AssetStatus.FAILED
        reason = _readable_reason(error, cause)
        try:
            self._update(
                request, lambda current: current.model_copy(update={"status": status, "status_reason": reason})
            )
        except AssetGone:
            return {"status": "gone"}
        return {"status": status.value, "reason": reason}

    def run_ended(
        self, request: ProcessingRequest, status: str, error: str | None, cause: str | None
    ) -> dict[str, Any]:
        """A run that ended without reaching its own RecordFailure or Finalize (it timed out, was stopped, or
        failed outside any Catch) leaves its asset `processing`: record the failure, so the user sees it and can
        retry. A run that ended through RecordFailure left a final status, which stays; so does an asset that a
        newer upload has moved on (another ETag than this run's)."""
        name = RUN_END_ERRORS.get(status) or error or "States.Runtime"
        reason = _readable_reason(name, cause)
        target = AssetStatus.REJECTED if name == ContentRejected.__name__ else AssetStatus.FAILED

        def fail(current: Asset) -> Asset:
            if current.status not in UNFINISHED or _another_upload(current, request):
                raise _Superseded
            return current.model_copy(update={"status": target, "status_reason": reason})

        try:
            self._update(request, fail)
        except AssetGone:
            return {"status": "gone"}
        except _Superseded:
            return {"status": "unchanged"}
        return {"status": target.value, "reason": reason}

    # --- helpers -------------------------------------------------------------------------------

    def _load(self, request: ProcessingRequest) -> Asset:
        """The asset as the processed version shows it (the asset itself when that version is active)."""
        asset, version = self._load_both(request)
        return asset if version is None or version.number == asset.active_version else view_of(asset, version)

    def _load_both(self, request: ProcessingRequest) -> tuple[Asset, Version | None]:
        asset = self._assets.get(request.asset_id)
        if asset is None or asset.workspace_id != request.workspace_id or asset.status is AssetStatus.DELETING:
            raise AssetGone(f"asset {request.asset_id} no longer exists")
        located = parse_version_key(request.key)
        number = located.number if located else asset.active_version
        version = self._versions.get(asset.workspace_id, asset.asset_id, number) if self._versions else None
        if version is None and number != asset.active_version:
            raise AssetGone(f"version {number} of asset {request.asset_id} no longer exists")
        return asset, version

    def _update(self, request: ProcessingRequest, change: Any) -> Asset:
        """Apply `change` to the freshest copy; a user's concurrent edit is re-read, never overwritten.
        The version's own record gets the results; the asset too while that version is the active one."""
        for _attempt in range(_SAVE_ATTEMPTS):
            asset, version = self._load_both(request)
            try:
                if version is not None and version.number != asset.active_version:
                    changed: Asset = change(view_of(asset, version))
                    self._save_version(version.with_facts_of(changed))
                    return changed
                saved = self._assets.save(change(asset).model_copy(update={"updated_at": utcnow()}))
                if version is not None:
                    self._save_version(version.with_facts_of(saved))
                return saved
            except Conflict:
                continue
        raise Conflict(f"asset {request.asset_id} kept changing while saving results")

    def _save_version(self, version: Version) -> None:
        assert self._versions is not None  # a version was read, so there is a store
        self._versions.save(version)

    @contextmanager
    def _original(self, key: str, version_id: str | None) -> Iterator[str]:
        with tempfile.TemporaryDirectory(prefix="dam-") as folder:
            path = os.path.join(folder, "original")
            self._storage.download(key, path, version_id)
            yield path


class _Superseded(Exception):
    """Raised inside a save to abandon it: another run recorded another version meanwhile."""


def _checked(asset: Asset) -> bool:
    return bool(asset.original_version or asset.original_etag)


def _is_checked_object(asset: Asset, stored: StoredObject) -> bool:
    if asset.original_version or stored.version_id:
        return stored.version_id == asset.original_version
    return stored.etag == asset.original_etag


# An execution's final status (as Step Functions reports it) → the error name its failure is recorded with.
RUN_END_ERRORS = {"TIMED_OUT": "States.Timeout", "ABORTED": "States.Aborted"}
UNFINISHED = (AssetStatus.UPLOADED, AssetStatus.PROCESSING)


def _another_upload(asset: Asset, request: ProcessingRequest) -> bool:
    """Whether the asset now shows other bytes than the ones this run was started for."""
    if request.version_id and asset.original_version:
        return request.version_id != asset.original_version
    return bool(request.etag and asset.original_etag and request.etag.strip('"') != asset.original_etag)


def _readable_reason(error: str, cause: str | None) -> str:
    """Step Functions hands over the Lambda error as JSON text; keep the human part."""
    message = cause or ""
    try:
        parsed = json.loads(cause) if cause else {}
        if isinstance(parsed, dict):
            message = str(parsed.get("errorMessage") or message)
    except ValueError:
        pass
    if error in (ContentRejected.__name__, "ContentUnreadable"):
        return message or "The file could not be read."
    if error in ("States.Timeout", "Sandbox.Timedout") or error.endswith("TimeoutError"):
        return "Processing took too long. Try again, or upload a smaller file."
    if error == "States.Aborted":
        return "Processing was stopped before it finished. Try again."
    return f"Processing failed ({error}): {message}"[:1000] if message else f"Processing failed ({error})."


def format_named(name: str) -> Format:
    return _FORMATS_BY_NAME[name]
