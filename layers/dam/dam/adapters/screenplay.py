"""The offline writing assistant: the structure a screenplay states, and nothing it does not.

Scenes start at scene headings (Fountain's rules: a line starting INT, EXT, EST, INT./EXT, INT/EXT or I/E
followed by a dot or a space, or a forced heading starting with a single '.'); each scene's action paragraphs
describe it, and each action paragraph is one shot. Dialogue, parentheticals, transitions, notes ([[…]]),
boneyard (/* … */), sections (#), synopses (=) and the title page are recognised and left out. Briefs and
prose need a model: they raise `AssistantUnavailable` instead of an invented answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from dam.domain.assistant import (
    MAX_DRAFTS,
    TITLE_CHARS,
    AssistantUnavailable,
    BriefDraft,
    SceneDraft,
    ShotDraft,
)

_HEADING = re.compile(r"^(?:INT\.?/EXT|INT|EXT|EST|I/E)(?:\.|\s)", re.IGNORECASE)
_FORCED_HEADING = re.compile(r"^\.(?=[^.\s])")
_SCENE_NUMBER = re.compile(r"\s*#[\w.\-]+#\s*$")
_TRANSITION = re.compile(r"^(?:[A-Z0-9 .'\-]+ TO:|FADE (?:IN|OUT)[:.]?|FADE TO BLACK\.?|THE END\.?)$")
_CHARACTER = re.compile(r"^[^a-z]*[A-Z][^a-z]*$")  # upper case, with an optional (V.O.) or (CONT'D) and a '^'
_TITLE_KEY = re.compile(
    r"^(?:title|credit|authors?|source|draft date|date|contact|notes|copyright|revision)\s*:", re.IGNORECASE
)
_BONEYARD = re.compile(r"/\*.*?\*/", re.DOTALL)
_NOTE = re.compile(r"\[\[.*?\]\]", re.DOTALL)
_PREFIX = re.compile(r"^(?:INT\.?/EXT|INT|EXT|EST|I/E)\.?\s*", re.IGNORECASE)
_MAX_DESCRIPTION = 4_000

_NEEDS_MODEL = "the assistant needs a configured model"


@dataclass(frozen=True)
class Element:
    kind: str  # heading, action, dialogue, transition
    text: str
    speaker: str = ""


def parse(text: str) -> list[Element]:
    """The screenplay's elements in order (dialogue blocks as one element each, with their speaker)."""
    text = _NOTE.sub("", _BONEYARD.sub("", text.replace("\r\n", "\n").replace("\r", "\n")))
    blocks = [[line.rstrip() for line in block.split("\n") if line.strip()] for block in re.split(r"\n\s*\n", text)]
    blocks = [block for block in blocks if block]
    if blocks and _TITLE_KEY.match(blocks[0][0]):
        blocks = blocks[1:]  # the title page: key: value lines up to the first blank line
    elements: list[Element] = []
    for block in blocks:
        elements.extend(_block_elements(block))
    return elements


def _block_elements(block: list[str]) -> list[Element]:
    first = block[0].strip()
    rest = block[1:]
    if _FORCED_HEADING.match(first) or _HEADING.match(first):
        heading = _SCENE_NUMBER.sub("", first[1:] if first.startswith(".") else first).strip()
        return [Element("heading", heading), *(_block_elements(rest) if rest else [])]
    if first.startswith(("#", "=")):
        return _block_elements(rest) if rest else []  # a section or a synopsis line: the writer's, not the film's
    if first.startswith(">") and not first.endswith("<"):
        return [Element("transition", first[1:].strip())]
    if len(block) == 1 and _TRANSITION.match(first):
        return [Element("transition", first)]
    if first.startswith("!"):
        return [Element("action", _joined([first[1:], *rest]))]
    if rest and (first.startswith("@") or _CHARACTER.match(first)):
        speaker = re.sub(r"\s*\(.*?\)\s*|\^$", "", first.lstrip("@")).strip()
        spoken = [line.strip() for line in rest if not line.strip().startswith("(")]
        return [Element("dialogue", _joined(spoken), speaker=speaker)]
    centred = [line.strip().removeprefix(">").removesuffix("<").strip() for line in block]
    return [Element("action", _joined(centred))]


def _joined(lines: list[str]) -> str:
    return " ".join(line.strip() for line in lines if line.strip())


def _bounded(text: str, limit: int = _MAX_DESCRIPTION) -> str:
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    return cut[: cut.rfind(" ")] + "…" if " " in cut else cut + "…"


def _title(heading: str) -> str:
    return _PREFIX.sub("", heading).strip() or heading


def _speakers(elements: list[Element]) -> list[str]:
    return list(dict.fromkeys(e.speaker for e in elements if e.kind == "dialogue" and e.speaker))


class ScreenplayAssistant:
    """The `WritingAssistant` without a model."""

    def brief(self, idea: str) -> BriefDraft:
        raise AssistantUnavailable(
            f"{_NEEDS_MODEL} to refine an idea into a brief; offline it only breaks screenplays into scenes and shots"
        )

    def scenes(self, story: str) -> list[SceneDraft]:
        scenes: list[tuple[str, list[Element]]] = []
        for element in parse(story):
            if element.kind == "heading":
                scenes.append((element.text, []))
            elif scenes:
                scenes[-1][1].append(element)
        if not scenes:
            raise AssistantUnavailable(
                f"{_NEEDS_MODEL} to break prose into scenes; offline it breaks a screenplay at its scene headings "
                "(lines starting INT. or EXT.), and this text has none"
            )
        return [_scene(heading, body) for heading, body in scenes[:MAX_DRAFTS]]

    def shots(self, scene: str) -> list[ShotDraft]:
        actions = [e.text for e in parse(scene) if e.kind == "action"]
        if not actions:
            raise AssistantUnavailable(
                f"{_NEEDS_MODEL} to plan shots from dialogue; offline it plans one shot per action paragraph, "
                "and this scene has none"
            )
        return [
            ShotDraft(title=f"Shot {n}", description=_bounded(text)) for n, text in enumerate(actions[:MAX_DRAFTS], 1)
        ]


def _scene(heading: str, body: list[Element]) -> SceneDraft:
    action = " ".join(e.text for e in body if e.kind == "action")
    speakers = _speakers(body)
    description = action or (f"Dialogue: {', '.join(speakers)}." if speakers else heading)
    return SceneDraft(
        title=_bounded(_title(heading), TITLE_CHARS), description=_bounded(description), heading=heading[:300]
    )
