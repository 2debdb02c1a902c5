"""How a team organises its library: folders, collections, brands, favorites and usage links. Pure."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime
from enum import StrEnum

from pydantic import ConfigDict, Field

from dam.domain.identity import Caller
from dam.domain.modeling import LazyModel

# A folder filter value meaning "in no folder".
UNASSIGNED = "unassigned"
# Folders nest, but not without end: a move that would go deeper (or loop) is refused.
MAX_FOLDER_DEPTH = 32
HEX_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
_RUN_PREFIX = "run-"


class CollectionKind(StrEnum):
    MANUAL = "manual"
    # One per generation run, made by the first upload of the run; its members are the run's assets.
    GENERATION_RUN = "generation_run"


class LinkKind(StrEnum):
    """The lists of assets the library keeps as links, each read newest first with one Query."""

    FAVORITE = "favorite"  # a user's favorites
    COLLECTION = "collection"  # a manual collection's members
    BRAND = "brand"  # the assets tagged with a brand


class UsageKind(StrEnum):
    PROJECT = "project"
    WORKFLOW = "workflow"


class Folder(LazyModel):
    folder_id: str
    workspace_id: str
    name: str
    parent_id: str | None = None
    client_id: str | None = None
    created_by: str
    created_at: datetime
    updated_at: datetime
    version: int = 0  # bumped by every write; 0: not written yet


class Collection(LazyModel):
    collection_id: str
    workspace_id: str
    name: str
    kind: CollectionKind = CollectionKind.MANUAL
    generation_run_id: str | None = None
    client_id: str | None = None  # a client's collection is for that client's users (and staff)
    created_by: str
    created_at: datetime
    updated_at: datetime
    version: int = 0  # bumped by every write; 0: not written yet


class Brand(LazyModel):
    brand_id: str
    workspace_id: str
    name: str
    color: str = Field(pattern=HEX_COLOR.pattern)
    created_by: str
    created_at: datetime
    updated_at: datetime
    version: int = 0  # bumped by every write; 0: not written yet


class UsageLink(LazyModel):
    """A project or workflow that uses an asset (seed 003: "which workflows use this asset")."""

    usage_id: str
    asset_id: str
    kind: UsageKind
    ref: str
    label: str | None = None
    created_by: str
    created_at: datetime


def new_library_id() -> str:
    return secrets.token_hex(8)


def run_collection_id(generation_run_id: str) -> str:
    """The automatic collection of a generation run: the same id for every upload of the run."""
    return f"{_RUN_PREFIX}{hashlib.sha256(generation_run_id.encode()).hexdigest()[:20]}"


def is_run_collection_id(collection_id: str) -> bool:
    return collection_id.startswith(_RUN_PREFIX)


def usage_id(kind: UsageKind, ref: str) -> str:
    """One link per (kind, ref) and asset: recording it again updates its label."""
    return hashlib.sha256(f"{kind.value}#{ref}".encode()).hexdigest()[:16]


def run_collection_name(generation_run_id: str, prompt: str | None) -> str:
    if prompt and prompt.strip():
        text = " ".join(prompt.split())
        return text if len(text) <= 80 else f"{text[:79]}…"
    return f"Generation run {generation_run_id}"


def folder_visible_to(caller: Caller, folder: Folder) -> bool:
    """Client-scoped folders are for their client's users (and staff); shared ones for everyone."""
    if folder.workspace_id != caller.workspace_id:
        return False
    return caller.sees_client(folder.client_id)


def collection_visible_to(caller: Caller, collection: Collection) -> bool:
    """Collections follow the assets' rule: a client's are for that client's users (and staff)."""
    if collection.workspace_id != caller.workspace_id:
        return False
    return caller.sees_client(collection.client_id)


# --- a deleted owner's per-asset cleanup ---------------------------------------------------------------

# A delete that has at most this many assets to update finishes inside the request (204); a larger one
# answers 202 and the library worker updates the assets from the cleanup queue, CLEANUP_CHUNK a message.
INLINE_CLEANUP_LIMIT = 25
CLEANUP_CHUNK = 250


class CleanupKind(StrEnum):
    FOLDER = "folder"  # its assets become unassigned
    BRAND = "brand"  # its links go and each asset's `brand_ids` loses it
    COLLECTION = "collection"  # its memberships go and each asset's `collection_ids` loses it


class Cleanup(LazyModel):
    """What is left to do after an owner was deleted: a queue message. It names no position: each run
    updates the first assets that still name the owner, so a redelivered or repeated one is harmless."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: CleanupKind
    workspace_id: str = Field(min_length=1, max_length=128)
    owner_id: str = Field(min_length=1, max_length=128)


class CleanupStarted(LazyModel):
    """A delete's answer when the rest runs in the background: how many assets were left to update."""

    assets_to_update: int = Field(ge=0)
