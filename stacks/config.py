"""What one deployment (a stage) is configured with, read from CDK context (`-c key=value` or cdk.json)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from aws_cdk import RemovalPolicy
from aws_cdk import aws_logs as logs
from constructs import Node

from stacks.sizing import DEV_SEARCH, PROD_SEARCH, SearchSizing

DEFAULT_ALLOWED_ORIGINS = ("http://localhost:5173",)
DEFAULT_MAX_UPLOAD_BYTES = 5 * 1024**3  # S3's single PUT limit; larger files go multipart
_STAGE_PATTERN = re.compile(r"^[a-z][a-z0-9-]{0,19}$")


@dataclass(frozen=True)
class StageConfig:
    stage: str = "dev"
    allowed_origins: tuple[str, ...] = DEFAULT_ALLOWED_ORIGINS
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES
    trash_days: int = 30  # how long a deleted asset stays restorable (the API's DAM_TRASH_DAYS, 1..365)
    throttle_burst: int = 100
    throttle_rate: int = 50
    alarm_topic_arn: str | None = None  # an existing SNS topic to notify; alarms still exist without it
    # Template-only synth: the CLI rejects `-c aws:cdk:bundling-stacks=[]`, so `-c skip_bundling=true`.
    skip_bundling: bool = False
    search: SearchSizing = DEV_SEARCH
    audit_retention_days: int = 365  # how long audit events are kept (DynamoDB TTL), `-c audit_retention_days=…`

    @property
    def is_production(self) -> bool:
        return self.stage == "prod"

    @property
    def removal_policy(self) -> RemovalPolicy:
        """Production keeps its data and logs when the stack goes; other stages clean up after themselves."""
        return RemovalPolicy.RETAIN if self.is_production else RemovalPolicy.DESTROY

    @property
    def log_retention(self) -> logs.RetentionDays:
        return logs.RetentionDays.THREE_MONTHS if self.is_production else logs.RetentionDays.TWO_WEEKS

    @classmethod
    def from_context(cls, node: Node) -> StageConfig:
        stage = str(node.try_get_context("stage") or cls.stage)
        if not _STAGE_PATTERN.match(stage):
            raise ValueError(f"stage {stage!r} must match {_STAGE_PATTERN.pattern}")
        origins = _string_list(node.try_get_context("allowed_origins")) or DEFAULT_ALLOWED_ORIGINS
        max_upload_bytes = _positive_int(node, "max_upload_bytes", DEFAULT_MAX_UPLOAD_BYTES)
        if max_upload_bytes > DEFAULT_MAX_UPLOAD_BYTES:  # the API's settings refuse more: fail here, not at cold start
            raise ValueError(f"max_upload_bytes may be at most {DEFAULT_MAX_UPLOAD_BYTES}")
        return cls(
            stage=stage,
            allowed_origins=origins,
            max_upload_bytes=max_upload_bytes,
            trash_days=_trash_days(node),
            throttle_burst=_positive_int(node, "throttle_burst", cls.throttle_burst),
            throttle_rate=_positive_int(node, "throttle_rate", cls.throttle_rate),
            alarm_topic_arn=node.try_get_context("alarm_topic_arn") or None,
            skip_bundling=str(node.try_get_context("skip_bundling")).lower() in ("1", "true", "yes"),
            search=_search_sizing(node, PROD_SEARCH if stage == "prod" else DEV_SEARCH),
            audit_retention_days=_positive_int(node, "audit_retention_days", cls.audit_retention_days),
        )


def _search_sizing(node: Node, default: SearchSizing) -> SearchSizing:
    """The stage's default sizing, each value overridable with `-c search_<field>=…`."""
    return SearchSizing(
        data_nodes=_positive_int(node, "search_data_nodes", default.data_nodes),
        data_instance_type=str(node.try_get_context("search_data_instance_type") or default.data_instance_type),
        master_nodes=_int_at_least(node, "search_master_nodes", default.master_nodes, 0),
        master_instance_type=str(node.try_get_context("search_master_instance_type") or default.master_instance_type),
        volume_gb=_positive_int(node, "search_volume_gb", default.volume_gb),
        zones=_positive_int(node, "search_zones", default.zones),
    )


def _string_list(value: Any) -> tuple[str, ...]:
    """cdk.json gives a list; `-c allowed_origins=...` gives a string (JSON list or comma-separated)."""
    if value is None:
        return ()
    if isinstance(value, str):
        text = value.strip()
        value = json.loads(text) if text.startswith("[") else text.split(",")
    return tuple(str(item).strip() for item in value if str(item).strip())


def _positive_int(node: Node, key: str, default: int) -> int:
    return _int_at_least(node, key, default, 1)


def _int_at_least(node: Node, key: str, default: int, minimum: int) -> int:
    value = node.try_get_context(key)
    number = default if value is None else int(value)
    if number < minimum:
        raise ValueError(f"context {key} must be an integer of at least {minimum}, got {value!r}")
    return number


def _trash_days(node: Node) -> int:
    days = _positive_int(node, "trash_days", StageConfig.trash_days)
    if days > 365:  # the API's settings refuse more: fail here, not at cold start
        raise ValueError("trash_days may be at most 365")
    return days
