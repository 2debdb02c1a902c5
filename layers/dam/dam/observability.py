"""What the functions tell CloudWatch: the correlation id a request hands on, and business metrics (EMF).

An asset's life spans several functions: the API request that starts its upload, the dispatcher that
reads the S3 notification, the pipeline's steps and the indexer. Every log line on that path carries the
asset's id (`asset_id`) and the id of the API request that started the work (`correlation_id`): the API
stores it on the asset record and in the processing run's input, so later functions log it too.

Metrics are written as CloudWatch embedded metric format (EMF) lines on stdout through Powertools; the
library is imported on the first metric, never at a handler's import (cold start).
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar

from dam.domain.identity import SYSTEM_ACTOR

NAMESPACE = "DAM"

# Metric names, with the dimension each is recorded under.
ASSETS_PROCESSED = "AssetsProcessed"  # media_type: runs that ended with the asset ready
PROCESSING_TIME = "ProcessingTime"  # media_type: from the run's start to Finalize, milliseconds
ASSETS_REJECTED = "AssetsRejected"  # reason: runs that ended with the file rejected
ASSETS_FAILED = "AssetsFailed"  # (none): runs that ended failed (the file is kept for a retry)
ANALYSIS_LATENCY = "AnalysisLatency"  # model: the vision model's answer, milliseconds
ANALYSIS_INPUT_TOKENS = "AnalysisInputTokens"  # model
ANALYSIS_OUTPUT_TOKENS = "AnalysisOutputTokens"  # model
SEARCH_LATENCY = "SearchLatency"  # mode: keyword / semantic / hybrid / browse, milliseconds

_correlation: ContextVar[str | None] = ContextVar("dam_correlation_id", default=None)


def correlation_id() -> str | None:
    """The id of the API request (or the run it started) that the current work belongs to."""
    return _correlation.get()


def use_correlation_id(value: str | None) -> None:
    _correlation.set(value)


# Who the current work is done for: the API's caller; a function working on its own is "system".
_actor: ContextVar[str | None] = ContextVar("dam_actor", default=None)


def actor() -> str:
    """The user the current request acts for (every audited write records it as `updated_by`)."""
    return _actor.get() or SYSTEM_ACTOR


def use_actor(user_id: str | None) -> None:
    _actor.set(user_id)


Metric = tuple[float, str]  # value, CloudWatch unit ("Count", "Milliseconds")


def emit(metrics: Mapping[str, Metric], **dimensions: str) -> None:
    """One EMF line holding `metrics` under `dimensions` (a small, fixed set of values each: never free text).
    Powertools' switch applies: POWERTOOLS_METRICS_DISABLED=true writes nothing."""
    from aws_lambda_powertools.metrics import EphemeralMetrics

    recorder = EphemeralMetrics(namespace=NAMESPACE)
    for name, value in dimensions.items():
        recorder.add_dimension(name=name, value=value)
    for name, (amount, unit) in metrics.items():
        recorder.add_metric(name=name, unit=unit, value=amount)
    recorder.flush_metrics()


def count(name: str, **dimensions: str) -> None:
    emit({name: (1, "Count")}, **dimensions)


@contextmanager
def timed(name: str, **dimensions: str) -> Iterator[None]:
    """Record how long the block took (milliseconds), when it completes."""
    started = time.perf_counter()
    yield
    emit({name: (elapsed_ms(started), "Milliseconds")}, **dimensions)


def elapsed_ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)
