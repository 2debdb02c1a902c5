"""The stack's outputs: what the README's deploy steps read (`dam admin`, `dam smoke`, `dam reindex --aws`),
each pointing at the resource it names."""

from __future__ import annotations

from typing import Any

import pytest

from tests.infra.synth import INFRA_MARKS, Synth, ref

pytestmark = INFRA_MARKS


def _outputs(synth: Synth) -> dict[str, Any]:
    return {name: output["Value"] for name, output in synth.template["Outputs"].items()}


def test_api_url_is_the_http_apis_default_stage_endpoint(synth: Synth) -> None:
    api_id, _ = synth.one("AWS::ApiGatewayV2::Api")
    url = _outputs(synth)["ApiUrl"]
    parts = url["Fn::Join"][1]
    assert ref(api_id) in parts
    assert any(isinstance(part, str) and part.startswith(".execute-api.") for part in parts)


def test_user_pool_id_and_client_id_name_the_pool_and_its_web_client(synth: Synth) -> None:
    pool_id, _ = synth.one("AWS::Cognito::UserPool")
    client_id, _ = synth.one("AWS::Cognito::UserPoolClient")
    outputs = _outputs(synth)
    assert outputs["UserPoolId"] == ref(pool_id)
    assert outputs["UserPoolClientId"] == ref(client_id)


def test_the_assets_table_bucket_and_state_machine_are_named(synth: Synth) -> None:
    storage = synth.stack.storage
    outputs = _outputs(synth)
    assert outputs["AssetsTableName"] == ref(synth.logical_id(storage.table("Assets")))
    assert outputs["MediaBucketName"] == ref(synth.logical_id(storage.media_bucket))
    machine_id, _ = synth.one("AWS::StepFunctions::StateMachine")
    assert outputs["PipelineStateMachineArn"] == ref(machine_id)


@pytest.mark.parametrize(
    "name",
    ["ApiUrl", "UserPoolId", "UserPoolClientId", "MediaBucketName", "AssetsTableName", "SearchEndpoint"],
)
def test_every_output_the_readme_uses_exists_in_prod_too(prod_synth: Synth, name: str) -> None:
    assert name in prod_synth.template["Outputs"]
