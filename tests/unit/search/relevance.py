"""A small relevance set: assets described the way the pipeline describes them, queries that share no
word with the asset they should find, and nonsense. Used by the relevance tests and by
`bench/search.py --calibrate`."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from dam.domain.analysis import ImageAnalysis, search_context
from dam.search.scoring import STOPWORDS


@dataclass(frozen=True)
class RelevanceAsset:
    key: str
    asset_type: str
    name: str
    description: str
    objects: tuple[str, ...]
    tags: tuple[str, ...] = ()
    notes: str = ""
    prompt: str | None = None
    colors: tuple[str, ...] = field(default=("grey",))


ASSETS: tuple[RelevanceAsset, ...] = (
    RelevanceAsset(
        "coffee",
        "background",
        "Diner counter",
        "A cup of coffee on a wooden table next to a saucer",
        ("cup", "saucer", "table"),
        ("cafe",),
        colors=("brown",),
    ),
    RelevanceAsset(
        "sword",
        "product",
        "Knight blade",
        "A long steel sword with a leather-wrapped hilt lying on velvet",
        ("sword", "hilt"),
        ("medieval", "weapon"),
        "Hero prop for act 2",
        colors=("silver",),
    ),
    RelevanceAsset(
        "car",
        "product",
        "Hero car",
        "A red sports car parked on a race track at sunset",
        ("car", "track"),
        ("vehicle",),
        colors=("red",),
    ),
    RelevanceAsset(
        "mountain",
        "background",
        "Dawn ridge",
        "A snowy mountain landscape at dawn with pine trees",
        ("mountain", "trees"),
        ("outdoor",),
        colors=("white",),
    ),
    RelevanceAsset(
        "dog",
        "character",
        "Rex",
        "A golden retriever playing with a tennis ball on grass",
        ("dog", "ball"),
        ("pet",),
        colors=("gold",),
    ),
    RelevanceAsset(
        "cat", "character", "Whiskers", "A grey tabby cat sleeping on a windowsill", ("cat", "window"), ("pet",)
    ),
    RelevanceAsset(
        "wedding",
        "image",
        "Ceremony",
        "A bride and groom exchanging rings under a flower arch",
        ("rings", "arch", "flowers"),
        ("event",),
        colors=("white",),
    ),
    RelevanceAsset(
        "beach",
        "background",
        "Shoreline",
        "Turquoise waves breaking on a sandy beach with palm trees",
        ("waves", "palm"),
        ("summer",),
        colors=("blue",),
    ),
    RelevanceAsset(
        "laptop",
        "product",
        "Workstation",
        "An open laptop beside a notebook and pen on a desk",
        ("laptop", "notebook", "pen"),
        ("office",),
    ),
    RelevanceAsset(
        "pizza",
        "image",
        "Slice",
        "A pepperoni pizza fresh from a brick oven with melted cheese",
        ("pizza", "oven"),
        ("food",),
        colors=("red",),
    ),
    RelevanceAsset(
        "guitar",
        "product",
        "Stage axe",
        "An electric guitar leaning against a guitar amplifier",
        ("guitar", "amplifier"),
        ("music",),
        colors=("black",),
    ),
    RelevanceAsset(
        "rocket",
        "generated_content",
        "Launch",
        "A rocket lifting off from a launch pad trailing fire and smoke",
        ("rocket", "smoke"),
        prompt="a rocket launch at night, cinematic",
        colors=("orange",),
    ),
    RelevanceAsset(
        "castle",
        "background",
        "Keep",
        "A stone castle on a hill with towers and a moat",
        ("castle", "tower"),
        ("fantasy",),
    ),
    RelevanceAsset(
        "costume",
        "product",
        "Pirate coat",
        "A long navy coat with brass buttons and gold trim on a mannequin",
        ("coat", "buttons"),
        ("wardrobe",),
        "Costume for the captain",
        colors=("navy",),
    ),
    RelevanceAsset(
        "rain",
        "background",
        "Wet street",
        "A city street at night in heavy rain with neon reflections in puddles",
        ("street", "puddles", "neon"),
        ("urban",),
        colors=("purple",),
    ),
    RelevanceAsset(
        "bicycle",
        "product",
        "Courier bike",
        "A vintage bicycle with a wicker basket leaning on a brick wall",
        ("bicycle", "basket"),
    ),
    RelevanceAsset(
        "soccer",
        "image",
        "Match",
        "Football players chasing the ball across a stadium pitch",
        ("ball", "players", "stadium"),
        ("sport",),
        colors=("green",),
    ),
    RelevanceAsset(
        "books",
        "background",
        "Archive room",
        "Tall wooden shelves full of old leather-bound books",
        ("books", "shelves"),
        ("interior",),
        colors=("brown",),
    ),
    RelevanceAsset(
        "logo",
        "logo",
        "Acme mark",
        "A minimal blue circular logo with a white letter A",
        ("logo",),
        ("brand",),
        colors=("blue",),
    ),
    RelevanceAsset(
        "kitchen",
        "background",
        "Test kitchen",
        "A modern kitchen with stainless steel appliances and a marble island",
        ("stove", "fridge", "island"),
        ("interior",),
    ),
    RelevanceAsset(
        "forest",
        "background",
        "Old wood",
        "Sunlight filtering through tall trees in a misty forest",
        ("trees", "fog"),
        ("outdoor",),
        colors=("green",),
    ),
    RelevanceAsset(
        "baby",
        "character",
        "Bundle",
        "A smiling infant wrapped in a soft white blanket",
        ("blanket",),
        colors=("white",),
    ),
    RelevanceAsset(
        "hospital",
        "background",
        "Ward",
        "An empty hospital room with a bed and medical monitors",
        ("bed", "monitor"),
        ("interior",),
    ),
    RelevanceAsset(
        "airplane",
        "image",
        "Departure",
        "A passenger jet taking off from an airport runway",
        ("jet", "runway"),
        ("travel",),
    ),
    RelevanceAsset(
        "cake",
        "image",
        "Party",
        "A chocolate birthday cake with lit candles",
        ("cake", "candles"),
        ("food", "celebration"),
        colors=("brown",),
    ),
    RelevanceAsset(
        "phone",
        "product",
        "Handset",
        "A smartphone with a cracked screen on a concrete floor",
        ("smartphone", "screen"),
        colors=("black",),
    ),
    RelevanceAsset(
        "snow",
        "generated_content",
        "Cabin",
        "A log cabin covered in snow with smoke rising from the chimney",
        ("cabin", "chimney"),
        prompt="cozy winter cabin in a blizzard",
        colors=("white",),
    ),
    RelevanceAsset(
        "money",
        "product",
        "Money prop",
        "Stacks of banknotes in an open briefcase",
        ("banknotes", "briefcase"),
        ("prop",),
        colors=("green",),
    ),
    RelevanceAsset(
        "dentist", "background", "Clinic", "A dental chair with an overhead lamp in a clinic", ("chair", "lamp")
    ),
    RelevanceAsset(
        "violin",
        "product",
        "Strad copy",
        "A wooden violin and bow resting on sheet music",
        ("violin", "bow"),
        ("music",),
        colors=("brown",),
    ),
)

# query → the asset it must find in the top 3, sharing no word with it (checked by a test).
QUERIES: dict[str, str] = {
    "espresso": "coffee",
    "crusader armament": "sword",
    "automobile racing": "car",
    "canine": "dog",
    "kitten": "cat",
    "marriage": "wedding",
    "seaside holiday": "beach",
    "computer": "laptop",
    "italian cuisine": "pizza",
    "spacecraft": "rocket",
    "fortress": "castle",
    "cycling": "bicycle",
    "newborn child": "baby",
    "aircraft": "airplane",
    "mobile phone": "phone",
    "cash": "money",
    "teeth doctor": "dentist",
    "orchestra instrument": "violin",
    "library of novels": "books",
    "soccer game": "soccer",
}
NONSENSE: tuple[str, ...] = ("qwxz zzkv", "xkcd zzz qqq", "asdfgh jkl", "vvvv wwww", "zqxj pflk")


def context_of(asset: RelevanceAsset) -> str:
    """The paragraph the pipeline would embed for this asset."""
    analysis = ImageAnalysis(
        description=asset.description, objects=list(asset.objects), colors=list(asset.colors), source="test"
    )
    return search_context(
        name=asset.name,
        asset_type=asset.asset_type,
        analysis=analysis,
        tags=asset.tags,
        notes=asset.notes,
        prompt=asset.prompt,
    )


def words(text: str) -> set[str]:
    """Lower-cased words, stop words out, a plural 's' dropped: enough to prove a query shares no word."""
    return {word.removesuffix("s") for word in re.findall(r"[a-z0-9]+", text.lower()) if word not in STOPWORDS}
