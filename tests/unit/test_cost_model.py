"""The cost model (`bench/cost_model.py`): what README.md shows is what it computes, and it answers the way
the bill would when the workload changes."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from bench import cost_model
from bench.cost_model import DEV_STAGE, SCENARIOS, Workload, estimate, knobs, transitions_an_asset
from stacks.sizing import DEV_SEARCH, PROD_SEARCH

README = Path(__file__).resolve().parents[2] / "README.md"
BEDROCK = ("Bedrock Claude Haiku 4.5", "Bedrock Titan embeddings")


def test_the_readme_shows_what_the_model_computes() -> None:
    found = cost_model.README_BLOCK.search(README.read_text())
    assert found, "README.md lost its <!-- cost-model:start --> … <!-- cost-model:end --> block"
    assert found[2] == cost_model.markdown(), (
        "README.md's cost figures are stale: python bench/cost_model.py --update-readme"
    )


def test_the_scenarios_are_10k_100k_and_1m_assets_and_a_dev_stage() -> None:
    assert [w.assets_stored for w in SCENARIOS] == [10_000, 100_000, 1_000_000]
    assert [w.search for w in SCENARIOS] == [DEV_SEARCH, PROD_SEARCH, PROD_SEARCH]
    assert estimate(DEV_STAGE).total < min(estimate(w).total for w in SCENARIOS)


def test_totals_grow_with_the_assets() -> None:
    totals = [estimate(w).total for w in SCENARIOS]
    assert totals == sorted(totals) and len(set(totals)) == 3
    base = SCENARIOS[1]
    for more in (
        replace(base, assets_added=base.assets_added * 2),
        replace(base, assets_stored=base.assets_stored * 2),
        replace(base, api_calls=base.api_calls * 2),
    ):
        assert estimate(more).total > estimate(base).total


@pytest.mark.parametrize("workload", [*SCENARIOS, DEV_STAGE], ids=lambda w: w.name.split(":")[0])
def test_analysis_off_removes_the_bedrock_lines_and_only_lowers_the_rest(workload: Workload) -> None:
    on, off = estimate(workload), estimate(replace(workload, analysis=False))
    assert all(on.usd(part) > 0 for part in BEDROCK)
    assert not {line.part for line in off.lines} & set(BEDROCK)
    assert off.usd("Lambda (arm64)") < on.usd("Lambda (arm64)")  # no waiting on the model
    assert off.total < on.total


def test_a_new_asset_takes_the_states_of_its_normal_path() -> None:
    # Mode? → Register → Renditions → Analyze → Embed → Finalize
    assert transitions_an_asset() == 6
    assert estimate(SCENARIOS[0]).usd("Step Functions Standard") == pytest.approx(1_000 * 6 * 0.025 / 1000)


def test_parallel_branches_count_their_own_states() -> None:
    branch = {"StartAt": "A", "States": {"A": {"Type": "Task", "Next": "B"}, "B": {"Type": "Task", "End": True}}}
    definition = {
        "StartAt": "Go?",
        "States": {
            "Go?": {"Type": "Choice", "Choices": [{"Next": "Done"}], "Default": "Both"},
            "Both": {"Type": "Parallel", "Branches": [branch, branch], "Next": "Done"},
            "Done": {"Type": "Succeed"},
        },
    }
    assert transitions_an_asset(definition) == 1 + 1 + 2 + 2 + 1


def test_the_knobs_are_ranked_by_their_effect_and_search_sizing_leads() -> None:
    ranked = knobs()
    swings = [k.swing for k in ranked]
    assert swings == sorted(swings, reverse=True)
    assert ranked[0].name.startswith("search at the dev sizing")
    assert {k.name for k in ranked} >= {"assets added a month ±50%", "analysis off (`DAM_ANALYZER=none`)"}


def test_every_price_names_its_page_and_how_far_it_was_checked() -> None:
    prices = list(cost_model._prices())
    assert len(prices) >= 20
    for price in prices:
        assert price.source.startswith("https://aws.amazon.com/"), price
        assert price.checked in (cost_model.AWS_PAGE, cost_model.QUOTED, cost_model.UNCONFIRMED), price


def test_the_model_is_pure_python_without_the_cdk_runtime() -> None:
    import subprocess
    import sys

    probe = "import sys, bench.cost_model; assert not [m for m in sys.modules if m.startswith(('aws_cdk', 'boto'))]"
    done = subprocess.run([sys.executable, "-c", probe], check=False, capture_output=True, text=True, cwd=README.parent)
    assert done.returncode == 0, done.stderr
