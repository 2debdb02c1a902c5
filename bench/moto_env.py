"""The environment the in-process moto benches run the real handlers in; set before `dam` is imported."""

from __future__ import annotations

import os

BENCH_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "x",
    "AWS_SECRET_ACCESS_KEY": "x",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "DAM_ASSETS_TABLE": "bench-assets",
    "DAM_LIBRARY_TABLE": "bench-library",
    "DAM_MEDIA_BUCKET": "bench-media",
    "POWERTOOLS_LOG_LEVEL": "WARNING",
}

os.environ.update(BENCH_ENVIRONMENT)
