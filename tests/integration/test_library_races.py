"""Edits that can't race. Each race is forced: another writer's step runs at an exact point inside the
request (a botocore hook on the request's own DynamoDB call), never left to timing."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from dam.adapters.dynamodb.assets import AssetRepository
from dam.adapters.dynamodb.library import LibraryRepository
from dam.adapters.dynamodb.models import LibraryRecord
from dam.api.context import services
from dam.domain.errors import Conflict, NotFound
from dam.domain.identity import Caller, Role
from dam.services.library import FolderChanges
from tests.conftest import Api
from tests.integration.library_support import ok, seed

MAYA = Caller(user_id="user-maya", workspace_id="ws-studio", role=Role.ADMIN)


@contextmanager
def interleave(operation: str, other_writer: Callable[[], Any], *, after: bool = False) -> Iterator[list[Any]]:
    """Run `other_writer` once, just before (or just after) the first DynamoDB `operation` made inside the
    block. Yields a list that receives what the other writer returned, or the domain error it raised."""
    from botocore.client import BaseClient

    original = BaseClient._make_api_call
    outcome: list[Any] = []

    def run_other() -> None:
        BaseClient._make_api_call = original  # type: ignore[method-assign]  # the other writer runs plainly
        try:
            outcome.append(other_writer())
        except (Conflict, NotFound) as error:
            outcome.append(error)

    def hooked(self: Any, name: str, params: Any) -> Any:
        if name != operation or outcome:
            return original(self, name, params)
        if not after:
            run_other()
            return original(self, name, params)
        response = original(self, name, params)
        run_other()
        return response

    BaseClient._make_api_call = hooked  # type: ignore[method-assign]
    try:
        yield outcome
    finally:
        BaseClient._make_api_call = original  # type: ignore[method-assign]
    assert outcome, f"no {operation} was made: the interleaving never happened"


def _links(pk: str) -> list[str]:
    return [r.sk for r in LibraryRecord.query(pk, consistent_read=True)]


@pytest.mark.parametrize("owner", ["brand", "collection"])
@pytest.mark.parametrize(("operation", "after"), [("Query", True), ("DeleteItem", False)])
def test_a_link_written_while_its_owner_is_deleted_is_never_orphaned(
    api: Api, owner: str, operation: str, after: bool
) -> None:
    # Given a brand (or collection) with one linked asset, and a second asset about to be linked
    seed("first", 0)
    seed("late", 1)
    if owner == "brand":
        owner_id = ok(api.request("POST", "/brands", body={"name": "Cola", "color": "#ff0000"}), 201)["brand_id"]
        link_path = f"/assets/first/brands/{owner_id}"
    else:
        owner_id = ok(api.request("POST", "/collections", body={"name": "Picks"}), 201)["collection_id"]
        link_path = f"/collections/{owner_id}/assets/first"
    assert api.request("PUT", link_path).status == 204
    library = services().library

    def link_late() -> None:
        if owner == "brand":
            library.tag_brand(MAYA, "late", owner_id)
        else:
            library.add_to_collection(MAYA, owner_id, "late")

    # When the link is written right after the delete's read of the links (or right before its first delete)
    with interleave(operation, link_late, after=after) as outcome:
        assert api.request("DELETE", f"/{owner}s/{owner_id}").status in (202, 204)

    # Then whichever way it went, nothing links to the deleted owner and no asset still names it
    assert outcome[0] is None or isinstance(outcome[0], NotFound)
    assert _links(f"ws-studio#{owner}#{owner_id}") == []
    for asset in AssetRepository().get_many(["first", "late"]).values():
        assert owner_id not in asset.brand_ids and owner_id not in asset.collection_ids
    assert api.request("GET", f"/{owner}s/{owner_id}").status == 404


def test_two_creates_of_one_brand_name_cannot_both_win(api: Api) -> None:
    api.request("GET", "/brands")  # the services are built
    library = services().library

    # When another editor creates "Cola" just before this request writes its own "cola"
    with interleave("TransactWriteItems", lambda: library.create_brand(MAYA, "Cola", "#ff0000")) as outcome:
        response = api.request("POST", "/brands", body={"name": "cola", "color": "#00ff00"})

    # Then the later write is refused and the workspace has one brand of that name
    assert response.status == 409, response.body
    assert not isinstance(outcome[0], Exception)
    assert [b["name"] for b in ok(api.request("GET", "/brands"))["items"]] == ["Cola"]


def test_a_renamed_brand_frees_its_old_name_and_takes_the_new_one(api: Api) -> None:
    cola = ok(api.request("POST", "/brands", body={"name": "Cola", "color": "#ff0000"}), 201)
    fizz = ok(api.request("POST", "/brands", body={"name": "Fizz", "color": "#00ff00"}), 201)
    assert api.request("PATCH", f"/brands/{fizz['brand_id']}", body={"name": "COLA"}).status == 409
    renamed = ok(api.request("PATCH", f"/brands/{cola['brand_id']}", body={"name": "Kola"}))
    assert renamed["version"] == cola["version"] + 1
    assert api.request("POST", "/brands", body={"name": "cola", "color": "#0000ff"}).status == 201
    assert api.request("POST", "/brands", body={"name": "KOLA", "color": "#0000ff"}).status == 409
    assert api.request("DELETE", f"/brands/{cola['brand_id']}").status in (202, 204)
    assert api.request("POST", "/brands", body={"name": "Kola", "color": "#0000ff"}).status == 201


def test_two_moves_at_once_cannot_make_a_folder_cycle(api: Api) -> None:
    # Given two top-level folders A and B
    a = ok(api.request("POST", "/folders", body={"name": "A"}), 201)["folder_id"]
    b = ok(api.request("POST", "/folders", body={"name": "B"}), 201)["folder_id"]
    library = services().library

    # When B moves under A just before this request writes its move of A under B (both passed the cycle check)
    def move_b_under_a() -> Any:
        return library.update_folder(MAYA, b, FolderChanges(parent_id=a))

    with interleave("TransactWriteItems", move_b_under_a) as outcome:
        response = api.request("PATCH", f"/folders/{a}", body={"parent_id": b})

    # Then the second move is refused, and the tree has no cycle: B is under A, A at the top
    assert not isinstance(outcome[0], Exception)
    assert response.status == 409, response.body
    assert ok(api.request("GET", f"/folders/{a}"))["parent_id"] is None
    assert ok(api.request("GET", f"/folders/{b}"))["parent_id"] == a


def test_a_move_under_a_folder_being_moved_elsewhere_is_refused(api: Api) -> None:
    # Given A > B and a top-level C; B's move under C races with C's move under B
    a = ok(api.request("POST", "/folders", body={"name": "A"}), 201)["folder_id"]
    b = ok(api.request("POST", "/folders", body={"name": "B", "parent_id": a}), 201)["folder_id"]
    c = ok(api.request("POST", "/folders", body={"name": "C"}), 201)["folder_id"]
    library = services().library

    with interleave("TransactWriteItems", lambda: library.update_folder(MAYA, a, FolderChanges(parent_id=c))):
        # A (an ancestor of B) moves under C meanwhile: C > A > B, so C under B would be a loop
        response = api.request("PATCH", f"/folders/{c}", body={"parent_id": b})

    assert response.status == 409, response.body
    assert ok(api.request("GET", f"/folders/{c}"))["parent_id"] is None


@pytest.mark.parametrize("kind", ["folders", "brands", "collections"])
def test_edits_carry_versions_and_if_match_refuses_a_stale_one(api: Api, kind: str) -> None:
    body = {"name": "One", "color": "#ff0000"} if kind == "brands" else {"name": "One"}
    created = ok(api.request("POST", f"/{kind}", body=body), 201)
    item_id = created[f"{kind[:-1]}_id"]
    assert created["version"] == 1

    first = ok(api.request("PATCH", f"/{kind}/{item_id}", body={"name": "Two"}, headers={"if-match": '"1"'}))
    assert first["version"] == 2 and first["name"] == "Two"

    stale = api.request("PATCH", f"/{kind}/{item_id}", body={"name": "Three"}, headers={"if-match": "1"})
    assert stale.status == 409, stale.body
    assert ok(api.request("GET", f"/{kind}/{item_id}"))["name"] == "Two"
    bad = api.request("PATCH", f"/{kind}/{item_id}", body={"name": "Four"}, headers={"if-match": "latest"})
    assert bad.status == 422


def test_an_edit_between_read_and_write_is_a_conflict_not_lost(api: Api) -> None:
    brand_id = ok(api.request("POST", "/brands", body={"name": "Cola", "color": "#ff0000"}), 201)["brand_id"]
    library = services().library

    # Someone recolours the brand after this request read it and before it writes
    with interleave("PutItem", lambda: library.update_brand(MAYA, brand_id, None, "#00ff00")):
        response = api.request("PATCH", f"/brands/{brand_id}", body={"color": "#0000ff"})

    assert response.status == 409, response.body
    assert ok(api.request("GET", f"/brands/{brand_id}"))["color"] == "#00ff00"


def test_a_sub_folder_cannot_be_created_under_a_folder_deleted_meanwhile(api: Api) -> None:
    parent = ok(api.request("POST", "/folders", body={"name": "Gone"}), 201)["folder_id"]
    repository = LibraryRepository()

    with interleave("TransactWriteItems", lambda: repository.delete_folder("ws-studio", parent)):
        response = api.request("POST", "/folders", body={"name": "Child", "parent_id": parent})

    assert response.status == 422, response.body
    assert ok(api.request("GET", "/folders"))["items"] == []


def test_deleting_a_folder_moves_up_a_sub_folder_renamed_meanwhile(api: Api) -> None:
    parent = ok(api.request("POST", "/folders", body={"name": "Parent"}), 201)["folder_id"]
    child = ok(api.request("POST", "/folders", body={"name": "Child", "parent_id": parent}), 201)["folder_id"]
    library = services().library

    # The sub-folder is renamed after the delete read it and before the delete re-parents it
    with interleave("PutItem", lambda: library.update_folder(MAYA, child, FolderChanges(name="Renamed"))):
        assert api.request("DELETE", f"/folders/{parent}").status == 204

    moved = ok(api.request("GET", f"/folders/{child}"))
    assert moved["parent_id"] is None and moved["name"] == "Renamed"
