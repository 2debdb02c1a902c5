"""The offline assistant: a screenplay broken at its scene headings, one shot per action paragraph, and
nothing invented where a model would be needed."""

from __future__ import annotations

import pytest

from dam.adapters.screenplay import ScreenplayAssistant, parse
from dam.domain.assistant import AssistantUnavailable
from dam.services.assistant_ports import WritingAssistant
from tests.unit.assistant.screenplay import EXCERPT, HEADINGS, LAMP_ROOM

assistant = ScreenplayAssistant()


def test_the_offline_adapter_satisfies_the_port() -> None:
    assert isinstance(assistant, WritingAssistant)


def test_a_screenplay_breaks_into_one_scene_per_heading_in_order_forced_ones_included() -> None:
    scenes = assistant.scenes(EXCERPT)

    assert [s.heading for s in scenes] == HEADINGS
    assert [s.title for s in scenes] == [
        "ROCKY COAST - DAWN",
        "LIGHTHOUSE - LAMP ROOM - CONTINUOUS",
        "BELOW DECKS",
        "FISHING BOAT - NIGHT",
        "HARBOUR TOWN - MORNING",
    ]


def test_a_scene_is_described_by_its_action_without_dialogue_transitions_notes_or_boneyard() -> None:
    coast, lamp_room, *_ = assistant.scenes(EXCERPT)

    assert coast.description == (
        "Grey waves break against black rocks. A lighthouse stands on the point, its lamp still turning. "
        "MARA (20s), in a yellow oilskin, climbs the path with a lantern."
    )
    assert "One more night" not in coast.description and "CUT TO" not in coast.description
    assert "cat" not in lamp_room.description and "prop" not in lamp_room.description
    assert "Is that you" not in lamp_room.description
    assert lamp_room.description.endswith("wipes the glass with her sleeve.")
    # Mood is the model's to suggest: offline, none is made up.
    assert all(s.mood_notes == "" for s in assistant.scenes(EXCERPT))


def test_forced_action_and_the_title_page_are_read_as_fountain_says() -> None:
    scenes = assistant.scenes(EXCERPT)

    assert scenes[3].description == "MARA WATCHES the beam sweep the water."
    assert all("Lighthouse Keeper" not in s.description for s in scenes)
    assert [e.kind for e in parse(EXCERPT)][:2] == ["transition", "heading"]  # FADE IN:, then the coast


def test_a_scene_with_only_dialogue_is_described_by_who_speaks() -> None:
    (scene,) = assistant.scenes("INT. KITCHEN - NIGHT\n\nANNA\nYou're late.\n\nBEN (V.O.)\nI know.\n")

    assert scene.description == "Dialogue: ANNA, BEN."


def test_a_scene_is_planned_as_one_shot_per_action_paragraph() -> None:
    shots = assistant.shots(LAMP_ROOM)

    assert [s.title for s in shots] == ["Shot 1", "Shot 2", "Shot 3"]
    assert [s.description for s in shots] == [
        "The great lens fills the room with moving light. Dust hangs in the beams.",
        "Mara sets the lantern down and wipes the glass with her sleeve.",
        "A shadow crosses the window.",
    ]
    assert all(s.camera_notes == "" for s in shots)


@pytest.mark.parametrize(
    "ask",
    [
        lambda: assistant.brief("A heist film set in a lighthouse"),
        lambda: assistant.scenes("Mara keeps the light. One night a ship does not come home."),
        lambda: assistant.shots("MARA\nWho's there?\n"),
    ],
    ids=["brief", "prose", "dialogue-only scene"],
)
def test_what_needs_a_model_says_so_and_invents_nothing(ask) -> None:
    with pytest.raises(AssistantUnavailable, match="the assistant needs a configured model"):
        ask()


def test_lines_that_only_look_like_headings_are_not_headings() -> None:
    text = "INTERIOR design matters.\n\n..not a heading\n\nEXTRA! EXTRA!\n"
    assert [e.kind for e in parse(text)] == ["action", "action", "action"]
