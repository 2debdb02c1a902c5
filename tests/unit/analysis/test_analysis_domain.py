from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from dam.domain.analysis import MAX_DESCRIPTION, ImageAnalysis, PropType, parse_prop_type, search_context


def _analysis(**changes) -> ImageAnalysis:
    fields = {
        "description": "A battered wooden sword leaning against a stone wall.",
        "objects": ["sword", "stone wall"],
        "brands": [],
        "themes": ["medieval"],
        "colors": ["brown", "gray"],
        "prop_type": "Hand Prop",
        "source": "test",
    }
    return ImageAnalysis.model_validate({**fields, **changes})


def test_prop_type_values_are_the_product_words():
    assert [p.value for p in PropType] == ["Costume", "Branded Merch", "Set Dressing", "Hand Prop", "Food", "Other"]


def test_tags_are_cleaned_deduplicated_and_lowercased_but_brands_and_text_keep_their_case():
    analysis = _analysis(
        objects=[" Sword ", "sword", "Stone  Wall", "", None],
        themes="Medieval, fantasy ,medieval",
        colors=["Brown"],
        brands=["LEGO", "lego", " Star Wars "],
        text_in_image=["SPRING SALE", "SPRING SALE", " 50% off "],
    )
    assert analysis.objects == ["sword", "stone wall"]
    assert analysis.themes == ["medieval", "fantasy"]
    assert analysis.colors == ["brown"]
    assert analysis.brands == ["LEGO", "Star Wars"]
    assert analysis.text_in_image == ["SPRING SALE", "50% off"]


def test_lists_are_capped_rather_than_rejected():
    analysis = _analysis(colors=["red", "white", "blue", "green"], objects=[f"thing {i}" for i in range(40)])
    assert analysis.colors == ["red", "white", "blue"]
    assert len(analysis.objects) == 25


def test_nulls_become_empty_lists_and_unknown_fields_are_ignored():
    analysis = _analysis(brands=None, text_in_image=None, confidence=0.9)
    assert analysis.brands == []
    assert analysis.text_in_image == []


@pytest.mark.parametrize("bad", [{"colors": []}, {"description": "   "}, {"source": ""}])
def test_what_cannot_be_repaired_is_invalid(bad):
    with pytest.raises(ValidationError):
        _analysis(**bad)


def test_long_descriptions_are_cut_at_a_word():
    analysis = _analysis(description="word " * 1000)
    assert len(analysis.description) <= MAX_DESCRIPTION
    assert analysis.description.endswith("word…")


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("hand prop", PropType.HAND_PROP),
        ("HAND_PROP", PropType.HAND_PROP),
        ("Costumes", PropType.COSTUME),
        ("branded merchandise", PropType.BRANDED_MERCH),
        ("set-dressing", PropType.SET_DRESSING),
        ("weapon", PropType.OTHER),
        (None, PropType.OTHER),
    ],
)
def test_prop_type_is_read_leniently(written, expected):
    assert _analysis(prop_type=written).prop_type is expected


def test_parse_prop_type_names_only_exact_types():
    assert parse_prop_type("Food") is PropType.FOOD
    assert parse_prop_type("a sword") is None


def test_a_stored_analysis_validates_again_unchanged():
    analysis = _analysis(objects=["Sword", "sword"], description="x " * 1500)
    again = ImageAnalysis.model_validate(analysis.model_dump(mode="json"))
    assert again == analysis


def test_search_context_reads_as_one_paragraph_of_everything_known():
    analysis = _analysis(
        description="A foam sword with a leather grip",
        brands=["Acme"],
        text_in_image=["EXCALIBUR"],
    )
    text = search_context(
        name="Hero sword",
        asset_type="generated_content",
        analysis=analysis,
        tags=["act 1", "Act 1", "hero"],
        notes="Keep away from water",
        prompt="a medieval sword, studio light",
        enhanced_prompt="a medieval sword, studio light",
    )
    # What it shows first (prompt, name, description), the asset type last: embedders weigh every word.
    assert text.startswith("a medieval sword, studio light. Hero sword. A foam sword with a leather grip.")
    assert text.endswith("A generated content asset.")
    for part in (
        "Objects: sword and stone wall.",
        "Brands: Acme.",
        "Themes: medieval.",
        "Colors: brown and gray.",
        "Prop type: Hand Prop.",
        'Text in the image: "EXCALIBUR".',
        "Tagged act 1 and hero.",
        "Notes: Keep away from water.",
    ):
        assert part in text
    assert "Enhanced prompt" not in text  # the same as the prompt: said once
    assert "\n" not in text


def test_search_context_without_analysis_and_with_a_plain_prop_type():
    assert search_context(name="Logo", asset_type="image") == "Logo. An image asset."
    text = search_context(name="Mug", asset_type="product", analysis=_analysis(prop_type="Other"))
    assert "Prop type" not in text  # "Other" tells a search nothing


def test_search_context_carries_a_hint_corrected_prop_type():
    corrected = _analysis(prop_type=PropType.SET_DRESSING, description="A bookshelf. Note: this is set dressing.")
    text = search_context(name="Shelf", asset_type="background", analysis=corrected, tags=["library"])
    assert "A bookshelf. Note: this is set dressing." in text
    assert "Prop type: Set Dressing." in text
    assert "Tagged library." in text


def test_search_context_is_deterministic_and_bounded():
    args: dict[str, Any] = {"name": "n", "asset_type": "image", "notes": "note " * 2000, "prompt": "p " * 5000}
    assert search_context(**args) == search_context(**args)
    assert len(search_context(**args)) < 1500
