"""The base of every pydantic model here: its validator is built when first used, not when imported.

A Lambda instance imports every route's models at start but one request needs only a few; building all of
them at import time was a third of the API's cold start.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class LazyModel(BaseModel):
    model_config = ConfigDict(defer_build=True)
