"""A page is cut where its JSON, escaped as Lambda's envelope carries it, would pass the response budget."""

from __future__ import annotations

import json

from pydantic import BaseModel

from dam.api.paging import fitting


class Card(BaseModel):
    name: str
    number: int


def _sent(card: Card) -> int:
    """The bytes one item adds to the body as sent: ASCII-escaped JSON, plus its comma."""
    return len(json.dumps(card.model_dump(mode="json"), separators=(",", ":"))) + 1


def test_items_are_counted_as_sent_and_at_least_one_always_goes() -> None:
    cards = [Card(name="a" * 100, number=n) for n in range(10)]
    assert fitting(cards, budget=3 * _sent(cards[0])) == 3
    assert fitting(cards, budget=3 * _sent(cards[0]) - 1) == 2
    assert fitting(cards, budget=10**6) == 10
    assert fitting(cards, budget=1) == 1  # a record is bounded on its own


def test_non_ascii_text_counts_escaped() -> None:
    accented = [Card(name="é" * 100, number=n) for n in range(4)]  # 2 bytes in UTF-8, 6 escaped (\u00e9)
    utf8 = len(accented[0].model_dump_json().encode()) + 1
    assert _sent(accented[0]) > 2 * utf8  # the escaped size is the one that counts
    assert fitting(accented, budget=2 * utf8) == 1
    assert fitting(accented, budget=2 * _sent(accented[0])) == 2
