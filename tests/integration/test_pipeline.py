"""Every upload becomes a ready (or honestly rejected / failed) asset through the real state machine."""

from __future__ import annotations

import io
import random
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from PIL import Image

from tests.conftest import MEDIA_BUCKET, Api
from tests.integration.conftest import executions, wait_until_processed
from tests.unit.imaging import corpus

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# (filename, declared content type, bytes, asset type, renditions the user should get)
GOOD_FILES: list[tuple[str, str, Callable[[], bytes], str, set[str]]] = [
    ("photo.jpg", "image/jpeg", lambda: corpus.jpeg_photo(1600, 1200), "image", {"thumbnail", "preview"}),
    ("alpha.png", "image/png", corpus.png_alpha, "logo", {"thumbnail", "preview"}),
    ("still.webp", "image/webp", corpus.webp_rgba, "background", {"thumbnail", "preview"}),
    ("loop.gif", "image/gif", corpus.animated_gif, "image", {"thumbnail", "preview"}),
    ("scan.bmp", "image/bmp", corpus.bmp, "image", {"thumbnail", "preview"}),
    ("print.tif", "image/tiff", lambda: corpus.tiff_photo(1600, 1200, "CMYK"), "image", {"thumbnail", "preview"}),
    ("phone.heic", "image/heic", corpus.heic, "character", {"thumbnail", "preview"}),
    ("mark.svg", "image/svg+xml", corpus.svg_simple, "logo", {"sanitized"}),
    ("clip.mp4", "video/mp4", corpus.tiny_mp4, "video", {"thumbnail", "preview"}),
    ("take.mov", "video/quicktime", corpus.tiny_mov, "video", {"thumbnail", "preview"}),
    ("loop.webm", "video/webm", corpus.tiny_webm, "video", {"thumbnail", "preview"}),
    ("voice.wav", "audio/wav", corpus.tiny_wav, "audio", set()),
    ("track.mp3", "audio/mpeg", corpus.tiny_mp3, "audio", set()),
    ("track.flac", "audio/flac", corpus.tiny_flac, "audio", set()),
    ("report.pdf", "application/pdf", corpus.minimal_pdf, "document", {"thumbnail", "preview"}),
    ("list.csv", "text/csv", corpus.csv_table, "document", {"preview"}),
    ("brief.md", "text/markdown", corpus.markdown, "document", {"preview"}),
    ("notes.txt", "text/plain", corpus.plain_text, "document", {"preview"}),
    ("data.json", "application/json", corpus.json_doc, "document", {"preview"}),
    ("feed.xml", "application/xml", corpus.xml_doc, "document", {"preview"}),
    ("config.yaml", "application/yaml", corpus.yaml_doc, "document", {"preview"}),
    ("subs.srt", "application/x-subrip", corpus.srt, "document", {"preview"}),
    ("subs.vtt", "text/vtt", corpus.vtt, "document", {"preview"}),
    ("brief.docx", DOCX, corpus.docx, "document", {"thumbnail"}),
    ("deck.pptx", PPTX, corpus.pptx, "document", {"thumbnail"}),
    ("sheet.xlsx", XLSX, corpus.xlsx, "document", {"thumbnail"}),
    ("bundle.zip", "application/zip", corpus.zip_archive, "document", {"thumbnail"}),
]


def test_a_good_file_of_every_supported_family_ends_ready_with_its_renditions(pipeline: Api) -> None:
    uploaded = {
        name: (pipeline.upload(name, content_type, make(), asset_type=asset_type), expected)
        for name, content_type, make, asset_type, expected in GOOD_FILES
    }
    for name, (asset, expected) in uploaded.items():
        done = wait_until_processed(pipeline, asset["asset_id"])
        assert done["status"] == "ready", f"{name}: {done['status']} {done['status_reason']}"
        assert expected <= set(done["renditions"]), f"{name}: {sorted(done['renditions'])}"
        assert done["checksum_sha256"] and len(done["checksum_sha256"]) == 64
        assert done["search_context"], name
        for rendition in done["renditions"].values():
            assert rendition["url"] and rendition["size"] > 0


@pytest.fixture
def original_bytes_read() -> Iterator[dict[str, int]]:
    """Bytes S3 served of each asset's original (by asset id), counted on the wire: every client the
    pipeline's tasks create comes from boto3's default session."""
    import boto3

    served: dict[str, int] = {}

    def count(http_response: Any, parsed: dict[str, Any], **_: Any) -> None:
        path = urlsplit(http_response.url).path
        if path.endswith("/original"):
            asset_id = path.rsplit("/", 2)[-2]
            served[asset_id] = served.get(asset_id, 0) + int(parsed.get("ContentLength", 0))

    events = boto3._get_default_session().events
    events.register("after-call.s3.GetObject", count, unique_id="original-bytes")
    yield served
    events.unregister("after-call.s3.GetObject", unique_id="original-bytes")


@pytest.mark.parametrize(
    ("filename", "content_type", "make"),
    [
        ("interview.wav", "audio/wav", lambda: corpus.tiny_wav(seconds=180)),
        ("footage.zip", "application/zip", lambda: corpus.zip_of({"raw.bin": random.randbytes(6 * 1024**2)})),
        ("big.jpg", "image/jpeg", lambda: corpus.jpeg_photo(4000, 3000)),
    ],
)
def test_the_pipeline_reads_the_original_in_full_once(
    pipeline: Api, original_bytes_read: dict[str, int], filename: str, content_type: str, make: Callable[[], bytes]
) -> None:
    # Register reads headers (ranged), Renditions downloads it, Analyze sees the preview Renditions wrote.
    data = make()
    asset = pipeline.upload(filename, content_type, data)
    done = wait_until_processed(pipeline, asset["asset_id"])
    assert done["status"] == "ready", done["status_reason"]
    read = original_bytes_read.get(asset["asset_id"], 0)
    assert len(data) <= read <= len(data) + 768 * 1024, f"{read:,} bytes read of a {len(data):,}-byte original"


def test_an_image_gets_a_placeholder_analysis_and_an_embedding(pipeline: Api) -> None:
    asset = pipeline.upload("hero.jpg", "image/jpeg", corpus.jpeg_photo(1200, 800), name="Red sneaker on a sandy beach")
    done = wait_until_processed(pipeline, asset["asset_id"])
    assert done["status"] == "ready", done["status_reason"]
    assert done["placeholder"]
    assert done["analysis"]["description"] and 1 <= len(done["analysis"]["colors"]) <= 3
    assert done["metadata"]["width"] == 1200 and done["metadata"]["height"] == 800
    from dam.adapters.dynamodb.assets import AssetRepository

    stored = AssetRepository().get(asset["asset_id"])
    assert stored is not None and stored.embedding is not None and len(stored.embedding) == 384


def test_an_asset_with_no_words_of_its_own_gets_no_embedding(pipeline: Api) -> None:
    # Only its file name and the local analyzer's pixel facts: a vector of that would be every query's neighbour.
    photo = pipeline.upload("IMG_2034.JPG", "image/jpeg", corpus.jpeg_photo(1200, 800, camera=True))
    video = pipeline.upload("clip_0042.mp4", "video/mp4", corpus.tiny_mp4(), asset_type="video")
    from dam.adapters.dynamodb.assets import AssetRepository

    for asset in (photo, video):
        done = wait_until_processed(pipeline, asset["asset_id"])
        assert done["status"] == "ready", done["status_reason"]
        assert done["search_context"]  # still described, for people and for keyword search
        stored = AssetRepository().get(asset["asset_id"])
        assert stored is not None and stored.embedding is None


def test_gallery_cards_carry_the_placeholder_and_a_videos_length(pipeline: Api) -> None:
    photo = pipeline.upload("IMG_2035.JPG", "image/jpeg", corpus.jpeg_photo(800, 600))
    video = pipeline.upload("clip_0043.mp4", "video/mp4", corpus.tiny_mp4(), asset_type="video")
    for asset in (photo, video):
        assert wait_until_processed(pipeline, asset["asset_id"])["status"] == "ready"

    cards = {card["asset_id"]: card for card in pipeline.request("GET", "/assets").json()["items"]}
    still, clip = cards[photo["asset_id"]], cards[video["asset_id"]]
    # The grid paints the BlurHash at once and the length on a video's card, without opening each asset.
    assert still["placeholder"] == pipeline.request("GET", f"/assets/{photo['asset_id']}").json()["placeholder"]
    assert still["placeholder"] and still["duration_seconds"] is None
    assert clip["duration_seconds"] == pytest.approx(1.0, abs=0.15)


# (filename, declared type, bytes, expected status, words the reason must contain)
HOSTILE_FILES: list[tuple[str, str, Callable[[], bytes], str, str]] = [
    ("cut.jpg", "image/jpeg", corpus.truncated_jpeg, "failed", "damaged"),
    ("bomb.png", "image/png", corpus.png_bomb, "rejected", "megapixels"),
    ("liar.jpg", "image/jpeg", corpus.png_photo, "rejected", "PNG"),
    ("page.jpg", "image/jpeg", corpus.html_page, "rejected", "HTML"),
    ("huge.gif", "image/gif", corpus.gif_huge_dimensions, "rejected", "3,600 megapixels"),
    ("broken.pdf", "application/pdf", corpus.corrupt_pdf, "failed", "PDF"),
    ("bomb.zip", "application/zip", corpus.zip_bomb, "rejected", "zip bomb"),
]


@pytest.mark.parametrize(
    ("filename", "content_type", "make", "status", "words"), HOSTILE_FILES, ids=[f[0] for f in HOSTILE_FILES]
)
def test_hostile_files_end_rejected_or_failed_with_a_reason_and_the_original_kept(
    pipeline: Api, filename: str, content_type: str, make: Callable[[], bytes], status: str, words: str
) -> None:
    asset = pipeline.upload(filename, content_type, make(), asset_type="image")
    done = wait_until_processed(pipeline, asset["asset_id"])
    assert done["status"] == status, done["status_reason"]
    assert words.lower() in (done["status_reason"] or "").lower(), done["status_reason"]
    assert pipeline.aws.objects(f"assets/ws-studio/{asset['asset_id']}/original"), "the original is kept"
    assert done["original"] is not None


def test_an_empty_file_is_rejected_even_though_the_store_accepted_it(pipeline: Api) -> None:
    # moto (like a misbehaving client) does not enforce the POST policy's size: the pipeline must.
    created = pipeline.request(
        "POST", "/uploads", body={"filename": "a.png", "content_type": "image/png", "size": 10, "asset_type": "image"}
    ).json()
    key = created["upload"]["fields"]["key"]
    pipeline.aws.s3.put_object(Bucket=MEDIA_BUCKET, Key=key, Body=b"")
    pipeline.notify(key, 0)
    done = wait_until_processed(pipeline, created["asset"]["asset_id"])
    assert (done["status"], done["status_reason"]) == ("rejected", "The file is empty.")


def test_tricky_images_render_upright_and_in_colour(pipeline: Api) -> None:
    rotated = pipeline.upload("rotated.jpg", "image/jpeg", corpus.jpeg_photo(640, 480, orientation=6))
    cmyk = pipeline.upload("print.jpg", "image/jpeg", corpus.cmyk_jpeg())
    deep = pipeline.upload("deep.png", "image/png", corpus.png16())
    scripted = pipeline.upload("evil.svg", "image/svg+xml", corpus.svg_with_script())

    thumb = _thumbnail(pipeline, wait_until_processed(pipeline, rotated["asset_id"]))
    assert thumb.height > thumb.width, "EXIF orientation 6 makes a portrait"
    assert _thumbnail(pipeline, wait_until_processed(pipeline, cmyk["asset_id"])).mode in ("RGB", "RGBA")
    deep_thumb = _thumbnail(pipeline, wait_until_processed(pipeline, deep["asset_id"])).convert("L")
    low, high = deep_thumb.getextrema()
    assert high - low > 50, "16-bit greys survive the conversion"
    svg = wait_until_processed(pipeline, scripted["asset_id"])
    assert svg["status"] == "ready", svg["status_reason"]
    sanitized = pipeline.aws.s3.get_object(Bucket=MEDIA_BUCKET, Key=_key(svg["renditions"]["sanitized"]))
    text = sanitized["Body"].read().decode()
    assert "<script" not in text and "onload" not in text


def _key(rendition: dict) -> str:
    from urllib.parse import unquote, urlparse

    return unquote(urlparse(rendition["url"]).path).split(f"/{MEDIA_BUCKET}/", 1)[-1].lstrip("/")


def _thumbnail(api: Api, asset: dict) -> Image.Image:
    assert asset["status"] == "ready", asset["status_reason"]
    rendition = asset["renditions"]["thumbnail"]
    body = api.aws.s3.get_object(Bucket=MEDIA_BUCKET, Key=_key(rendition))["Body"].read()
    image = Image.open(io.BytesIO(body))
    assert image.size == (rendition["width"], rendition["height"])
    assert max(image.size) <= 320
    return image


def test_replayed_and_doubled_notifications_start_one_run_for_one_asset(pipeline: Api, pipeline_env: str) -> None:
    asset = pipeline.upload("once.png", "image/png", corpus.png_photo(200, 100))
    key = f"assets/ws-studio/{asset['asset_id']}/original"
    pipeline.notify(key, 1, message_id="replay")  # the same event again
    pipeline.notify(key, 1, message_id="double")  # the second event of a multipart upload

    done = wait_until_processed(pipeline, asset["asset_id"])

    assert done["status"] == "ready"
    assert len(executions(pipeline_env)) == 1
    assert [a["asset_id"] for a in pipeline.request("GET", "/assets").json()["items"]] == [asset["asset_id"]]


def test_the_same_bytes_twice_are_linked_as_a_duplicate(pipeline: Api) -> None:
    data = corpus.png_photo(300, 200)
    first = pipeline.upload("a.png", "image/png", data)
    assert wait_until_processed(pipeline, first["asset_id"])["duplicate_of"] is None
    second = pipeline.upload("copy of a.png", "image/png", data)
    assert wait_until_processed(pipeline, second["asset_id"])["duplicate_of"] == first["asset_id"]


def test_assets_are_found_by_the_checksum_of_their_bytes_by_those_who_may_see_them(pipeline: Api) -> None:
    import hashlib

    data = corpus.png_photo(300, 200)
    checksum = hashlib.sha256(data).hexdigest()
    first = pipeline.upload("a.png", "image/png", data)
    wait_until_processed(pipeline, first["asset_id"])
    second = pipeline.upload("copy of a.png", "image/png", data, client_id="client-y")
    wait_until_processed(pipeline, second["asset_id"])
    pipeline.upload("other.png", "image/png", corpus.png_photo(200, 300))

    found = pipeline.request("GET", "/assets", query={"checksum": checksum.upper()})
    assert found.status == 200, found.body
    assert [a["asset_id"] for a in found.json()["items"]] == [first["asset_id"], second["asset_id"]]
    assert pipeline.request("GET", "/assets", query={"checksum": "0" * 64}).json()["items"] == []
    elsewhere = pipeline.as_user(workspace="ws-other", role="editor")
    assert pipeline.request("GET", "/assets", query={"checksum": checksum}, claims=elsewhere).json()["items"] == []
    external = pipeline.as_user(user="user-client", role=None, clients=["client-x"])  # sees shared ones only
    seen = pipeline.request("GET", "/assets", query={"checksum": checksum}, claims=external).json()["items"]
    assert [a["asset_id"] for a in seen] == [first["asset_id"]]


@pytest.mark.parametrize(
    "query",
    [
        {"checksum": "abc"},
        {"checksum": "g" * 64},
        {"checksum": "a" * 64, "tag": "x"},
        {"checksum": "a" * 64, "archived": "true"},
    ],
)
def test_a_malformed_checksum_or_one_mixed_with_filters_is_refused(api: Api, query: dict[str, str]) -> None:
    answer = api.request("GET", "/assets", query=query)
    assert answer.status == 422, answer.body
    assert "checksum" in answer.body


def test_editing_the_words_of_a_ready_asset_refreshes_its_embedding(pipeline: Api, pipeline_env: str) -> None:
    import time

    from dam.adapters.dynamodb.assets import AssetRepository

    asset = pipeline.upload("a.png", "image/png", corpus.png_photo(200, 100), name="Untitled")
    assert wait_until_processed(pipeline, asset["asset_id"])["status"] == "ready"
    before = AssetRepository().get(asset["asset_id"])
    assert before is not None and before.embedding is None  # "Untitled" and pixel facts: nothing to embed

    edited = pipeline.request("PATCH", f"/assets/{asset['asset_id']}", body={"notes": "a bowl of ramen at night"})
    assert edited.status == 200

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        after = AssetRepository().get(asset["asset_id"])
        if after is not None and after.search_context and "ramen" in after.search_context:
            break
        time.sleep(0.1)
    assert after is not None and "ramen" in (after.search_context or "")
    assert after.embedding is not None and len(after.embedding) == 384
    assert after.status.value == "ready" and after.analysis == before.analysis
    names = [run["name"] for run in executions(pipeline_env)]
    assert sum("-embed-v" in name for name in names) == 1


def test_the_local_analysis_describes_an_image_at_its_real_size_not_the_previews(pipeline: Api) -> None:
    # Given a photo larger than the 1280 px preview the analyzer looks at
    asset = pipeline.upload("big.jpg", "image/jpeg", corpus.jpeg_photo(1411, 1411))
    # When it has been processed
    done = wait_until_processed(pipeline, asset["asset_id"])
    # Then its description gives the pixels the user uploaded
    assert done["status"] == "ready", done["status_reason"]
    assert "(1411x1411 px)" in done["analysis"]["description"], done["analysis"]["description"]


def test_every_task_of_every_run_reuses_one_lambda_client(pipeline: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    """moto's interpreter would build a client per task (~12% of the local stack's CPU under load)."""
    import boto3
    from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils

    built: list[str] = []
    real_client = boto3.client

    def counting(*args: Any, **kwargs: Any) -> Any:
        built.append(kwargs.get("service_name") or args[0])
        return real_client(*args, **kwargs)

    first = lambda_eval_utils.boto_client_for("us-east-1", "lambda", None)
    monkeypatch.setattr(boto3, "client", counting)
    for number in range(3):
        asset = pipeline.upload(f"p{number}.png", "image/png", corpus.png_photo(64 + number, 48), asset_type="image")
        assert wait_until_processed(pipeline, asset["asset_id"])["status"] == "ready"
    assert lambda_eval_utils.boto_client_for(region="us-east-1", service="lambda", state_credentials=object()) is first
    assert "lambda" not in built


def test_runs_of_the_pipeline_share_one_parse_of_its_definition(pipeline: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    """moto's interpreter would parse the ASL for every run (~35 ms of ANTLR each); runs keep their own state."""
    from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser

    parses: list[int] = []
    real_parse = AmazonStateLanguageParser.parse
    monkeypatch.setattr(AmazonStateLanguageParser, "parse", staticmethod(lambda d: parses.append(1) or real_parse(d)))
    first = pipeline.upload("first.png", "image/png", corpus.png_photo(80, 60), asset_type="image")
    assert wait_until_processed(pipeline, first["asset_id"])["status"] == "ready"
    parsed = len(parses)  # 0 when an earlier test's run parsed it already
    uploads = [
        pipeline.upload(f"s{number}.png", "image/png", corpus.png_photo(70 + number, 50), asset_type="image")
        for number in range(3)
    ]
    bad = pipeline.upload("bad.png", "image/png", b"\x89PNG\r\n\x1a\n truncated", asset_type="image")
    done = [wait_until_processed(pipeline, asset["asset_id"]) for asset in uploads]
    assert [asset["status"] for asset in done] == ["ready"] * 3
    assert {asset["metadata"]["width"] for asset in done} == {70, 71, 72}  # each run processed its own input
    assert wait_until_processed(pipeline, bad["asset_id"])["status"] == "failed"  # and its own failure
    assert len(parses) == parsed <= 1
