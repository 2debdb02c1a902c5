"""One behavioural suite for every search engine (see conftest: embedded always, OpenSearch with OPENSEARCH_URL)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from dam.domain.errors import InvalidInput
from dam.search.model import SearchQuery
from dam.search.port import SearchIndex
from tests.unit.search.conftest import WORKSPACE, doc, later, vector


def ids(index: SearchIndex, **fields: Any) -> list[str]:
    """Every hit of a query, in order, following cursors."""
    query = SearchQuery(fields.pop("workspace_id", WORKSPACE), **fields)
    found: list[str] = []
    while True:
        page = index.search(query)
        found.extend(hit.asset_id for hit in page.hits)
        if page.next_cursor is None:
            return found
        query = replace(query, cursor=page.next_cursor)


# --- keyword ranking -------------------------------------------------------------------------------------


def test_exact_word_matches_rank_above_prefix_matches(index):
    index.upsert(
        [
            doc("swordfish", name="Swordfish platter", tags=["sword"] * 0, created_at=later(1)),
            doc("sword", name="Knight sword", created_at=later(2)),
            doc("swordsmith", name="Swordsmith's anvil", notes="an old sword on the wall", created_at=later(3)),
            doc("lamp", name="Desk lamp", created_at=later(4)),
        ]
    )
    found = ids(index, text="sword", mode="keyword")
    assert set(found[:2]) == {"sword", "swordsmith"}  # the word itself, in the name or in the notes
    assert found[2:] == ["swordfish"]  # a prefix only: after every exact match
    assert set(ids(index, text="swo", mode="keyword")) == {"swordfish", "sword", "swordsmith"}  # as you type


def test_name_and_tags_outweigh_notes(index):
    index.upsert(
        [
            doc("in-notes", name="Prop 1", notes="keep the lantern away from the curtains", created_at=later(1)),
            doc("in-name", name="Brass lantern", created_at=later(2)),
            doc("in-tags", name="Prop 2", tags=["lantern"], created_at=later(3)),
        ]
    )
    found = ids(index, text="lantern", mode="keyword")
    assert found[-1] == "in-notes"
    assert set(found[:2]) == {"in-name", "in-tags"}


def test_words_are_stemmed_and_case_folded_and_stop_words_match_nothing(index):
    index.upsert([doc("boots", name="Leather BOOTS", analysis_text="A pair of riding boots")])
    assert ids(index, text="boot", mode="keyword") == ["boots"]
    assert ids(index, text="LEATHER", mode="keyword") == ["boots"]
    assert ids(index, text="the of a", mode="keyword") == []


def test_every_text_field_is_searchable(index):
    fields: dict[str, dict[str, Any]] = {
        "name": {"name": "Zeppelin"},
        "filename": {"filename": "zeppelin_final.png"},
        "tags": {"tags": ["zeppelin"]},
        "prompt": {"prompt": "a zeppelin over Paris"},
        "enhanced": {"enhanced_prompt": "an airship (zeppelin) at dusk"},
        "notes": {"notes": "zeppelin for the finale"},
        "analysis": {"analysis_text": "A silver zeppelin"},
        "ocr": {"text_in_image": "ZEPPELIN TOURS"},
    }
    index.upsert([doc(key, **values) for key, values in fields.items()] + [doc("other", name="Balloon")])
    assert set(ids(index, text="zeppelin", mode="keyword")) == set(fields)


# --- filters ---------------------------------------------------------------------------------------------


@pytest.fixture
def gallery(index: SearchIndex) -> SearchIndex:
    index.upsert(
        [
            doc(
                "gen-fox",
                asset_type="generated_content",
                model="imagen-4",
                creator_id="user-ana",
                brand_ids=["brand-acme"],
                collection_ids=["col-launch"],
                tags=["hero"],
                folder_id="folder-1",
                prompt="A Cinematic shot of a red fox in the snow",
                created_at=datetime(2026, 1, 10, 12, 0, tzinfo=UTC),
            ),
            doc(
                "gen-city",
                asset_type="generated_content",
                media_type="video",
                model="veo-3",
                creator_id="user-ben",
                brand_ids=["brand-globex"],
                tags=["hero", "night"],
                folder_id="folder-2",
                client_id="client-a",
                prompt="Night city timelapse, red lights",
                created_at=datetime(2026, 1, 20, 8, 0, tzinfo=UTC),
            ),
            doc(
                "product-fox",
                asset_type="product",
                name="Red fox plush",
                creator_id="user-ana",
                tags=["Hero"],
                folder_id="folder-1",
                client_id="client-b",
                created_at=datetime(2026, 2, 1, 9, 0, tzinfo=UTC),
            ),
            doc(
                "doc-brief",
                asset_type="document",
                media_type="document",
                name="Red brief",
                creator_id="user-cy",
                created_at=datetime(2026, 2, 10, 23, 59, 59, 999999, tzinfo=UTC),
            ),
        ]
    )
    return index


ALL = {"gen-fox", "gen-city", "product-fox", "doc-brief"}
FILTERS: list[tuple[dict[str, Any], set[str]]] = [
    ({}, ALL),
    ({"asset_type": "generated_content"}, {"gen-fox", "gen-city"}),
    ({"media_type": "video"}, {"gen-city"}),
    ({"model": "imagen-4"}, {"gen-fox"}),
    ({"creator_id": "user-ana"}, {"gen-fox", "product-fox"}),
    ({"brand_id": "brand-globex"}, {"gen-city"}),
    ({"tag": "hero"}, {"gen-fox", "gen-city"}),  # exact: "Hero" is another tag
    ({"tag": "Hero"}, {"product-fox"}),
    ({"tag": "her"}, set()),
    ({"folder_id": "folder-1"}, {"gen-fox", "product-fox"}),
    ({"folder_id": "unassigned"}, {"doc-brief"}),
    ({"collection_id": "col-launch"}, {"gen-fox"}),
    ({"collection_id": "col-other"}, set()),  # in no folder, not a folder named so
    ({"exclude_generated": True}, {"product-fox", "doc-brief"}),  # the categorized view
    ({"exclude_generated": True, "folder_id": "folder-1"}, {"product-fox"}),
    ({"client_id": "client-a"}, {"gen-city"}),
    ({"asset_ids": frozenset({"gen-city", "doc-brief", "unknown"})}, {"gen-city", "doc-brief"}),
    ({"prompt_contains": "cinematic SHOT"}, {"gen-fox"}),
    ({"prompt_contains": "ED LIGHT"}, {"gen-city"}),  # a substring, mid-word
    ({"created_from": datetime(2026, 1, 20, 8, 0, tzinfo=UTC)}, {"gen-city", "product-fox", "doc-brief"}),
    ({"created_to": datetime(2026, 1, 20, 8, 0, tzinfo=UTC)}, {"gen-fox", "gen-city"}),
    ({"model": "unknown-model"}, set()),
    # Combined: every filter must hold.
    ({"creator_id": "user-ana", "tag": "hero", "media_type": "image"}, {"gen-fox"}),
    ({"asset_type": "generated_content", "created_from": datetime(2026, 1, 15, tzinfo=UTC)}, {"gen-city"}),
    ({"folder_id": "folder-1", "prompt_contains": "fox"}, {"gen-fox"}),
    ({"brand_id": "brand-acme", "client_id": "client-a"}, set()),
]


@pytest.mark.parametrize(("filters", "expected"), FILTERS, ids=[str(sorted(f)) for f, _ in FILTERS])
def test_filters_alone_and_combined(gallery, filters, expected):
    assert set(ids(gallery, mode="keyword", sort="newest", **filters)) == expected
    # The same filters narrow a text search ("red" is in every one's name or prompt).
    assert set(ids(gallery, text="red", mode="keyword", **filters)) == expected


def test_browsing_is_newest_first(gallery):
    newest = ["doc-brief", "product-fox", "gen-city", "gen-fox"]
    assert ids(gallery, mode="keyword", sort="newest") == newest
    assert ids(gallery, mode="keyword", limit=1) == newest  # nothing to rank by: relevance pages by date too


def test_date_range_is_inclusive_at_both_ends(gallery):
    end_of_day = datetime(2026, 2, 10, 23, 59, 59, 999999, tzinfo=UTC)  # what "To: Feb 10" becomes
    start = datetime(2026, 1, 20, 8, 0, tzinfo=UTC)
    assert set(ids(gallery, mode="keyword", created_from=start, created_to=end_of_day)) == {
        "gen-city",
        "product-fox",
        "doc-brief",
    }
    one_microsecond = timedelta(microseconds=1)
    assert "doc-brief" not in ids(gallery, mode="keyword", created_to=end_of_day - one_microsecond)
    assert "gen-city" not in ids(gallery, mode="keyword", created_from=start + one_microsecond)


def test_prompt_filter_is_a_case_insensitive_substring_of_the_prompt_only(gallery):
    gallery.upsert([doc("named-cinematic", name="Cinematic shot", created_at=later(5))])
    assert ids(gallery, mode="keyword", prompt_contains="CINEMATIC") == ["gen-fox"]
    assert ids(gallery, mode="keyword", prompt_contains="a red fox in") == ["gen-fox"]
    assert ids(gallery, mode="keyword", prompt_contains="*") == []  # no wildcard semantics leak through


# --- tenancy and archive ---------------------------------------------------------------------------------


def test_another_workspace_never_leaks(index):
    index.upsert(
        [
            doc("mine", name="Red umbrella", embedding=vector(1, 0), checksum_sha256="c" * 64),
            doc(
                "theirs", workspace_id="ws-other", name="Red umbrella", embedding=vector(1, 0), checksum_sha256="c" * 64
            ),
        ]
    )
    for mode in ("keyword", "semantic", "hybrid"):
        assert ids(index, text="red umbrella", mode=mode, query_vector=vector(1, 0)) == ["mine"]
    assert ids(index, workspace_id="ws-other", mode="keyword") == ["theirs"]
    assert index.similar(WORKSPACE, "mine") == []
    assert index.similar(WORKSPACE, "theirs") == []  # not even by asking for the other's asset
    assert index.count(WORKSPACE) == 1


def test_client_scoping_shows_shared_assets_and_the_callers_clients_only(index):
    index.upsert(
        [
            doc("shared", name="Logo", embedding=vector(1, 0), created_at=later(1)),
            doc("client-a", name="Logo", client_id="acme", embedding=vector(1, 0.1), created_at=later(2)),
            doc("client-b", name="Logo", client_id="globex", embedding=vector(1, 0.2), created_at=later(3)),
        ]
    )
    for mode in ("keyword", "semantic", "hybrid"):
        query = {"text": "logo", "mode": mode, "query_vector": vector(1, 0)}
        assert set(ids(index, visible_clients=("acme",), **query)) == {"shared", "client-a"}
        assert set(ids(index, visible_clients=(), **query)) == {"shared"}
        assert set(ids(index, visible_clients=None, **query)) == {"shared", "client-a", "client-b"}
        # A client filter cannot widen what the caller may see.
        assert ids(index, visible_clients=("acme",), client_id="globex", **query) == []
    assert {h.asset_id for h in index.similar(WORKSPACE, "shared", visible_clients=("acme",))} == {"client-a"}


def test_archived_assets_never_appear_unless_the_archive_is_asked_for(index):
    index.upsert(
        [
            doc("live", name="Green chair", embedding=vector(1, 0), created_at=later(1)),
            doc("archived", name="Green chair", archived=True, embedding=vector(1, 0), created_at=later(2)),
        ]
    )
    for mode in ("keyword", "semantic", "hybrid"):
        assert ids(index, text="green chair", mode=mode, query_vector=vector(1, 0)) == ["live"]
    assert ids(index, mode="keyword", archived=True) == ["archived"]
    assert [h.asset_id for h in index.similar(WORKSPACE, "live")] == []


# --- paging ----------------------------------------------------------------------------------------------


def test_relevance_pages_stay_stable_while_new_assets_arrive(index):
    index.upsert([doc(f"mug-{i}", name=f"Mug {'mug ' * (i % 3)}{i}", created_at=later(i)) for i in range(7)])
    everything = ids(index, text="mug", mode="keyword")
    query = SearchQuery(WORKSPACE, text="mug", mode="keyword", limit=3)
    pages = [index.search(query)]
    # New assets that would rank first arrive between pages (uploaded now, so after the first page).
    now = datetime.now(UTC)
    index.upsert([doc(f"new-{i}", name="Mug mug mug mug", created_at=now + timedelta(seconds=i)) for i in range(3)])
    while pages[-1].next_cursor:
        pages.append(index.search(replace(query, cursor=pages[-1].next_cursor)))
    paged = [hit.asset_id for page in pages for hit in page.hits]
    assert paged == everything
    assert ids(index, text="mug", mode="keyword")[:3] != everything[:3]  # a new search sees them


def test_newest_pages_stay_stable_while_new_assets_arrive(index):
    index.upsert([doc(f"a{i}", created_at=later(i)) for i in range(5)])
    query = SearchQuery(WORKSPACE, mode="keyword", sort="newest", limit=2)
    first = index.search(query)
    index.upsert([doc("fresh", created_at=datetime.now(UTC))])
    second = index.search(replace(query, cursor=first.next_cursor))
    third = index.search(replace(query, cursor=second.next_cursor))
    assert [h.asset_id for p in (first, second, third) for h in p.hits] == ["a4", "a3", "a2", "a1", "a0"]
    assert third.next_cursor is None


def test_hybrid_pages_stay_stable_while_new_assets_arrive(index):
    index.upsert([doc(f"v{i}", name=f"Vase {i}", embedding=vector(1, i / 20), created_at=later(i)) for i in range(6)])
    query = SearchQuery(WORKSPACE, text="vase", mode="hybrid", query_vector=vector(1, 0), limit=2)
    everything = ids(index, text="vase", mode="hybrid", query_vector=vector(1, 0))
    pages = [index.search(query)]
    index.upsert([doc("v-new", name="Vase vase", embedding=vector(1, 0), created_at=datetime.now(UTC))])
    while pages[-1].next_cursor:
        pages.append(index.search(replace(query, cursor=pages[-1].next_cursor)))
    assert [hit.asset_id for page in pages for hit in page.hits] == everything


def test_a_cursor_only_continues_its_own_query(index):
    index.upsert([doc(f"c{i}", name="Crate", created_at=later(i)) for i in range(3)])
    page = index.search(SearchQuery(WORKSPACE, text="crate", mode="keyword", limit=1))
    assert page.next_cursor
    for other in (
        SearchQuery(WORKSPACE, text="barrel", mode="keyword", limit=1),
        SearchQuery("ws-other", text="crate", mode="keyword", limit=1),  # never a way into another workspace
        SearchQuery(WORKSPACE, text="crate", mode="keyword", limit=1, visible_clients=()),
    ):
        with pytest.raises(InvalidInput):
            index.search(replace(other, cursor=page.next_cursor))
    with pytest.raises(InvalidInput):
        index.search(SearchQuery(WORKSPACE, text="crate", cursor="not-a-cursor"))


# --- writes: deletes and versions ------------------------------------------------------------------------


def test_deleted_assets_disappear(index):
    index.upsert([doc("keep", name="Blue kettle"), doc("gone", name="Blue kettle", embedding=vector(1, 0))])
    index.delete("gone", 1)
    assert ids(index, text="kettle", mode="keyword") == ["keep"]
    assert ids(index, mode="semantic", query_vector=vector(1, 0)) == []
    assert index.similar(WORKSPACE, "gone") == []
    assert index.count(WORKSPACE) == 1


def test_stale_versions_are_ignored(index):
    assert index.upsert([doc("a", version=3, name="Third title")]).written == ("a",)
    late = index.upsert([doc("a", version=2, name="Second title")])
    assert late.stale == ("a",) and late.written == ()
    assert index.upsert([doc("a", version=3, name="Replayed title")]).stale == ("a",)  # equal: a replay
    assert ids(index, text="third", mode="keyword") == ["a"]
    assert ids(index, text="second", mode="keyword") == []
    assert ids(index, text="replayed", mode="keyword") == []
    index.upsert([doc("a", version=4, name="Fourth title")])
    assert ids(index, text="fourth", mode="keyword") == ["a"]
    assert ids(index, text="third", mode="keyword") == []


def test_a_delete_wins_over_older_upserts_that_arrive_late(index):
    index.upsert([doc("a", version=3, name="Teapot")])
    assert index.delete("a", 4).written == ("a",)
    assert index.upsert([doc("a", version=3, name="Teapot")]).stale == ("a",)
    assert index.upsert([doc("a", version=4, name="Teapot")]).stale == ("a",)
    assert ids(index, text="teapot", mode="keyword") == []
    # A delete the index has never seen the asset for still leaves its tombstone.
    index.delete("b", 2)
    assert index.upsert([doc("b", version=1, name="Teapot")]).stale == ("b",)
    assert ids(index, text="teapot", mode="keyword") == []


def test_a_delete_carries_the_deleted_records_version(index):
    index.upsert([doc("a", version=5, name="Spoon")])
    assert index.delete("a", 5).written == ("a",)  # REMOVE's old image has the last version: it must win
    assert ids(index, text="spoon", mode="keyword") == []
    assert index.delete("a", 4).stale == ("a",)  # a replayed older delete changes nothing
    index.upsert([doc("c", version=7, name="Fork")])
    assert index.delete("c", 6).stale == ("c",)  # older than the document: the document stays
    assert ids(index, text="fork", mode="keyword") == ["c"]


def test_an_edit_reaches_search(index):
    index.upsert([doc("a", version=1, name="Draft poster", tags=["draft"], embedding=vector(1, 0))])
    index.upsert([doc("a", version=2, name="Final poster", tags=["final"], archived=False, embedding=vector(0, 1))])
    assert ids(index, text="final", mode="keyword") == ["a"]
    assert ids(index, text="draft", mode="keyword") == []
    assert ids(index, mode="keyword", tag="final") == ["a"]
    assert ids(index, mode="keyword", tag="draft") == []
    assert ids(index, mode="semantic", query_vector=vector(0, 1)) == ["a"]


def test_count_and_clear(index):
    index.upsert([doc("a"), doc("b", archived=True), doc("c", workspace_id="ws-other")])
    index.delete("d", 1)
    assert index.count(WORKSPACE) == 2
    index.clear()
    assert index.count(WORKSPACE) == 0
    assert ids(index, mode="keyword") == []
    index.upsert([doc("a", name="Anvil")])  # usable after clearing, with nothing left of before
    assert ids(index, mode="keyword") == ["a"]
    assert ids(index, text="anvil", mode="keyword") == ["a"]


# --- semantic, hybrid, similar ----------------------------------------------------------------------------


def test_semantic_ranks_by_similarity_and_cuts_off_far_assets(index):
    index.upsert(
        [
            doc("near", embedding=vector(1, 0.05)),
            doc("nearer", embedding=vector(1, 0.01)),
            doc("far", embedding=vector(0.2, 1)),
            doc("no-vector"),
        ]
    )
    hits = index.search(SearchQuery(WORKSPACE, mode="semantic", query_vector=vector(1, 0))).hits
    assert [h.asset_id for h in hits] == ["nearer", "near"]  # "far" is outside the window below the best
    assert hits[0].score == pytest.approx(0.99995, abs=1e-4)  # a cosine
    with pytest.raises(InvalidInput):
        index.search(SearchQuery(WORKSPACE, mode="semantic"))


def test_hybrid_ranks_documents_both_lists_found_first(index):
    index.upsert(
        [
            doc("both", name="Red balloon", embedding=vector(1, 0.02), created_at=later(1)),
            doc("words-only", name="Red balloon string", embedding=vector(0, 1), created_at=later(2)),
            doc("meaning-only", name="Party decoration", embedding=vector(1, 0), created_at=later(3)),
        ]
    )
    hits = index.search(SearchQuery(WORKSPACE, text="red balloon", mode="hybrid", query_vector=vector(1, 0))).hits
    assert hits[0].asset_id == "both"
    assert {h.asset_id for h in hits} == {"both", "words-only", "meaning-only"}
    assert all(0 < h.score <= 1 for h in hits)
    # Without a query vector (no embedder configured), hybrid is keyword search.
    assert set(ids(index, text="red balloon", mode="hybrid")) == {"both", "words-only"}


def test_similar_lists_duplicates_then_near_duplicates_then_neighbours(index):
    index.upsert(
        [
            doc("source", embedding=vector(1, 0), checksum_sha256="a" * 64, perceptual_hash="ffff0000ffff0000"),
            doc("copy", embedding=vector(0, 1), checksum_sha256="a" * 64, created_at=later(1)),
            doc("resized", embedding=vector(0, 1), perceptual_hash="ffff0000ffff0003", created_at=later(2)),
            doc("neighbour", embedding=vector(1, 0.1), created_at=later(3)),
            doc("far", embedding=vector(0.1, 1), perceptual_hash="0000ffff0000ffff", created_at=later(4)),
            doc("archived-copy", checksum_sha256="a" * 64, archived=True, created_at=later(5)),
        ]
    )
    hits = index.similar(WORKSPACE, "source", limit=3)
    assert [(h.asset_id, h.kind) for h in hits] == [
        ("copy", "duplicate"),
        ("resized", "near_duplicate"),
        ("neighbour", "similar"),
    ]
    assert hits[1].score == pytest.approx(1 - 2 / 64)
    assert index.similar(WORKSPACE, "unknown") == []


def test_an_asset_being_deleted_is_never_a_hit_so_pages_stay_full(index):
    index.upsert(
        [
            doc(f"oak-{i}", name="Oak table", embedding=vector(1, 0), created_at=later(i), status="ready")
            for i in range(4)
        ]
        + [doc("oak-going", name="Oak table", embedding=vector(1, 0), created_at=later(9), status="deleting")]
    )
    for mode in ("keyword", "semantic", "hybrid"):
        first = index.search(SearchQuery(WORKSPACE, text="oak", mode=mode, query_vector=vector(1, 0), limit=2))
        assert len(first.hits) == 2 and first.next_cursor, mode
        assert "oak-going" not in {h.asset_id for h in first.hits}
    browse = index.search(SearchQuery(WORKSPACE, mode="keyword", sort="newest", limit=4))
    assert [h.asset_id for h in browse.hits] == ["oak-3", "oak-2", "oak-1", "oak-0"]
    assert "oak-going" not in {h.asset_id for h in index.similar(WORKSPACE, "oak-0")}
