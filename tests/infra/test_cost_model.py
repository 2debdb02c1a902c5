"""The cost model's inputs that describe the stack are the stack's: each function's memory, and the alarms."""

from __future__ import annotations

import pytest

from bench import cost_model
from stacks.sizing import FUNCTION_MEMORY_MB
from tests.infra.synth import INFRA_MARKS, Synth

pytestmark = INFRA_MARKS
FUNCTION_SUFFIX = "/Function/Resource"  # a DamFunction's Lambda, under its construct's path


def _memory_by_construct(synth: Synth) -> dict[str, int]:
    prefix = f"{synth.stack.stack_name}/"
    found = {}
    for logical_id, resource in synth.of_type("AWS::Lambda::Function").items():
        path = synth.path(logical_id)
        if path.endswith(FUNCTION_SUFFIX):
            found[path.removeprefix(prefix).removesuffix(FUNCTION_SUFFIX)] = resource["Properties"]["MemorySize"]
    return found


@pytest.mark.parametrize("stage", ["synth", "prod_synth"])
def test_the_model_prices_the_memory_sizes_the_template_deploys(stage: str, request: pytest.FixtureRequest) -> None:
    deployed = _memory_by_construct(request.getfixturevalue(stage))
    missing = sorted(set(deployed) - set(FUNCTION_MEMORY_MB))
    assert not missing, (
        f"functions {missing} have no entry in stacks/sizing.py FUNCTION_MEMORY_MB: size them there (the stack "
        "reads it), and if they run per asset or per request, add their seconds to bench/cost_model.py"
    )
    assert deployed == FUNCTION_MEMORY_MB


def test_the_model_counts_the_alarms_the_template_has(synth: Synth) -> None:
    alarms = len(synth.of_type("AWS::CloudWatch::Alarm"))
    assert alarms == cost_model.ALARMS, (
        f"the template has {alarms} alarms: set ALARMS in bench/cost_model.py, then "
        "`python bench/cost_model.py --update-readme`"
    )
