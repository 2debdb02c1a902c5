"""After a restart, assets whose processing was cut short by the stop are finished or marked failed.

On AWS, S3's notification and the Step Functions run outlive any one process; locally both lived in the
stopped process's memory, so an asset `uploaded` or `processing` at the stop would wait forever. Each is
handed to the ingest service again (as S3's notification would), which starts a fresh run; the run ends
`ready`, or `failed` with its reason. One whose original is missing is marked failed, saying so.
"""

from __future__ import annotations

import logging
from typing import Any

from dam.domain.assets import AssetStatus, parse_original_key, utcnow
from dam.services.ingest import IngestService, ObjectCreated

logger = logging.getLogger("dam_local.recovery")

INTERRUPTED = (AssetStatus.PENDING_UPLOAD, AssetStatus.UPLOADED, AssetStatus.PROCESSING)
LOST_ORIGINAL = "the local stack stopped before this upload was processed and its original is missing: upload it again"


def recover_interrupted(repository: Any, ingest: IngestService, s3: Any, bucket: str) -> list[str]:
    """Restart processing of every interrupted asset; returns their ids."""
    recovered = []
    for asset in repository.scan_all():
        if asset.status not in INTERRUPTED or parse_original_key(asset.original_key) is None:
            continue
        try:
            head = s3.head_object(Bucket=bucket, Key=asset.original_key)
        except s3.exceptions.ClientError:
            head = None
        if head is None:
            if asset.status is not AssetStatus.PENDING_UPLOAD:  # still waiting for its bytes: nothing to do
                repository.save(
                    asset.model_copy(
                        update={"status": AssetStatus.FAILED, "status_reason": LOST_ORIGINAL, "updated_at": utcnow()}
                    )
                )
                recovered.append(asset.asset_id)
            continue
        if asset.status is AssetStatus.PROCESSING:
            # Its run died with the process: back to `uploaded`, from where the ingest service starts one.
            repository.save(asset.model_copy(update={"status": AssetStatus.UPLOADED, "updated_at": utcnow()}))
        ingest.object_created(
            ObjectCreated(bucket, asset.original_key, int(head["ContentLength"]), str(head["ETag"]).strip('"'))
        )
        recovered.append(asset.asset_id)
    if recovered:
        logger.info("restarted processing of %d asset(s) interrupted by the last stop", len(recovered))
    return recovered
