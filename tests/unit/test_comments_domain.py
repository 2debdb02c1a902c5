"""The comment rules without storage: pins against a version's pixels and duration, mentions, threads,
who may edit and delete, and what an edit keeps."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from dam.domain.comments import (
    MAX_DEPTH,
    MAX_MENTIONS,
    MAX_REPLIES,
    Actor,
    Author,
    AuthorKind,
    Comment,
    Pin,
    check_deleter,
    check_pin,
    check_thread_room,
    deleted,
    edited,
    mentions_in,
    parse_versions,
    reply_thread,
)
from dam.domain.errors import Conflict, Forbidden, InvalidInput
from dam.domain.formats import MediaType
from dam.domain.identity import Caller, Role

T0 = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
MAYA = Actor.user(Caller("maya", "ws", Role.EDITOR))
ADMIN = Actor.user(Caller("ana", "ws", Role.ADMIN))
GUEST = Actor.guest("ws", " Reviewer@Client.Example ", "Robin")


def _comment(author: Actor = MAYA, **fields: Any) -> Comment:
    values: dict[str, Any] = {
        "comment_id": "c1",
        "workspace_id": "ws",
        "asset_id": "a1",
        "version": 1,
        "thread": ["c1"],
        "author": author.author,
        "body": "Warmer",
        "created_at": T0,
    }
    return Comment(**(values | fields))


def _pin(**fields: Any) -> Pin:
    return Pin.model_validate(fields)


RECT = {"shape": "rectangle", "x": 700, "y": 500, "width": 100, "height": 100}
IMAGE = {"width": 800, "height": 600}


def test_a_region_must_lie_inside_the_versions_own_pixels() -> None:
    check_pin(_pin(region=RECT), MediaType.IMAGE, IMAGE)  # touches the corner: inside
    with pytest.raises(InvalidInput) as wide:
        check_pin(_pin(region={**RECT, "width": 101}), MediaType.IMAGE, IMAGE)
    assert wide.value.field == "body.pin.region" and "800" in wide.value.message
    with pytest.raises(InvalidInput):
        check_pin(_pin(region={**RECT, "height": 101}), MediaType.IMAGE, IMAGE)
    stroke = {"shape": "path", "points": [{"x": 0, "y": 0}, {"x": 800.5, "y": 10}]}
    with pytest.raises(InvalidInput):
        check_pin(_pin(region=stroke), MediaType.IMAGE, IMAGE)
    # Dimensions not measured (yet): any region of sane size is taken.
    check_pin(_pin(region={**RECT, "width": 5000}), MediaType.IMAGE, {})


def test_a_time_needs_a_timeline_and_stays_within_the_duration() -> None:
    check_pin(_pin(time=9.5, region=RECT), MediaType.VIDEO, {"duration": 10.0, **IMAGE})
    check_pin(_pin(time=0.5), MediaType.AUDIO, {"duration": 1.0})
    with pytest.raises(InvalidInput) as late:
        check_pin(_pin(time=10.5), MediaType.VIDEO, {"duration": 10.0})
    assert late.value.field == "body.pin.time"
    with pytest.raises(InvalidInput) as still:
        check_pin(_pin(time=1), MediaType.IMAGE, IMAGE)
    assert still.value.field == "body.pin.time"
    with pytest.raises(InvalidInput) as flat:
        check_pin(_pin(region=RECT), MediaType.AUDIO, {"duration": 1.0})
    assert flat.value.field == "body.pin.region"
    with pytest.raises(InvalidInput):
        check_pin(_pin(region=RECT), MediaType.DOCUMENT, {})


@pytest.mark.parametrize(
    "pin",
    [
        {},
        {"time": float("nan")},
        {"time": float("inf")},
        {"time": -0.1},
        {"region": {"shape": "rectangle", "x": 0, "y": 0, "width": 0, "height": 1}},
        {"region": {"shape": "rectangle", "x": -1, "y": 0, "width": 1, "height": 1}},
        {"region": {"shape": "path", "points": [{"x": 1, "y": 1}]}},
        {"region": {"shape": "path", "points": [{"x": 1, "y": 1}] * 501}},
        {"region": {"shape": "blob"}},
        {"region": {"shape": "rectangle", "x": 0, "y": 0, "width": 1, "height": 1, "z": 1}},
    ],
)
def test_malformed_pins_are_refused_by_their_schema(pin: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        Pin.model_validate(pin)


def test_mentions_come_from_the_list_and_the_body_once_each_never_the_author() -> None:
    body = "@lena and @eli, see (@lena). Mail ana@studio.example or @maya."
    assert mentions_in(body, ["eli", "sam"], MAYA.author) == ["eli", "sam", "lena"]
    assert mentions_in("Thanks @maya.", [], GUEST.author) == ["maya"]  # a guest is no user: they may mention maya
    with pytest.raises(InvalidInput) as bad:
        mentions_in("x", ["has space"], MAYA.author)
    assert bad.value.field == "mentions"
    with pytest.raises(InvalidInput):
        mentions_in(" ".join(f"@u{n}" for n in range(MAX_MENTIONS + 1)), [], MAYA.author)


def test_replies_nest_to_a_bounded_depth_and_a_thread_to_a_bounded_size() -> None:
    parent = _comment(thread=["c1", "c2"], comment_id="c2", parent_id="c1")
    assert reply_thread(parent, "c3") == ["c1", "c2", "c3"]
    deepest = _comment(thread=[f"c{n}" for n in range(MAX_DEPTH)])
    with pytest.raises(InvalidInput) as deep:
        reply_thread(deepest, "cx")
    assert deep.value.field == "parent_id"
    with pytest.raises(Conflict):
        reply_thread(deleted(parent, MAYA, T0), "c3")
    check_thread_room(_comment(replies=MAX_REPLIES - 1))
    with pytest.raises(Conflict):
        check_thread_room(_comment(replies=MAX_REPLIES))


def test_only_the_author_edits_and_each_edit_keeps_what_it_replaced() -> None:
    original = _comment(mentions=["lena"])
    at = datetime(2026, 12, 4, 13, 0, tzinfo=UTC)

    change = edited(original, MAYA, "Warmer still", ["eli"], at)

    assert change is not None
    comment, edit = change
    assert (comment.body, comment.mentions, comment.edited_at, comment.edits) == ("Warmer still", ["eli"], at, 1)
    assert (edit.number, edit.previous_body, edit.previous_mentions, edit.by.id) == (1, "Warmer", ["lena"], "maya")
    assert edited(comment, MAYA, "Warmer still", ["eli"], at) is None  # nothing changes, nothing kept
    with pytest.raises(Forbidden):
        edited(original, ADMIN, "Rewritten", [], at)
    with pytest.raises(Conflict):
        edited(deleted(original, MAYA, at), MAYA, "back", [], at)


def test_the_author_or_an_admin_deletes_and_a_guest_is_known_by_email() -> None:
    mine = _comment()
    check_deleter(mine, MAYA)
    check_deleter(mine, ADMIN)
    with pytest.raises(Forbidden):
        check_deleter(mine, Actor.user(Caller("lena", "ws", Role.SHOOT_LEAD)))
    assert GUEST.author == Author(kind=AuthorKind.GUEST, id="reviewer@client.example", name="Robin")
    theirs = _comment(author=GUEST)
    check_deleter(theirs, Actor.guest("ws", "REVIEWER@client.example"))
    with pytest.raises(Forbidden):  # a user whose id happens to be the email is not the guest
        check_deleter(theirs, Actor.user(Caller("reviewer@client.example", "ws", Role.EDITOR)))
    with pytest.raises(InvalidInput):
        Actor.guest("ws", "not-an-email")
    gone = deleted(mine, ADMIN, T0)
    assert gone.deleted and gone.deleted_by == ADMIN.author and gone.deleted_at == T0


@pytest.mark.parametrize(("text", "expected"), [("1,2", [1, 2]), ("2, 1", [2, 1]), ("3", [3]), ("1,1,2", [1, 2])])
def test_versions_to_compare_are_read_in_order(text: str, expected: list[int]) -> None:
    assert parse_versions(text) == expected


@pytest.mark.parametrize("text", ["", "0", "1,x", "1,,2", "-1", "1,2,3,4,5", "9999999"])
def test_versions_to_compare_refuse_what_is_not_a_short_list_of_numbers(text: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_versions(text)
    assert refused.value.field == "query.versions"
